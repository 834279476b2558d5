"""Export/import of answers, bank upgrades and the load_bank command."""

import io
import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessments.bank.domain.loader import BANK_DIR, load_bank
from assessments.bank.models import BankVersion, Question
from assessments.bank.services import BankVersionConflict, bank_version_store
from assessments.questionnaire.models import Answer
from assessments.workspaces.models import Role
from tests.factories import AnswerFactory, AssessmentFactory


def answer_some(assessment, user):
    questions = list(
        Question.objects.filter(bank_version=assessment.bank_version).order_by("position")
    )
    AnswerFactory(
        assessment=assessment,
        question=questions[0],
        level=2,
        notes="Ünïcode & <b>notes</b>",
        answered_by=user,
    )
    AnswerFactory(
        assessment=assessment,
        question=questions[1],
        state="na",
        level=None,
        na_reason="No mobile app",
        answered_by=user,
    )
    AnswerFactory(
        assessment=assessment, question=questions[2], state="unknown", level=None, answered_by=user
    )
    AnswerFactory(
        assessment=assessment,
        question=questions[5],
        level=3,
        evidence_links=["https://wiki.example.com/a", "https://grafana.example.com/d/1"],
        answered_by=user,
    )


def export(client, assessment) -> dict:
    response = client.get(reverse("assessment_export", args=[assessment.pk]))
    assert response.status_code == 200
    assert "attachment;" in response.headers["Content-Disposition"]
    return json.loads(response.content)


def upload(client, assessment, content: bytes, name="answers.json"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(
        reverse("assessment_import", args=[assessment.pk]), {"file": file}, follow=True
    )


def test_export_then_import_into_another_assessment_round_trips_exactly(
    assessment, owner, login, bank_version
):
    answer_some(assessment, owner.user)
    other = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    client = login(owner.user)
    exported = export(client, assessment)
    assert len(exported["answers"]) == 4
    response = upload(client, other, json.dumps(exported).encode())
    assert "Imported 4 answers" in response.content.decode()
    assert export(client, other)["answers"] == exported["answers"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "This file is not valid JSON"),
        (b"\xff\xfe\x00", "This file is not valid JSON"),
        (b"[]", "must hold a JSON object"),
        (
            json.dumps({"format": "other"}).encode(),
            "`format` must be &#x27;scaleready.answers&#x27;",
        ),
    ],
)
def test_malformed_files_are_rejected_and_nothing_changes(
    content, message, assessment, owner, login
):
    answer_some(assessment, owner.user)
    before = list(Answer.objects.values_list("question__key", "state", "level", "version"))
    response = upload(login(owner.user), assessment, content)
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert message in page
    assert list(Answer.objects.values_list("question__key", "state", "level", "version")) == before


def test_a_file_from_another_bank_version_is_rejected(assessment, owner, login):
    client = login(owner.user)
    document = export(client, assessment)
    document["bank_version"] = "2020.1.1"
    page = upload(client, assessment, json.dumps(document).encode()).content.decode()
    assert "exported from question bank &#x27;2020.1.1&#x27;" in page


def test_unknown_question_ids_and_bad_values_are_all_reported_and_nothing_is_applied(
    assessment, owner, login
):
    answer_some(assessment, owner.user)
    client = login(owner.user)
    document = export(client, assessment)
    document["answers"][0]["level"] = 7
    document["answers"][1]["na_reason"] = ""
    document["answers"].append({"question": "made.up_question", "state": "level", "level": 1})
    page = upload(client, assessment, json.dumps(document).encode()).content.decode()
    assert "Nothing was imported" in page
    assert "level must be one of" in page
    assert "a &#x27;not applicable&#x27; answer needs na_reason" in page
    assert "unknown question id &#x27;made.up_question&#x27;" in page
    assert Answer.objects.filter(assessment=assessment).count() == 4
    assert Answer.objects.get(assessment=assessment, state="na").na_reason == "No mobile app"


def test_an_oversized_file_is_rejected(assessment, owner, login):
    page = upload(login(owner.user), assessment, b" " * (1024 * 1024 + 1)).content.decode()
    assert "larger than 1024 KB" in page


def test_viewer_cannot_import(assessment, owner, make_member, login):
    viewer = make_member(Role.VIEWER, workspace=owner.workspace)
    response = login(viewer.user).post(reverse("assessment_import", args=[assessment.pk]), {})
    assert response.status_code == 403


# --- Bank versions ------------------------------------------------------------------------------


