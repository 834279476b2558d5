"""Report branding: logo uploads are validated and re-encoded; colour and footer reach reports."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from assessments.reports.models import Branding, ReportFile
from assessments.reports.pdf import pdf_from_html
from assessments.reports.services import report_render
from assessments.workspaces.models import Role


def image_bytes(image_format: str, size=(120, 60), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (29, 78, 216)).save(out, image_format, **save)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def post_branding(client, workspace, **fields):
    data = {
        "primary_colour": "#0e9384",
        "footer_text": "Acme Consulting",
        "page_size": "a4",
        **fields,
    }
    return client.post(reverse("branding", args=[workspace.pk]), data)


def test_png_logo_is_re_encoded_and_shown_on_the_report(owner, assessment, login):
    client = login(owner.user)
    payload = image_bytes("PNG") + b"<script>trailing payload</script>"
    response = post_branding(client, owner.workspace, logo=upload("logo.png", payload, "image/png"))
    assert response.status_code == 302
    branding = Branding.objects.get(workspace=owner.workspace)
    stored = branding.logo.open("rb").read()
    assert b"trailing payload" not in stored
    assert Image.open(io.BytesIO(stored)).format == "PNG"
    page = client.get(reverse("report", args=[assessment.pk])).content.decode()
    assert 'src="data:image/png;base64,' in page
    assert 'fill="#0e9384"' in page
    assert "Acme Consulting" in page


@pytest.mark.parametrize(
    ("name", "data", "content_type", "message"),
    [
        ("logo.gif", image_bytes("GIF"), "image/gif", "Use a PNG or JPEG logo"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50, "image/png", "not a readable"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", "not a"),
        (
            "logo.png",
            image_bytes("PNG") + b"\x00" * (1024 * 1024),
            "image/png",
            "the limit is 1 MB",
        ),
    ],
)
def test_bad_logos_are_rejected_with_a_clear_message(
    name, data, content_type, message, owner, login
):
    client = login(owner.user)
    response = post_branding(client, owner.workspace, logo=upload(name, data, content_type))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Branding.objects.filter(workspace=owner.workspace).exists()


def test_colour_must_be_hex(owner, login):
    response = post_branding(login(owner.user), owner.workspace, primary_colour="red;}")
    assert response.status_code == 422
    assert "#1d4ed8" in response.content.decode()


def test_viewer_cannot_change_branding(make_member, login):
    viewer = make_member(Role.VIEWER)
    response = post_branding(login(viewer.user), viewer.workspace)
    assert response.status_code == 403
    assert not Branding.objects.exists()


@pytest.mark.parametrize(("page_size", "width_pt"), [("a4", 595), ("letter", 612)])
def test_pdf_page_size_follows_the_setting(page_size, width_pt):
    pdf = pdf_from_html("<p>Hello</p>", None, page_size)
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert round(float(box.width)) == width_pt


def test_branded_pdf_uses_the_workspace_page_size_and_footer(owner, assessment, login):
    post_branding(login(owner.user), owner.workspace, page_size="letter")
    report = ReportFile.objects.create(assessment=assessment, state_fingerprint="")
    report_render(report.pk)
    report.refresh_from_db()
    reader = PdfReader(report.file.open("rb"))
    assert round(float(reader.pages[0].mediabox.width)) == 612
    assert "Acme Consulting" in reader.pages[2].extract_text()
