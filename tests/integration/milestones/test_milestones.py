"""Milestones through the app: starting from the previous assessment, confirming what was
carried over, comparing two assessments of one system, and the report's progress section."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.bank.models import BankVersion, Question
from assessments.bank.services import question_fields
from assessments.milestones.domain.comparison import in_time_order, milestone_compare
from assessments.milestones.selectors import milestone_input
from assessments.milestones.services import assessment_carry_over
from assessments.questionnaire.models import Answer
from assessments.questionnaire.services import answers_import
from assessments.reports.models import ReportFile
from assessments.reports.services import report_render
from assessments.results.models import RoadmapEntry
from assessments.results.selectors import assessment_results
from assessments.workspaces.models import Assessment, Role
from checks.models import ProbeResult, ProbeRun
from tests.factories import AreaAssignmentFactory, AssessmentFactory, SystemFactory
from tests.profiles import PROFILES, TARGET_USERS

HTMX = {"HTTP_HX_REQUEST": "true"}
FLAG = "Carried over — please confirm"


def profile_assessment(system, bank_version, profile, user, title, **fields):
    assessment = AssessmentFactory(system=system, bank_version=bank_version, title=title, **fields)
    answers_import(assessment, PROFILES[profile](), user)
    return assessment


@pytest.fixture
def system(owner):
    return SystemFactory(workspace=owner.workspace, target_users=TARGET_USERS["early_startup"])


@pytest.fixture
def first(system, bank_version, owner):
    """The system's first assessment: the early startup, with notes and roadmap edits."""
    assessment = profile_assessment(system, bank_version, "early_startup", owner.user, "Q1 audit")
    answer = assessment.answers.select_related("question").order_by("question__key").first()
    answer.notes = "We restore weekly."
    answer.evidence_links = ["https://runbooks.example/restore"]
    answer.consultant_notes = "Ask for the last restore log."
    answer.save()
    RoadmapEntry.objects.create(
        assessment=assessment, key="custom-1", is_custom=True, title="Hire an SRE", owner="Ana"
    )
    RoadmapEntry.objects.create(assessment=assessment, key="db.backups", status="doing")
    return assessment


def start_from(client, system, source, **data):
    form = {"title": "Q3 audit", "band": "100k", "carried_from": source.pk if source else ""}
    return client.post(reverse("assessment_create", args=[system.pk]), {**form, **data})


def answer_rows(assessment):
    return {
        row["question__key"]: row
        for row in assessment.answers.values(
            "question__key",
            "state",
            "level",
            "na_reason",
            "notes",
            "evidence_links",
            "consultant_notes",
        )
    }


# --- Starting from the previous assessment ------------------------------------------------


def test_the_start_page_offers_the_systems_latest_assessment_to_start_from(
    system, first, bank_version, owner, login
):
    later = AssessmentFactory(system=system, bank_version=bank_version, title="Q2 audit")
    other_system = AssessmentFactory(
        system__workspace=owner.workspace, bank_version=bank_version, title="Elsewhere"
    )
    response = login(owner.user).get(reverse("assessment_create", args=[system.pk]))
    field = response.context["form"]["carried_from"]
    assert field.value() == later.pk
    page = response.content.decode()
    for text in ("Start from", "Q1 audit", "Q2 audit"):
        assert text in page
    assert other_system.title not in page


def test_a_systems_first_assessment_has_nothing_to_start_from(system, owner, login):
    response = login(owner.user).get(reverse("assessment_create", args=[system.pk]))
    assert "carried_from" not in response.context["form"].fields
    assert "Start from" not in response.content.decode()


def test_starting_from_the_previous_assessment_copies_answers_flagged_and_the_roadmap_edits(
    system, first, owner, login
):
    client = login(owner.user)
    response = start_from(client, system, first)
    new = Assessment.objects.get(title="Q3 audit")
    assert response.status_code == 302
    assert response.url == new.get_absolute_url()
    assert new.carried_from == first
    assert answer_rows(new) == answer_rows(first)
    assert new.answers.count() == first.answers.count() > 90
    assert not new.answers.filter(carried_over=False).exists()
    assert not first.answers.filter(carried_over=True).exists()
    entries = {e.key: (e.is_custom, e.title, e.owner, e.status) for e in new.roadmap_entries.all()}
    assert entries == {
        "custom-1": (True, "Hire an SRE", "Ana", "todo"),
        "db.backups": (False, "", "", "doing"),
    }
    followed = client.get(response.url)
    assert f"{first.answers.count()} answers copied" in followed.content.decode()


