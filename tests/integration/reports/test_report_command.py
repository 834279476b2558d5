"""``manage.py report``: the deliverable from an answers file, and input it refuses."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from docx import Document
from pypdf import PdfReader

from assessments.workspaces.models import Assessment, Workspace
from tests.profiles import PROFILES

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def answers_file(tmp_path, bank_version):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(PROFILES["early_startup"]()))
    return path


def test_renders_the_pdf_and_the_docx_and_leaves_nothing_behind(answers_file, tmp_path):
    out = io.StringIO()
    pdf, docx = tmp_path / "out.pdf", tmp_path / "out.docx"
    call_command(
        "report",
        str(answers_file),
        "--target-users",
        "100000",
        "--pdf",
        str(pdf),
        "--docx",
        str(docx),
        stdout=out,
    )
    assert "Wrote" in out.getvalue()
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Early startup" in text
    assert "Executive summary" in text
    assert "Up to 100K users" in text
    headings = [p.text for p in Document(docx).paragraphs if p.style.name == "Heading 1"]
    assert "Executive summary" in headings
    assert not Assessment.objects.exists()
    assert not Workspace.objects.exists()


def refused(*args) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("report", *args)
    assert caught.value.returncode == 2
    return str(caught.value)


def test_refused_input_exits_2_with_a_clear_message(answers_file, tmp_path):
    pdf = str(tmp_path / "out.pdf")
    assert "does not exist" in refused(
        str(tmp_path / "nope.json"), "--target-users", "10", "--pdf", pdf
    )
    assert "above 0" in refused(str(answers_file), "--target-users", "0", "--pdf", pdf)
    assert "must end in .pdf" in refused(
        str(answers_file), "--target-users", "10", "--pdf", str(tmp_path / "out.txt")
    )
    assert "does not exist" in refused(
        str(answers_file), "--target-users", "10", "--pdf", str(tmp_path / "no" / "out.pdf")
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    assert "scaleready.answers" in refused(str(bad), "--target-users", "10", "--pdf", pdf)
    assert "probe report" in refused(
        str(answers_file), "--target-users", "10", "--pdf", pdf, "--checks", str(bad)
    )
    wrong_level = json.loads(answers_file.read_text())
    wrong_level["answers"][0]["level"] = 9
    bad.write_text(json.dumps(wrong_level))
    assert "not a valid answers file" in refused(str(bad), "--target-users", "10", "--pdf", pdf)
    assert not Path(pdf).exists()


def test_runs_as_typed_on_a_fresh_database_migrated_on_demand(answers_file, tmp_path):
    """The README's line in a shell: no settings exported (no DEBUG, no SECRET_KEY), a
    database that does not exist yet (a scratch file instead of var/, so the developer's one
    is left alone: the only variable given)."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
    }
    pdf = tmp_path / "deliverable.pdf"
    command = [
        sys.executable,
        "manage.py",
        "report",
        str(answers_file),
        "--target-users",
        "100000",
        "--pdf",
        str(pdf),
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Preparing the database" in done.stderr
    assert len(PdfReader(pdf).pages) > 20
    done = subprocess.run(
        [*command[:3], str(tmp_path / "missing.json"), *command[4:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "missing.json: not a valid answers file" in done.stderr
    assert "Traceback" not in done.stderr
