"""Input that tried to bypass the rules: deeply nested files, oversized imports, links with
other schemes, long roadmap keys. Every failure is a message in words and nothing is saved."""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from assessments.bank.models import Question
from assessments.questionnaire.domain.answer_limits import MAX_EVIDENCE_LINKS, MAX_NOTES
from assessments.questionnaire.models import Answer
from assessments.questionnaire.selectors import answers_export
from assessments.results.models import RoadmapEntry
from tests.factories import AnswerFactory, AssessmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(owner, bank_version, login):
    assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    question = Question.objects.filter(bank_version=bank_version).order_by("position").first()
    AnswerFactory(assessment=assessment, question=question, level=1, notes="before")
    return {"assessment": assessment, "question": question, "client": login(owner.user)}


def upload(client, assessment, content: bytes):
    file = io.BytesIO(content)
    file.name = "answers.json"
    url = reverse("assessment_import", args=[assessment.pk])
    return client.post(url, {"file": file}, follow=True)


def saved(assessment) -> list[tuple]:
    return list(Answer.objects.filter(assessment=assessment).values_list("state", "level", "notes"))


def export_with(assessment, **row_changes) -> bytes:
    document = answers_export(assessment)
    document["answers"][0].update(row_changes)
    return json.dumps(document).encode()


def test_a_deeply_nested_file_is_refused_before_parsing(setup):
    before = saved(setup["assessment"])
    content = b"[" * 1000 + b"]" * 1000  # 2 KB
    response = upload(setup["client"], setup["assessment"], content)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "more than 20 levels deep" in page
    assert saved(setup["assessment"]) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"notes": "x" * 900_000}, "characters long; at most 5,000"),
        ({"na_reason": "y" * 5000, "state": "na", "level": None}, "at most 1,000"),
        ({"evidence_links": ["https://ok.example/"] * 503}, "503 evidence links; at most 10"),
        ({"evidence_links": ["javascript:alert(1)"]}, "is not an http(s) link"),
        ({"evidence_links": ["file:///etc/passwd"]}, "is not an http(s) link"),
        ({"evidence_links": ["https:///no-host"]}, "is not an http(s) link"),
        ({"evidence_links": [42]}, "must be text"),
    ],
)
def test_import_rows_obey_the_answer_limits(setup, changes, message):
    before = saved(setup["assessment"])
    content = export_with(setup["assessment"], **changes)
    assert len(content) < 1024 * 1024
    response = upload(setup["client"], setup["assessment"], content)
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert message in page
    assert saved(setup["assessment"]) == before


@pytest.mark.parametrize(
    ("links", "message"),
    [
        ("javascript:alert(1)", "is not an http(s) link"),
        ("\n".join(f"https://e.example/{n}" for n in range(11)), "11 evidence links; at most 10"),
    ],
)
def test_the_answer_form_uses_the_same_rules(setup, links, message):
    assessment, question = setup["assessment"], setup["question"]
    url = reverse("answer", args=[assessment.pk, question.key])
    response = setup["client"].post(
        url, {"choice": "2", "base_version": 1, "evidence_links": links}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert saved(assessment) == [("level", 1, "before")]


def test_the_model_and_the_database_refuse_what_slips_past_a_form(setup):
    answer = Answer.objects.get(assessment=setup["assessment"])
    answer.evidence_links = ["javascript:alert(1)"]
    with pytest.raises(ValidationError, match="not an http"):
        answer.full_clean()
    for field, value in (
        ("notes", "z" * (MAX_NOTES + 1)),
        ("evidence_links", ["https://e.example/"] * (MAX_EVIDENCE_LINKS + 1)),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Answer.objects.filter(pk=answer.pk).update(**{field: value}, answered_at=timezone.now())
    assert saved(setup["assessment"]) == [("level", 1, "before")]


def test_a_3000_character_roadmap_key_is_refused_and_never_stored(setup):
    assessment = setup["assessment"]
    for key in ("a" * 3000, "../../etc", "Item With Spaces"):
        url = f"/assessments/{assessment.pk}/roadmap/items/{key}/"
        assert setup["client"].post(url, {"status": "done"}).status_code == 404
        assert setup["client"].post(url + "move/", {"direction": "up"}).status_code == 404
    assert not RoadmapEntry.objects.filter(assessment=assessment).exists()
    # A key the plan has still works (a well-formed key the plan lacks is 404 too).
    roadmap = setup["client"].get(f"/assessments/{assessment.pk}/roadmap/")
    real = roadmap.context["edited"].visible_rows()[0].key
    ok = setup["client"].post(
        f"/assessments/{assessment.pk}/roadmap/items/{real}/", {"status": "done", "owner": ""}
    )
    assert ok.status_code == 302
    assert RoadmapEntry.objects.get(assessment=assessment, key=real).status == "done"
    made_up = f"/assessments/{assessment.pk}/roadmap/items/custom-9/"
    assert setup["client"].post(made_up, {"status": "done"}).status_code == 404