def test_carried_over_answers_score_like_the_originals(system, first, owner, bank_version):
    carried = assessment_carry_over(
        source=first, user=owner.user, bank_version=bank_version, band="100k", title="Next"
    )
    assert carried.dropped == 0
    assert assessment_results(carried.assessment).score == assessment_results(first).score


def test_a_source_from_another_workspace_is_refused_and_nothing_is_created(
    system, owner, bank_version, login
):
    foreign = AssessmentFactory(bank_version=bank_version)  # another workspace
    answers_import(foreign, PROFILES["early_startup"](), owner.user)
    AssessmentFactory(system=system, bank_version=bank_version)  # so the field is offered
    before = Assessment.objects.count()
    response = start_from(login(owner.user), system, foreign)
    assert response.status_code == 200
    assert response.context["form"].errors["carried_from"] == [
        "Choose one of this system's assessments, or nothing."
    ]
    assert response.context["form"]["title"].value() == "Q3 audit"  # the input stays
    assert Assessment.objects.count() == before


def test_a_source_of_another_system_in_the_workspace_is_refused(
    system, first, owner, bank_version, login
):
    elsewhere = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    response = start_from(login(owner.user), system, elsewhere)
    assert response.status_code == 200
    assert not Assessment.objects.filter(title="Q3 audit").exists()


def test_answers_to_questions_missing_from_the_new_bank_are_dropped_and_counted(
    system, owner, bank_version, login
):
    old = BankVersion.objects.create(version="0.9-test", content_hash="x", areas=bank_version.areas)
    questions = list(bank_version.questions.all())
    retired, narrowed = questions[0], questions[1]
    for position, question in enumerate([*questions[1:], retired]):
        fields = question_fields(question.as_bank_question())
        if question == retired:
            fields["key"] = "old.retired_question"
        if question == narrowed:  # the old bank offered a level the new one no longer has
            fields["options"] = [
                *fields["options"],
                {"level": 9, "label": "Beyond", "description": "Gone"},
            ]
        Question.objects.create(bank_version=old, position=position, **fields)
    source = AssessmentFactory(system=system, bank_version=old, title="On the old bank")
    now = timezone.now()
    Answer.objects.bulk_create(
        Answer(assessment=source, question=q, state="level", level=1, answered_at=now)
        for q in old.questions.exclude(key=narrowed.key)
    )
    Answer.objects.create(
        assessment=source,
        question=old.questions.get(key=narrowed.key),
        state="level",
        level=9,
        answered_at=now,
    )
    client = login(owner.user)
    response = start_from(client, system, source)
    new = Assessment.objects.get(title="Q3 audit")
    assert new.bank_version == bank_version
    copied = set(new.answers.values_list("question__key", flat=True))
    assert copied == {q.key for q in questions} - {retired.key, narrowed.key}
    assert new.answers.filter(question__bank_version=bank_version).count() == len(copied)
    page = client.get(response.url).content.decode()
    assert "2 answers were not copied" in page


@pytest.mark.parametrize("extra_entries", [0, 40])
def test_carrying_over_takes_the_same_queries_whatever_it_copies(
    extra_entries, system, first, owner, bank_version
):
    RoadmapEntry.objects.bulk_create(
        RoadmapEntry(assessment=first, key=f"custom-{n + 2}", is_custom=True, title="x")
        for n in range(extra_entries)
    )
    small = AssessmentFactory(system=system, bank_version=bank_version)
    Answer.objects.create(
        assessment=small,
        question=bank_version.questions.first(),
        state="unknown",
        answered_at=timezone.now(),
    )
    RoadmapEntry.objects.create(assessment=small, key="custom-1", is_custom=True, title="x")

    def queries(source):
        with CaptureQueriesContext(connection) as run:
            assessment_carry_over(
                source=source, user=owner.user, bank_version=bank_version, band="100k", title="N"
            )
        return [q["sql"] for q in run.captured_queries]

    one, many = queries(small), queries(first)

    # Only the bulk inserts may split, into batches of SQLite's parameter limit.
    def reads(sqls):
        return [q for q in sqls if not q.startswith("INSERT")]

    assert len(reads(many)) == len(reads(one))
    assert sum(q.startswith("INSERT") for q in many) <= 6


