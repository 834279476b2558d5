import pytest
from django.urls import reverse

from assessments.bank.models import Question
from assessments.questionnaire.models import Answer
from assessments.workspaces.models import Role
from tests.integration.questionnaire.test_questionnaire import save

VALID = {
    "area": "security",
    "text": "Do you meet the regulator's data residency rules?",
    "topic": "Data residency checks",
    "help": "Fines and forced shutdowns follow when customer data leaves the allowed region.",
    "weight": "3",
    "critical": "100k",
    "option_0": "We have not checked",
    "option_1": "",
    "option_2": "Documented, checked yearly",
    "option_3": "",
    "option_4": "Enforced by policy as code",
    "find_out": "Ask legal which regions are allowed\nList the region of every data store",
    "required_1k": "0",
    "required_10k": "2",
    "required_100k": "2",
    "required_1m": "4",
    "required_gt1m": "4",
    "rec_title": "Map and enforce data residency",
    "rec_why": "You cannot defend what you have not mapped.",
    "rec_how": "List every data store and its region\nBlock other regions with an org policy",
    "rec_effort": "M",
    "rec_impact": "3",
    "rec_phase": "5",
}


def test_a_custom_question_joins_every_assessment_and_is_answered_like_the_rest(
    assessment, owner, login
):
    client = login(owner.user)
    response = client.post(reverse("custom_question_list", args=[owner.workspace.pk]), VALID)
    assert response.status_code == 302
    question = Question.objects.get(workspace=owner.workspace)
    assert question.key.startswith("security.custom_do_you_meet")
    assert [o["level"] for o in question.options] == [0, 2, 4]
    assert question.required == {"1k": 0, "10k": 2, "100k": 2, "1m": 4, "gt1m": 4}
    assert question.recommendations[0]["levels"] == [0, 1, 2, 3]
    assert question.topic == "Data residency checks"
    assert question.critical_from == "100k"
    assert question.find_out == [
        "Ask legal which regions are allowed",
        "List the region of every data store",
    ]
    parsed = question.as_bank_question()
    assert parsed.critical
    assert [parsed.is_critical_at(band) for band in ("10k", "100k", "gt1m")] == [False, True, True]

    area = client.get(reverse("assessment_area", args=[assessment.pk, "security"])).content.decode()
    assert "data residency rules" in area
    assert save(client, assessment, question, choice="2").status_code == 200
    assert Answer.objects.get(question=question).level == 2
    exported = client.get(reverse("assessment_export", args=[assessment.pk])).json()
    assert question.key in {a["question"] for a in exported["answers"]}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"option_2": "", "option_4": ""}, "3 to 5 options"),
        ({"required_10k": "0", "required_1k": "2"}, "must not decrease"),
        ({"required_gt1m": "4", "option_4": ""}, "highest option level"),
        ({"rec_how": "Only one step"}, "how"),
        ({"rec_title": ""}, "title"),
        ({"text": ""}, "This field is required"),
        ({"topic": ""}, "This field is required"),
        ({"topic": "DB"}, "at least 3 characters"),
        ({"topic": "Data Residency Checks"}, "sentence case"),
        ({"find_out": "Ask legal"}, "2 to 4 steps"),
        ({"critical": "huge"}, "Select a valid choice"),
    ],
)
def test_an_invalid_custom_question_is_refused_with_the_reason_and_keeps_the_input(
    changes, message, owner, login, bank_version
):
    response = login(owner.user).post(
        reverse("custom_question_list", args=[owner.workspace.pk]), {**VALID, **changes}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page, page[page.find("form-errors") : page.find("form-errors") + 600]
    assert "Fines and forced shutdowns follow" in page  # what was typed is kept
    assert not Question.objects.filter(workspace=owner.workspace).exists()


def test_deleting_a_custom_question_removes_its_answers_after_confirmation(
    assessment, owner, login
):
    client = login(owner.user)
    client.post(reverse("custom_question_list", args=[owner.workspace.pk]), VALID)
    question = Question.objects.get(workspace=owner.workspace)
    save(client, assessment, question, choice="4")
    confirm = client.get(reverse("custom_question_delete", args=[question.pk])).content.decode()
    assert "Its 1 answers" in confirm
    client.post(reverse("custom_question_delete", args=[question.pk]))
    assert not Question.objects.filter(pk=question.pk).exists()
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_bank_questions_cannot_be_deleted_through_the_custom_question_url(
    owner, login, bank_version
):
    shipped = bank_version.questions.first()
    response = login(owner.user).post(reverse("custom_question_delete", args=[shipped.pk]))
    assert response.status_code == 404
    assert Question.objects.filter(pk=shipped.pk).exists()


def test_custom_questions_of_one_workspace_never_appear_in_another(
    assessment, owner, make_member, login, bank_version
):
    other = make_member(Role.OWNER)
    login(other.user).post(reverse("custom_question_list", args=[other.workspace.pk]), VALID)
    area = login(owner.user).get(reverse("assessment_area", args=[assessment.pk, "security"]))
    assert "data residency rules" not in area.content.decode()


def test_viewer_cannot_add_custom_questions(owner, make_member, login, bank_version):
    viewer = make_member(Role.VIEWER, workspace=owner.workspace)
    response = login(viewer.user).post(
        reverse("custom_question_list", args=[owner.workspace.pk]), VALID
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("changes", "critical_from"),
    [({"critical": ""}, ""), ({"critical": "1k"}, "1k"), ({"critical": "gt1m"}, "gt1m")],
)
def test_a_custom_question_is_critical_from_the_band_chosen(
    changes, critical_from, owner, login, bank_version
):
    login(owner.user).post(
        reverse("custom_question_list", args=[owner.workspace.pk]), {**VALID, **changes}
    )
    question = Question.objects.get(workspace=owner.workspace)
    assert question.critical_from == critical_from
    assert question.critical is bool(critical_from)


def test_a_critical_custom_question_may_leave_how_to_find_out_empty(owner, login, bank_version):
    response = login(owner.user).post(
        reverse("custom_question_list", args=[owner.workspace.pk]),
        {**VALID, "critical": "1k", "weight": "3", "find_out": ""},
    )
    assert response.status_code == 302
    assert Question.objects.get(workspace=owner.workspace).find_out == []


def test_the_custom_question_list_shows_the_short_name_and_criticality(owner, login, bank_version):
    client = login(owner.user)
    client.post(reverse("custom_question_list", args=[owner.workspace.pk]), VALID)
    page = client.get(reverse("custom_question_list", args=[owner.workspace.pk])).content.decode()
    assert "Data residency checks" in page
    assert "Critical" in page