@pytest.fixture
def newer_bank_dir(tmp_path) -> Path:
    """A copy of the shipped bank as version 2099.1.1: one question removed, one changed."""
    directory = tmp_path / "bank"
    shutil.copytree(BANK_DIR, directory, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    manifest = (directory / "manifest.toml").read_text()
    (directory / "manifest.toml").write_text(
        manifest.replace(f'version = "{load_bank().version}"', 'version = "2099.1.1"')
    )
    shipped = load_bank()
    depended_on = {dep for rec in shipped.recommendations for dep in rec.depends_on}
    # Remove a question no other recommendation depends on, so the bank stays valid.
    gone = next(q for q in shipped.questions if not {r.id for r in q.recommendations} & depended_on)
    removed = gone.id
    changed = next(q.id for q in shipped.questions_in_area(gone.area) if q.id != removed)
    area_file = directory / f"{gone.area}.toml"
    text = area_file.read_text()
    document = tomllib.loads(text)
    changed_text = next(q["text"] for q in document["question"] if q["id"] == changed)
    start = text.index(f'id = "{removed}"')
    block_start = text.rfind("[[question]]", 0, start)
    block_end = text.index("[[question]]", start)
    text = text[:block_start] + text[block_end:]
    text = text.replace(changed_text, "Reworded: " + changed_text)
    area_file.write_text(text)
    return directory, removed, changed


def test_loading_the_same_bank_twice_changes_nothing(db, capsys):
    call_command("load_bank")
    call_command("load_bank")
    assert BankVersion.objects.count() == 1
    assert "already loaded, nothing changed" in capsys.readouterr().out


def test_a_changed_bank_without_a_new_version_is_refused(db, newer_bank_dir):
    directory, _, _ = newer_bank_dir
    (directory / "manifest.toml").write_text(
        (directory / "manifest.toml").read_text().replace("2099.1.1", load_bank().version)
    )
    call_command("load_bank")
    with pytest.raises(CommandError, match="already loaded with different content"):
        call_command("load_bank", directory=directory)


def test_an_invalid_bank_is_refused_with_its_problems(db, tmp_path):
    (tmp_path / "manifest.toml").write_text('version = "1"\nareas = ["ghost"]\n')
    with pytest.raises(CommandError, match=re.escape("lists 'ghost' but ghost.toml is missing")):
        call_command("load_bank", directory=tmp_path)


def test_upgrading_shows_the_diff_first_then_moves_the_answers(
    assessment, owner, login, newer_bank_dir, make_member
):
    directory, removed, changed = newer_bank_dir
    kept = Question.objects.get(
        bank_version=assessment.bank_version, key="database.query_performance"
    )
    gone = Question.objects.get(bank_version=assessment.bank_version, key=removed)
    AnswerFactory(assessment=assessment, question=kept, level=2, answered_by=owner.user)
    AnswerFactory(assessment=assessment, question=gone, level=1, answered_by=owner.user)
    newer, created = bank_version_store(load_bank(directory))
    assert created
    client = login(owner.user)
    assert (
        "A newer question bank (2099.1.1)"
        in client.get(assessment.get_absolute_url()).content.decode()
    )

    consultant = make_member(Role.CONSULTANT, workspace=owner.workspace)
    assert (
        login(consultant.user).get(reverse("assessment_upgrade", args=[assessment.pk])).status_code
        == 403
    )

    preview = client.get(reverse("assessment_upgrade", args=[assessment.pk]))
    assert preview.context["diff"].removed == (removed,)
    assert [c.question_id for c in preview.context["diff"].changed] == [changed]
    assert preview.context["lost_answers"] == [gone.text]
    page = preview.content.decode()
    assert gone.text in page
    assert removed not in page  # questions in words, never their ids
    assessment.refresh_from_db()
    assert assessment.bank_version.version == load_bank().version  # nothing applied by looking

    client.post(reverse("assessment_upgrade", args=[assessment.pk]))
    assessment.refresh_from_db()
    assert assessment.bank_version == newer
    answers = list(assessment.answers.select_related("question"))
    assert [(a.question.key, a.question.bank_version_id, a.level) for a in answers] == [
        ("database.query_performance", newer.pk, 2)
    ]


def test_bank_version_conflict_is_raised_by_the_store(db):
    bank = load_bank()
    bank_version_store(bank)
    BankVersion.objects.filter(version=bank.version).update(content_hash="0" * 64)
    with pytest.raises(BankVersionConflict):
        bank_version_store(bank)