# --- Confirming ------------------------------------------------------------------------------


@pytest.fixture
def carried(first, owner, bank_version):
    return assessment_carry_over(
        source=first, user=owner.user, bank_version=bank_version, band="100k", title="Q3 audit"
    ).assessment


def area_of(assessment):
    return assessment.answers.order_by("question__key").first().question.area


def test_carried_over_answers_are_flagged_on_the_area_page_and_counted_on_the_overview(
    carried, owner, login
):
    client = login(owner.user)
    area = area_of(carried)
    in_area = carried.answers.filter(question__area=area).count()
    page = client.get(reverse("assessment_area", args=[carried.pk, area])).content.decode()
    assert page.count(FLAG) == in_area
    assert "Confirm all in this area" in page
    overview = client.get(carried.get_absolute_url())
    counts = {a.id: a.to_confirm for a in overview.context["areas"]}
    assert counts[area] == in_area
    assert sum(counts.values()) == carried.answers.count()
    assert f"{in_area} to confirm" in overview.content.decode()


def test_confirming_one_answer_with_htmx_swaps_its_card_without_the_flag(carried, owner, login):
    client = login(owner.user)
    answer = carried.answers.select_related("question").order_by("question__key").first()
    url = reverse("answer_confirm", args=[carried.pk, answer.question.key])
    response = client.post(url, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#{answer.question.dom_id}"
    card = response.content.decode()
    assert FLAG not in card
    assert answer.question.text in card
    answer.refresh_from_db()
    assert not answer.carried_over
    assert carried.answers.filter(carried_over=True).count() == carried.answers.count() - 1


def test_confirming_one_answer_without_javascript_redirects_back_to_it(carried, owner, login):
    answer = carried.answers.select_related("question").order_by("question__key").first()
    response = login(owner.user).post(
        reverse("answer_confirm", args=[carried.pk, answer.question.key])
    )
    assert response.status_code == 302
    assert response.url.endswith(f"#{answer.question.dom_id}")
    answer.refresh_from_db()
    assert not answer.carried_over


def test_a_get_never_confirms(carried, owner, login):
    answer = carried.answers.select_related("question").first()
    login(owner.user).get(reverse("answer_confirm", args=[carried.pk, answer.question.key]))
    login(owner.user).get(reverse("area_confirm", args=[carried.pk, answer.question.area]))
    assert not carried.answers.filter(carried_over=False).exists()


def test_confirm_all_clears_the_flags_of_one_area_only(carried, owner, login):
    area = area_of(carried)
    response = login(owner.user).post(reverse("area_confirm", args=[carried.pk, area]), follow=True)
    in_area = carried.answers.filter(question__area=area)
    assert not in_area.filter(carried_over=True).exists()
    assert carried.answers.exclude(question__area=area).filter(carried_over=False).count() == 0
    assert f"{in_area.count()} carried-over answers confirmed." in response.content.decode()
    assert FLAG not in response.content.decode()


def test_saving_a_changed_answer_clears_its_flag(carried, owner, login):
    answer = carried.answers.select_related("question").order_by("question__key").first()
    response = login(owner.user).post(
        reverse("answer", args=[carried.pk, answer.question.key]),
        {"choice": "unknown", "base_version": answer.version},
        **HTMX,
    )
    assert response.status_code == 200
    # The saved status removes the card's flag in place (an out-of-band swap).
    assert f'id="{answer.question.dom_id}-carried" hx-swap-oob="delete"' in (
        response.content.decode()
    )
    answer.refresh_from_db()
    assert (answer.state, answer.carried_over) == ("unknown", False)
    assert carried.answers.filter(carried_over=True).count() == carried.answers.count() - 1
    # Saved again, the card has no flag left to remove: no out-of-band swap without a target.
    again = login(owner.user).post(
        reverse("answer", args=[carried.pk, answer.question.key]),
        {"choice": "unknown", "base_version": answer.version},
        **HTMX,
    )
    assert "hx-swap-oob" not in again.content.decode()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CONTRIBUTOR])
