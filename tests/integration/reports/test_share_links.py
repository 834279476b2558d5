"""Read-only share links: no account, expiry and revoke, not indexable, nothing editable."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.reports.models import ReportFile, ShareLink
from assessments.workspaces.models import Role


@pytest.fixture
def link(assessment, owner, login):
    login(owner.user).post(reverse("share_create", args=[assessment.pk]), {"days": "7"})
    return assessment.share_links.get()


def test_share_link_shows_the_report_without_an_account(link, assessment):
    response = Client().get(reverse("share", args=[link.token]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Executive summary" in page
    assert assessment.system.name in page
    assert '<meta name="robots" content="noindex">' in page
    assert response["X-Robots-Tag"].startswith("noindex")
    assert response["Referrer-Policy"] == "no-referrer"
    assert "Generate PDF" not in page
    assert "csrfmiddlewaretoken" not in page
    assert "<form" not in page


def test_share_link_expires(link):
    assert link.expires_at - timezone.now() > timedelta(days=6)
    with time_machine.travel(link.expires_at + timedelta(seconds=1)):
        response = Client().get(reverse("share", args=[link.token]))
    assert response.status_code == 404
    assert "no longer opens a report" in response.content.decode()
    assert response["X-Robots-Tag"].startswith("noindex")


def test_revoked_share_link_is_gone(link, owner, login):
    response = login(owner.user).post(reverse("share_revoke", args=[link.pk]))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert Client().get(reverse("share", args=[link.token])).status_code == 404
    assert Client().get(reverse("share_pdf", args=[link.token])).status_code == 404


def test_unknown_token_is_404(db):
    assert Client().get(reverse("share", args=["nope"])).status_code == 404


def test_share_link_offers_the_pdf_when_one_is_ready(link, assessment, settings, tmp_path):
    report = ReportFile.objects.create(
        assessment=assessment, status=ReportFile.Status.READY, state_fingerprint=""
    )
    from django.core.files.base import ContentFile

    report.file.save("r.pdf", ContentFile(b"%PDF-1.7 test"))
    page = Client().get(reverse("share", args=[link.token])).content.decode()
    assert reverse("share_pdf", args=[link.token]) in page
    response = Client().get(reverse("share_pdf", args=[link.token]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 test"
    assert response["Referrer-Policy"] == "no-referrer"


def test_share_token_reaches_no_edit_endpoint(link, assessment, bank_version):
    anonymous = Client()
    question = bank_version.questions.first()
    assert anonymous.post(reverse("share", args=[link.token])).status_code == 405
    assert anonymous.post(reverse("share_pdf", args=[link.token])).status_code == 405
    for url in (
        reverse("report_generate", args=[assessment.pk]),
        reverse("share_create", args=[assessment.pk]),
        reverse("share_revoke", args=[link.pk]),
        reverse("answer", args=[assessment.pk, question.key]),
        reverse("roadmap_item_update", args=[assessment.pk, "x"]),
        reverse("assessment_submit", args=[assessment.pk]),
    ):
        response = anonymous.post(url, {"token": link.token, "level": "3", "status": "done"})
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/login/"), url
    assert not assessment.reports.exists()
    assert assessment.share_links.count() == 1
    assert not assessment.answers.exists()


def test_viewer_cannot_create_or_revoke_share_links(link, assessment, make_member, login):
    viewer = login(make_member(Role.VIEWER, workspace=assessment.system.workspace).user)
    assert viewer.post(reverse("share_create", args=[assessment.pk])).status_code == 403
    assert viewer.post(reverse("share_revoke", args=[link.pk])).status_code == 403
    assert ShareLink.objects.get(pk=link.pk).revoked_at is None


def test_only_editors_see_share_links(link, assessment, make_member, login):
    viewer = login(make_member(Role.VIEWER, workspace=assessment.system.workspace).user)
    page = viewer.get(reverse("report", args=[assessment.pk])).content.decode()
    assert link.token not in page
