"""Template conventions a browser would otherwise catch one page at a time."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
ANCHOR = re.compile(r"<a\b[^>]*>", re.S)
FILE_URL = re.compile(r"""href="\{% url '([a-z_]*(?:export|download|pdf|csv|xlsx)[a-z_]*)'""")


def test_links_to_files_are_real_downloads_not_boosted_swaps():
    """The body is hx-boosted: a boosted link to a file would fetch it with htmx and swap the
    bytes into the page instead of downloading it."""
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for tag in ANCHOR.findall(template.read_text()):
            if FILE_URL.search(tag) and not ('hx-boost="false"' in tag and " download" in tag):
                offenders.append(f"{template.relative_to(TEMPLATES)}: {tag}")
    assert offenders == []


def test_the_scan_recognises_file_links():
    tag = """<a href="{% url 'report_download' report.pk %}">"""
    assert FILE_URL.search(tag)
    assert not FILE_URL.search("""<a href="{% url 'report' assessment.pk %}">""")