def test_who_may_not_answer_may_not_confirm(role, carried, make_member, login):
    member = make_member(role, workspace=carried.system.workspace)
    client = login(member.user)
    answer = carried.answers.select_related("question").first()
    htmx = client.post(reverse("answer_confirm", args=[carried.pk, answer.question.key]), **HTMX)
    assert htmx.status_code == 403
    client.post(reverse("answer_confirm", args=[carried.pk, answer.question.key]))
    client.post(reverse("area_confirm", args=[carried.pk, answer.question.area]))
    assert not carried.answers.filter(carried_over=False).exists()


def test_a_contributor_confirms_the_area_assigned_to_them(carried, make_member, login):
    contributor = make_member(Role.CONTRIBUTOR, workspace=carried.system.workspace)
    area = area_of(carried)
    AreaAssignmentFactory(assessment=carried, area=area, user=contributor.user)
    login(contributor.user).post(reverse("area_confirm", args=[carried.pk, area]))
    assert not carried.answers.filter(question__area=area, carried_over=True).exists()


def test_submitting_with_unconfirmed_answers_is_allowed_and_warns_how_many(carried, owner, login):
    client = login(owner.user)
    area = area_of(carried)
    client.post(reverse("area_confirm", args=[carried.pk, area]))
    left = carried.answers.filter(carried_over=True).count()
    overview = client.get(carried.get_absolute_url()).content.decode()
    assert f"{left} carried-over answers not confirmed yet" in overview
    response = client.post(reverse("assessment_submit", args=[carried.pk]), follow=True)
    carried.refresh_from_db()
    assert carried.is_submitted
    assert f"{left} carried-over answers were never confirmed" in response.content.decode()


def test_nothing_is_carried_over_to_another_workspace(first, owner, make_member, login):
    outsider = make_member(Role.OWNER)
    their_system = SystemFactory(workspace=outsider.workspace)
    AssessmentFactory(system=their_system, bank_version=first.bank_version, title="Theirs")
    response = start_from(login(outsider.user), their_system, first)
    assert response.status_code == 200  # the form says what to fix; nothing was copied
    assert not their_system.assessments.exclude(title="Theirs").exists()
    assert not Answer.objects.filter(assessment__system=their_system).exists()
    # And the confirm URLs of another workspace's assessment do not exist for them.
    carried = assessment_carry_over(
        source=first,
        user=owner.user,
        bank_version=first.bank_version,
        band="100k",
        title="Theirs",
    ).assessment
    area = area_of(carried)
    assert (
        login(outsider.user).post(reverse("area_confirm", args=[carried.pk, area])).status_code
        == 404
    )
    assert not carried.answers.filter(carried_over=False).exists()


# --- Comparing ------------------------------------------------------------------------------


@pytest.fixture
def second(system, first, bank_version, owner):
    """Six months on: the growing product, with roadmap items done."""
    assessment = profile_assessment(
        system, bank_version, "growing_product", owner.user, "Q3 audit", carried_from=first
    )
    RoadmapEntry.objects.create(
        assessment=assessment, key="custom-1", is_custom=True, title="Hire an SRE", status="done"
    )
    return assessment


def test_the_compare_page_shows_exactly_the_expected_deltas_and_findings(
    first, second, owner, login
):
    response = login(owner.user).get(reverse("milestone_compare", args=[second.pk, first.pk]))
    assert response.status_code == 200
    comparison = response.context["comparison"]
    before, after = assessment_results(first).score, assessment_results(second).score
    assert comparison.older.assessment_id == first.pk  # time order, whatever the URL order
    assert comparison.overall_delta == round(after.overall - before.overall, 1)

    def expected_delta(area):
        was, now = before.area(area.area).score, after.area(area.area).score
        return None if was is None or now is None else round(now - was, 1)

    assert {a.area: a.delta for a in comparison.areas} == {
        a.area: expected_delta(a) for a in before.areas
    }
    # An area with nothing known yet on one side has no delta rather than a fake one.
    assert any(a.delta is None for a in comparison.areas) == any(
        after.area(a.area).score is None for a in before.areas
    )
    gaps_before = {q.question_id for q in before.gaps}
    gaps_after = {q.question_id for q in after.gaps}
    assert {f.key for f in comparison.resolved} == gaps_before - gaps_after
    assert {f.key for f in comparison.new} == gaps_after - gaps_before
    assert {f.key for f in comparison.unchanged} == gaps_before & gaps_after
    assert comparison.verdict_change == "better"
    assert [(i.key, i.title) for i in comparison.roadmap_done] == [("custom-1", "Hire an SRE")]
    page = response.content.decode()
    assert "Progress since Q1 audit" in page
    for text in ("Not ready", "At risk", "<svg", "Hire an SRE"):
        assert text in page
    assert f"{len(gaps_before - gaps_after)} resolved" in page
    # Long lists fold on the page; the report prints them whole.
    assert f"<summary>Resolved ({len(gaps_before - gaps_after)})</summary>" in page
    swapped = login(owner.user).get(reverse("milestone_compare", args=[first.pk, second.pk]))
    assert swapped.context["comparison"] == comparison


