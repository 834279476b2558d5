import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from assessments.audit.models import AuditEvent
from assessments.bank.models import Question
from assessments.questionnaire.models import Answer
from assessments.workspaces.models import Assessment, AssessmentStatus, Role
from tests.factories import AnswerFactory, AreaAssignmentFactory, SystemFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def first_question(assessment, area="database") -> Question:
    return Question.objects.filter(bank_version=assessment.bank_version, area=area).first()


def answer_url(assessment, question) -> str:
    return reverse("answer", args=[assessment.pk, question.key])


def save(client, assessment, question, *, choice="2", base_version=0, htmx=True, **fields):
    data = {"choice": choice, "base_version": base_version, "na_reason": "", "notes": "", **fields}
    data.setdefault("evidence_links", "")
    extra = HTMX if htmx else {}
    return client.post(answer_url(assessment, question), data, **extra)


def test_starting_an_assessment_derives_the_band_from_target_users(owner, login, bank_version):
    system = SystemFactory(workspace=owner.workspace, target_users=250_000, name="Shop")
    client = login(owner.user)
    form_page = client.get(reverse("assessment_create", args=[system.pk]))
    assert form_page.context["form"].initial["band"] == "1m"
    response = client.post(
        reverse("assessment_create", args=[system.pk]), {"title": "Q4 review", "band": "100k"}
    )
    assessment = Assessment.objects.get(system=system)
    assert response.url == f"/assessments/{assessment.pk}/"
    assert assessment.band == "100k"
    assert assessment.bank_version == bank_version
    overview = client.get(response.url).content.decode()
    assert f"0 of {bank_version.questions.count()} questions answered" in overview
    for area in bank_version.areas:
        assert area["title"].replace("&", "&amp;") in overview


def test_area_page_shows_that_areas_questions_as_cards(assessment, owner, login):
    response = login(owner.user).get(reverse("assessment_area", args=[assessment.pk, "database"]))
    page = response.content.decode()
    questions = Question.objects.filter(bank_version=assessment.bank_version, area="database")
    assert page.count('class="qcard') == questions.count()
    assert all(q.dom_id in page for q in questions)
    assert "Why it matters at scale" in page


def test_unknown_area_is_404(assessment, owner, login):
    response = login(owner.user).get(reverse("assessment_area", args=[assessment.pk, "nope"]))
    assert response.status_code == 404


def test_autosave_stores_the_answer_and_bumps_the_version(assessment, owner, login):
    client = login(owner.user)
    question = first_question(assessment)
    response = save(client, assessment, question, choice="2", notes="pg_stat_statements on")
    assert response.status_code == 200
    assert "Saved" in response.content.decode()
    assert 'name="base_version" value="1"' in response.content.decode()
    answer = Answer.objects.get(assessment=assessment, question=question)
    assert (answer.state, answer.level, answer.version, answer.notes) == (
        "level",
        2,
        1,
        "pg_stat_statements on",
    )
    assert answer.answered_by == owner.user

    response = save(client, assessment, question, choice="unknown", base_version=1)
    answer.refresh_from_db()
    assert (answer.state, answer.level, answer.version) == ("unknown", None, 2)


def test_not_applicable_needs_a_reason(assessment, owner, login):
    client = login(owner.user)
    question = first_question(assessment)
    refused = save(client, assessment, question, choice="na")
    assert refused.status_code == 422
    assert "Say why this question does not apply" in refused.content.decode()
    assert not Answer.objects.exists()
    accepted = save(client, assessment, question, choice="na", na_reason="We have no database")
    assert accepted.status_code == 200
    assert Answer.objects.get().na_reason == "We have no database"


def test_an_option_the_question_does_not_have_is_refused(assessment, owner, login):
    response = save(login(owner.user), assessment, first_question(assessment), choice="9")
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


def test_evidence_links_must_be_web_links(assessment, owner, login):
    client = login(owner.user)
    question = first_question(assessment)
    bad = save(client, assessment, question, evidence_links="javascript:alert(1)")
    assert bad.status_code == 422
    assert "is not an http(s) link" in bad.content.decode()
    good = save(client, assessment, question, evidence_links="https://wiki.example.com/runbook\n")
    assert good.status_code == 200
    assert Answer.objects.get().evidence_links == ["https://wiki.example.com/runbook"]


