"""Rendering the report to PDF with WeasyPrint, and the only fetcher WeasyPrint ever gets.

One template (``reports/report.html``) is both the in-app report page and the PDF source.
``SafeFetcher`` serves the app's own static files and the workspace's own media; it refuses
the file system at large and the network.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from assessments.reports.selectors import report_context
from assessments.results.domain.results import Results
from assessments.workspaces.models import Assessment

# WeasyPrint logs every layout step at INFO: hundreds of lines per report.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


# WeasyPrint resolves relative URLs against this origin; ``.invalid`` never resolves, and the
# fetcher maps only its /static/ and /media/ paths to files.
REPORT_BASE_URL = "https://report.invalid/"


class FetchRefused(ValueError):
    """WeasyPrint asked for something outside the app's static files or the workspace's media."""


class SafeFetcher(URLFetcher):
    """Serves the app's static files and one workspace's media files; refuses the rest."""

    def __init__(self, workspace_id: int | None = None):
        super().__init__(allowed_protocols=("data", "https"), allow_redirects=False)
        self.workspace_id = workspace_id
        self.requested: list[str] = []

    def fetch(self, url, headers=None):
        self.requested.append(url)
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = self.local_path(url)
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type})

    def local_path(self, url: str) -> Path:
        if not url.startswith(REPORT_BASE_URL):
            raise FetchRefused(f"Reports may not fetch {url[:200]!r}.")
        parts = urlsplit(url)
        name = posixpath.normpath(unquote(parts.path)).lstrip("/")
        if ".." in name.split("/") or "\\" in name or "\x00" in name:
            raise FetchRefused(f"Reports may not fetch {url[:200]!r}.")
        static_prefix = "/".join(["", settings.STATIC_URL.strip("/"), ""]).lstrip("/")
        media_prefix = "/".join(["", settings.MEDIA_URL.strip("/"), ""]).lstrip("/")
        if name.startswith(static_prefix):
            found = self.static_file(name.removeprefix(static_prefix))
        elif name.startswith(media_prefix):
            found = self.media_file(name.removeprefix(media_prefix))
        else:
            found = None
        if found is None:
            raise FetchRefused(f"Reports may not fetch {url[:200]!r}.")
        return found

    @staticmethod
    def static_file(name: str) -> Path | None:
        collected = Path(settings.STATIC_ROOT, name).resolve()
        if collected.is_relative_to(Path(settings.STATIC_ROOT).resolve()) and collected.is_file():
            return collected
        found = finders.find(name)
        return Path(found) if found else None

    def media_file(self, name: str) -> Path | None:
        if self.workspace_id is None or not name.startswith(f"workspaces/{self.workspace_id}/"):
            return None
        root = Path(settings.MEDIA_ROOT).resolve()
        path = Path(root, name).resolve()
        return path if path.is_relative_to(root) and path.is_file() else None


def report_html(
    assessment: Assessment, results: Results, *, consultant_notes: bool = False, **extra
) -> str:
    """The report as a standalone document, for WeasyPrint (and benchmarks)."""
    context = {
        **report_context(assessment, results, consultant_notes=consultant_notes),
        "document": True,
        **extra,
    }
    return render_to_string("reports/report.html", context)


# A user stylesheet, so report.css must not set a size: author rules would win over it.
PAGE_SIZES = {"a4": "A4", "letter": "letter"}


def pdf_from_html(html: str, workspace_id: int | None, page_size: str = "a4") -> bytes:
    fetcher = SafeFetcher(workspace_id)
    stylesheets = [CSS(string=f"@page {{ size: {PAGE_SIZES[page_size]}; }}")]
    return HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher).write_pdf(
        stylesheets=stylesheets
    )