def test_probe_check_changes_use_the_latest_run_before_each_submission(
    system, first, second, owner, login
):
    url = "https://app.example/"
    now = timezone.now()

    def run(finished_at, statuses):
        probe_run = ProbeRun.objects.create(
            system=system, status="succeeded", target_urls=[url], finished_at=finished_at
        )
        for check_id, status in statuses.items():
            ProbeResult.objects.create(
                run=probe_run,
                target_url=url,
                check_id=check_id,
                category="headers",
                status=status,
                score=0,
                message="",
            )

    Assessment.objects.filter(pk=first.pk).update(submitted_at=now - timedelta(days=90))
    run(now - timedelta(days=100), {"hsts": "fail", "csp": "warn"})
    run(now - timedelta(days=95), {"hsts": "fail", "csp": "pass", "ttfb": "pass"})  # latest
    run(now - timedelta(days=10), {"hsts": "pass", "csp": "pass", "ttfb": "fail"})
    failed = ProbeRun.objects.create(system=system, status="failed", finished_at=now)
    ProbeResult.objects.create(
        run=failed, target_url=url, check_id="hsts", category="x", status="fail", score=0
    )
    response = login(owner.user).get(reverse("milestone_compare", args=[first.pk, second.pk]))
    comparison = response.context["comparison"]
    changes = {(c.check_id, c.before, c.after, c.direction) for c in comparison.checks_changed}
    assert changes == {("hsts", "fail", "pass", "better"), ("ttfb", "pass", "fail", "worse")}
    assert comparison.checks_unchanged == 1


def test_comparing_an_assessment_with_itself_says_so(first, owner, login):
    response = login(owner.user).get(reverse("milestone_compare", args=[first.pk, first.pk]))
    assert response.status_code == 200
    assert response.context["comparison"] is None
    assert "That is the same assessment" in response.content.decode()


def test_the_picker_lists_the_systems_other_assessments_and_goes_to_the_comparison(
    first, second, owner, login, bank_version
):
    AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version, title="Else")
    client = login(owner.user)
    page = client.get(reverse("milestone_pick", args=[second.pk]))
    assert [a.pk for a in page.context["others"]] == [first.pk]
    assert "Else" not in page.content.decode()
    chosen = client.get(reverse("milestone_pick", args=[second.pk]), {"other": first.pk})
    assert chosen.url == reverse("milestone_compare", args=[second.pk, first.pk])
    alone = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    empty = client.get(reverse("milestone_pick", args=[alone.pk])).content.decode()
    assert "no other assessment to compare with yet" in empty


def test_the_system_and_overview_pages_link_to_the_comparison(first, second, owner, login):
    client = login(owner.user)
    system_page = client.get(first.system.get_absolute_url()).content.decode()
    assert reverse("milestone_pick", args=[second.pk]) in system_page
    overview = client.get(second.get_absolute_url()).content.decode()
    assert reverse("milestone_pick", args=[second.pk]) in overview


def test_assessments_of_different_systems_cannot_be_compared(first, owner, login, bank_version):
    elsewhere = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    client = login(owner.user)
    assert (
        client.get(reverse("milestone_compare", args=[first.pk, elsewhere.pk])).status_code == 404
    )
    assert (
        client.get(reverse("milestone_compare", args=[elsewhere.pk, first.pk])).status_code == 404
    )


def test_an_assessment_of_another_workspace_cannot_be_compared(first, make_member, login):
    outsider = make_member(Role.OWNER)
    theirs = AssessmentFactory(
        system__workspace=outsider.workspace, bank_version=first.bank_version
    )
    client = login(outsider.user)
    assert client.get(reverse("milestone_compare", args=[theirs.pk, first.pk])).status_code == 404
    assert client.get(reverse("milestone_compare", args=[first.pk, theirs.pk])).status_code == 404
    assert client.get(reverse("milestone_pick", args=[first.pk])).status_code == 404