def test_two_people_editing_the_same_answer_never_lose_a_save_silently(
    assessment, owner, make_member, login
):
    """Both load the card at version 0; the second save is refused and shows the first."""
    colleague = make_member(Role.CONSULTANT, workspace=owner.workspace)
    alice, bob = login(owner.user), login(colleague.user)
    question = first_question(assessment)

    assert (
        save(alice, assessment, question, choice="3", notes="Alice: weekly review").status_code
        == 200
    )
    conflict = save(bob, assessment, question, choice="1", notes="Bob: only when slow")
    assert conflict.status_code == 409
    assert conflict.headers["HX-Retarget"] == f"#{question.dom_id}"
    page = conflict.content.decode()
    assert "Someone else changed this answer" in page
    assert owner.user.email in page
    assert "Alice: weekly review" in page  # theirs, shown
    assert "Bob: only when slow" in page  # mine, still in the form
    answer = Answer.objects.get()
    assert (answer.level, answer.notes, answer.version) == (3, "Alice: weekly review", 1)

    # Bob chooses to overwrite: his form now carries the version he has seen.
    resolved = save(
        bob,
        assessment,
        question,
        choice="1",
        notes="Bob: only when slow",
        base_version=1,
        resolve="mine",
    )
    assert resolved.status_code == 200
    assert "Someone else changed" not in resolved.content.decode()
    answer.refresh_from_db()
    assert (answer.level, answer.version, answer.answered_by) == (1, 2, colleague.user)


def test_without_javascript_a_save_redirects_back_to_the_question(assessment, owner, login):
    question = first_question(assessment)
    response = save(login(owner.user), assessment, question, choice="1", htmx=False)
    assert response.status_code == 302
    assert response.url.endswith(f"/areas/database/#{question.dom_id}")
    assert Answer.objects.get().level == 1


