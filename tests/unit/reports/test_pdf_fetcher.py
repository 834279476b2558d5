"""What WeasyPrint may fetch while rendering a report: the app's static files, the workspace's
own media, data: URLs; nothing else."""

from pathlib import Path

import pytest
from django.conf import settings

from assessments.reports.pdf import REPORT_BASE_URL, FetchRefused, SafeFetcher


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///work/main/static/report.css",
        "http://127.0.0.1:9/x",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/static/report.css",
        "ftp://example.com/x",
        REPORT_BASE_URL + "etc/passwd",
        REPORT_BASE_URL + "static/../config/settings.py",
        REPORT_BASE_URL + "static/%2e%2e/config/settings.py",
        REPORT_BASE_URL + "static/..%2f..%2fetc/passwd",
        REPORT_BASE_URL + "static/no-such-file.css",
        REPORT_BASE_URL + "media/workspaces/2/branding/logo.png",
        REPORT_BASE_URL + "media/../../etc/passwd",
        "https://report.invalid.example.com/static/report.css",
    ],
)
def test_fetcher_refuses_everything_but_own_files(url):
    with pytest.raises((FetchRefused, ValueError)):
        SafeFetcher(workspace_id=1).fetch(url)


def test_fetcher_serves_the_report_stylesheet():
    response = SafeFetcher(workspace_id=1).fetch(REPORT_BASE_URL + "static/report.css")
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


def test_fetcher_serves_data_urls():
    response = SafeFetcher().fetch("data:text/plain;base64,aGk=")
    assert response.read() == b"hi"


def test_fetcher_serves_only_the_workspace_own_media():
    path = Path(settings.MEDIA_ROOT, "workspaces/7/branding/logo.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG not really")
    url = REPORT_BASE_URL + "media/workspaces/7/branding/logo.png"
    assert SafeFetcher(workspace_id=7).fetch(url).read().startswith(b"\x89PNG")
    with pytest.raises(FetchRefused):
        SafeFetcher(workspace_id=8).fetch(url)
    with pytest.raises(FetchRefused):
        SafeFetcher(workspace_id=None).fetch(url)