def test_a_viewer_can_read_the_comparison(first, second, make_member, login):
    viewer = make_member(Role.VIEWER, workspace=first.system.workspace)
    response = login(viewer.user).get(reverse("milestone_compare", args=[first.pk, second.pk]))
    assert response.status_code == 200


def test_the_compare_page_queries_do_not_grow_with_answers_or_roadmap_items(
    system, owner, bank_version, login, django_assert_num_queries, django_assert_max_num_queries
):
    older = AssessmentFactory(system=system, bank_version=bank_version, title="Empty then")
    newer = AssessmentFactory(system=system, bank_version=bank_version, title="Empty now")
    client = login(owner.user)
    url = reverse("milestone_compare", args=[newer.pk, older.pk])
    client.get(url)
    with django_assert_max_num_queries(40) as empty:
        client.get(url)
    for assessment, profile in ((older, "early_startup"), (newer, "growing_product")):
        answers_import(assessment, PROFILES[profile](), owner.user)
        RoadmapEntry.objects.bulk_create(
            RoadmapEntry(assessment=assessment, key=f"custom-{n}", is_custom=True, title="x")
            for n in range(30)
        )
    with django_assert_num_queries(len(empty.captured_queries)):
        response = client.get(url)
    assert response.context["comparison"].resolved


def test_milestone_input_scores_with_the_evidence_of_its_time(first, second):
    older, newer = in_time_order(second, first)
    assert (older, newer) == (first, second)
    comparison = milestone_compare(milestone_input(older), milestone_input(newer))
    assert comparison.newer.title == "Q3 audit"


# --- The report ---------------------------------------------------------------------------


def test_the_report_has_a_progress_section_when_a_previous_assessment_exists(
    first, second, owner, login
):
    client = login(owner.user)
    with_previous = client.get(reverse("report", args=[second.pk]))
    page = with_previous.content.decode()
    day = first.created_at.strftime("%-d %b %Y")
    assert f"Progress since Q1 audit, {day}" in page
    assert 'href="#milestone"' in page
    assert "<summary>Resolved" not in page  # the report (and its PDF) lists findings in full
    assert "<h4>Resolved</h4>" in page
    assert with_previous.context["milestone"]["comparison"].older.assessment_id == first.pk
    first_report = client.get(reverse("report", args=[first.pk])).content.decode()
    assert "Progress since" not in first_report
    assert 'id="milestone"' not in first_report


def test_without_carried_from_the_previous_is_the_latest_earlier_assessment(
    system, first, bank_version, owner, login
):
    middle = AssessmentFactory(system=system, bank_version=bank_version, title="Q2 audit")
    latest = AssessmentFactory(system=system, bank_version=bank_version, title="Q4 audit")
    page = login(owner.user).get(reverse("report", args=[latest.pk])).content.decode()
    assert "Progress since Q2 audit" in page
    assert middle.title in page


def test_the_pdf_has_the_progress_section(first, second, tmp_path):
    from pypdf import PdfReader

    report = ReportFile.objects.create(assessment=second, state_fingerprint="")
    report_render(report.pk)
    report.refresh_from_db()
    assert report.status == ReportFile.Status.READY, report.error
    path = tmp_path / "report.pdf"
    with report.file.open("rb") as pdf:
        path.write_bytes(pdf.read())
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)
    for title in ("Scalability readiness report", "Executive summary", "Progress since Q1 audit"):
        assert title in text


def test_client_staff_limited_to_one_assessment_cannot_compare_it_with_another(
    first, second, make_member, login
):
    member = make_member(Role.CONTRIBUTOR, workspace=first.system.workspace)
    member.assessment = second
    member.save()
    client = login(member.user)
    assert client.get(reverse("milestone_compare", args=[second.pk, first.pk])).status_code == 404
    picker = client.get(reverse("milestone_pick", args=[second.pk]))
    assert picker.context["others"] == []
    assert "Q1 audit" not in picker.content.decode()


def test_starting_from_a_previous_assessment_is_in_the_audit_log(system, first, owner, login):
    start_from(login(owner.user), system, first)
    new = Assessment.objects.get(title="Q3 audit")
    event = new.audit_events.get()
    assert event.actor == owner.user
    assert event.summary == f"Started from “Q1 audit”: {new.answers.count()} answers carried over"