def test_without_javascript_an_error_rerenders_the_page_keeping_the_input(assessment, owner, login):
    question = first_question(assessment)
    response = save(
        login(owner.user), assessment, question, choice="na", notes="typed notes", htmx=False
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Say why this question does not apply" in page
    assert "typed notes" in page
    assert f'id="{question.dom_id}-na" checked' in page


def test_contributor_answers_only_assigned_areas_and_sees_them_first(
    assessment, owner, make_member, login
):
    contributor = make_member(Role.CONTRIBUTOR, workspace=owner.workspace)
    AreaAssignmentFactory(assessment=assessment, area="cost", user=contributor.user)
    client = login(contributor.user)
    refused = save(client, assessment, first_question(assessment, "database"))
    assert refused.status_code == 403
    assert "not assigned to you" in refused.content.decode()
    assert save(client, assessment, first_question(assessment, "cost")).status_code == 200
    overview = client.get(assessment.get_absolute_url())
    assert overview.context["areas"][0].id == "cost"
    assert "Assigned to you" in overview.content.decode()


def test_viewer_cannot_answer(assessment, owner, make_member, login):
    viewer = make_member(Role.VIEWER, workspace=owner.workspace)
    response = save(login(viewer.user), assessment, first_question(assessment))
    assert response.status_code == 403
    assert not Answer.objects.exists()


def test_submit_makes_answers_read_only_until_reopened(assessment, owner, make_member, login):
    client = login(owner.user)
    question = first_question(assessment)
    client.post(reverse("assessment_submit", args=[assessment.pk]))
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    refused = save(client, assessment, question)
    assert refused.status_code == 403
    assert "submitted" in refused.content.decode()
    area = client.get(reverse("assessment_area", args=[assessment.pk, "database"])).content.decode()
    assert "<fieldset disabled>" in area

    contributor = make_member(Role.CONTRIBUTOR, workspace=owner.workspace)
    assert (
        login(contributor.user).post(reverse("assessment_reopen", args=[assessment.pk])).status_code
        == 403
    )
    client.post(reverse("assessment_reopen", args=[assessment.pk]))
    assert save(client, assessment, question).status_code == 200


def test_overview_resumes_at_the_first_unanswered_question(assessment, owner, login):
    questions = list(
        Question.objects.filter(bank_version=assessment.bank_version).order_by("position")
    )
    for question in questions[:3]:
        AnswerFactory(assessment=assessment, question=question)
    response = login(owner.user).get(assessment.get_absolute_url())
    assert response.context["resume_url"].endswith(
        f"/areas/{questions[3].area}/#{questions[3].dom_id}"
    )


def test_assigning_an_area(assessment, owner, make_member, login):
    contributor = make_member(Role.CONTRIBUTOR, workspace=owner.workspace)
    client = login(owner.user)
    client.post(
        reverse("assessment_assign", args=[assessment.pk]),
        {"area": "security", "user": contributor.user.pk},
    )
    assert assessment.assignments.get().user == contributor.user
    stranger = make_member(Role.CONTRIBUTOR)  # another workspace
    response = client.post(
        reverse("assessment_assign", args=[assessment.pk]),
        {"area": "security", "user": stranger.user.pk},
        follow=True,
    )
    assert "Choose an area and a member" in response.content.decode()
    assert assessment.assignments.get().user == contributor.user


@pytest.mark.parametrize("answers", [0, 30])
def test_area_page_query_count_does_not_grow_with_answers(
    answers, assessment, owner, login, django_assert_num_queries
):
    for question in Question.objects.filter(bank_version=assessment.bank_version)[:answers]:
        AnswerFactory(assessment=assessment, question=question, answered_by=owner.user)
    client = login(owner.user)
    url = reverse("assessment_area", args=[assessment.pk, "database"])
    # Rendered: session, user, assessment (with whether the workspace has a consultant);
    # the page's inputs (custom questions, every answer with who gave it, assignments); then
    # the questions, answers and assignments the cards show, the sidebar's area progress
    # (totals, counts, answered ids, open questions), nav workspaces
    with django_assert_num_queries(15):
        client.get(url)
    # Kept (config/fragments.py): session, user, assessment, the inputs, nav workspaces
    with django_assert_num_queries(7):
        client.get(url)


def test_a_save_takes_six_queries_in_one_transaction(
    assessment, owner, login, django_assert_num_queries
):
    client = login(owner.user)
    question = first_question(assessment)
    # session, user, assessment, question with the answer it replaces, then the update and
    # its audit event between the two statements that make them one transaction (in the test
    # transaction they are SAVEPOINT and RELEASE; in production BEGIN and COMMIT)
    save(client, assessment, question)
    with django_assert_num_queries(8) as captured:
        assert save(client, assessment, question, choice="3", base_version=1).status_code == 200
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    assert statements[4] == "SAVEPOINT"
    assert statements[5:7] == ["UPDATE", "INSERT"]
    assert statements[7] == "RELEASE"
    event = AuditEvent.objects.filter(subject=question.key).order_by("-pk").first()
    assert event.before["level"] == 2
    assert event.after["level"] == 3


def test_a_first_save_and_a_later_one_take_at_most_six_statements_with_the_counters(
    assessment, owner, login
):
    """The first answer also moves the sidebar's counters (out of band): counted with the
    question in the same statement, not by queries of their own. Savepoints of the test
    transaction are left out (a plain BEGIN/COMMIT in production)."""
    client = login(owner.user)
    question = first_question(assessment)
    counts = []
    for choice, version in (("2", 0), ("3", 1)):
        with CaptureQueriesContext(connection) as captured:
            response = save(client, assessment, question, choice=choice, base_version=version)
        assert response.status_code == 200
        counts.append(sum(1 for q in captured if "SAVEPOINT" not in q["sql"]))
        if version == 0:
            assert 'id="side-count-database" hx-swap-oob="true">1/' in response.content.decode()
    assert counts[0] <= 6
    assert counts[1] <= 6


def test_submitting_from_the_overview_lists_what_is_still_open_first(assessment, owner, login):
    client = login(owner.user)
    questions = list(
        Question.objects.filter(bank_version=assessment.bank_version).order_by("position")
    )
    first = questions[0]
    AnswerFactory(
        assessment=assessment, question=first, answered_by=owner.user, state="unknown", level=None
    )
    overview = client.get(assessment.get_absolute_url()).content.decode()
    assert 'name="step" value="review"' in overview
    response = client.post(reverse("assessment_submit", args=[assessment.pk]), {"step": "review"})
    assessment.refresh_from_db()
    assert assessment.status != AssessmentStatus.SUBMITTED
    html = response.content.decode()
    assert f"{len(questions) - 1} of {len(questions)}" in html
    assert "don&#x27;t know" in html or "don't know" in html
    area_titles = assessment.bank_version.area_titles()
    second = next(q for q in questions if q.area == first.area and q.pk != first.pk)
    assert f"#{second.dom_id}" in html  # each area links to its first open question
    assert all(escape(title) in html for title in area_titles.values())
    # Confirming submits.
    client.post(reverse("assessment_submit", args=[assessment.pk]))
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED


def test_the_overview_says_which_areas_are_not_started_and_links_their_first_question(
    assessment, owner, login
):
    questions = list(
        Question.objects.filter(bank_version=assessment.bank_version).order_by("position")
    )
    AnswerFactory(assessment=assessment, question=questions[0], answered_by=owner.user)
    html = login(owner.user).get(assessment.get_absolute_url()).content.decode()
    areas = assessment.bank_version.areas
    assert html.count(">not started<") == len(areas) - 1
    assert "next open question" in html
    for area in areas[1:]:
        first = next(q for q in questions if q.area == area["id"])
        assert (
            f"{reverse('assessment_area', args=[assessment.pk, area['id']])}#{first.dom_id}" in html
        )


def test_a_first_answer_updates_the_area_counters_out_of_band(assessment, owner, login):
    client = login(owner.user)
    question = first_question(assessment)
    total = Question.objects.filter(bank_version=assessment.bank_version, area="database").count()
    first = save(client, assessment, question).content.decode()
    assert '<span id="area-answered" hx-swap-oob="true">1</span>' in first
    assert f'id="side-count-database" hx-swap-oob="true">1/{total}</span>' in first
    # Changing an answer does not change the count: nothing else is swapped.
    again = save(client, assessment, question, choice="3", base_version=1).content.decode()
    assert 'hx-swap-oob="true"' not in again


def test_the_area_page_has_a_sidebar_of_areas_and_an_unanswered_only_filter(
    assessment, owner, login
):
    questions = list(Question.objects.filter(bank_version=assessment.bank_version, area="database"))
    AnswerFactory(assessment=assessment, question=questions[0], answered_by=owner.user)
    client = login(owner.user)
    url = reverse("assessment_area", args=[assessment.pk, "database"])
    page = client.get(url)
    html = page.content.decode()
    for area in assessment.bank_version.areas:
        assert f'id="side-count-{area["id"]}"' in html
    assert f"1/{len(questions)}</span>" in html
    assert len(page.context["cards"]) == len(questions)
    only_open = client.get(url + "?open=1")
    assert len(only_open.context["cards"]) == len(questions) - 1
    assert questions[0].dom_id not in [c["question"].dom_id for c in only_open.context["cards"]]
    assert "Show all" in only_open.content.decode()


def test_search_finds_questions_by_their_words_and_links_to_them(assessment, owner, login):
    question = first_question(assessment)
    word = max(question.text.split(), key=len).strip("?,.()")
    client = login(owner.user)
    response = client.get(assessment.get_absolute_url() + f"?q={word}")
    found = response.context["search"]["found"]
    assert question.key in [hit["question"].key for hit in found]
    assert all(word.lower() in (h["question"].text + h["question"].topic).lower() for h in found)
    assert f"#{question.dom_id}" in response.content.decode()
    nothing = client.get(assessment.get_absolute_url() + "?q=zzqxnotaword")
    assert "No question mentions that" in nothing.content.decode()
