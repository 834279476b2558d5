"""Reads that put an assessment's answers, its probe evidence and the bank together.

Results are computed on every request (scoring one assessment takes a few milliseconds),
so they always reflect the latest answers and probe runs: there is no "recalculate".
"""

from django.db.models import Q
from django.urls import reverse

from assessments.bank.models import Question
from assessments.bank.selectors import custom_question_rows
from assessments.questionnaire.models import Answer
from assessments.questionnaire.selectors import consultant_notes_shown
from assessments.results.domain import scoring
from assessments.results.domain.overrides import (
    OVERRIDE_SEVERITIES,
    SeverityOverride,
    apply_overrides,
)
from assessments.results.domain.results import Results
from assessments.results.domain.roadmap import build_roadmap, find_out_key, needs_finding_out
from assessments.results.domain.scoring import (
    AnswerValue,
    CapacityInputs,
    EvidenceResult,
    score_assessment,
)
from assessments.results.models import FindingReview, RoadmapEntry, RoadmapStatus
from assessments.workspaces.models import Assessment, person_name
from assessments.workspaces.selectors import assessment_rows, members_who_can_see
from checks.engine.ids import CHECK_TITLES
from checks.selectors import burst_measurements, latest_burst, latest_evidence, latest_results
from config.compiled import CompiledRows
from config.fragments import fields_and_people

ANSWER_VALUES = ("question__key", "state", "level")  # all scoring reads of an answer


def page_inputs(assessment: Assessment) -> tuple:
    """Everything the results and roadmap pages are built from, as plain values read in
    seven queries without scoring: the assessment, its system and workspace and the
    reader's membership scope; the bank version and the workspace's custom questions; the
    answers, finding reviews and roadmap entries (with the people they name); the probe
    evidence and capacity burst; whether consultant notes are shown. A digest of these
    names the pages' rendered parts in the cache (config/fragments.py), so a change to any
    of them renders the pages afresh."""
    system = assessment.system
    return (
        *assessment_rows(assessment),
        custom_question_rows(system.workspace_id),
        answer_rows(assessment.pk),
        review_rows(assessment.pk),
        entry_rows(assessment.pk),
        evidence_rows(system.pk),
        burst_rows(system.pk),
        consultant_notes_shown(assessment),  # from the workspace's memberships
    )


answer_rows = CompiledRows(
    lambda assessment_id: (
        Answer.objects.filter(assessment=assessment_id).order_by("pk").values_list(*ANSWER_VALUES)
    )
)
review_rows = CompiledRows(
    lambda assessment_id: (
        FindingReview.objects.filter(assessment=assessment_id)
        .order_by("pk")
        .values_list(*fields_and_people(FindingReview, "updated_by"))
    )
)
entry_rows = CompiledRows(
    lambda assessment_id: (
        RoadmapEntry.objects.filter(assessment=assessment_id)
        .order_by("pk")
        .values_list(*fields_and_people(RoadmapEntry, "owner_member__user"))
    )
)
evidence_rows = CompiledRows(lambda system_id: latest_results(system_id).values_list())
burst_rows = CompiledRows(lambda system_id: burst_measurements(system_id)[:1])


def assessment_results(
    assessment: Assessment, evidence: list[EvidenceResult] | None = None, burst=None
) -> Results:
    """Score an assessment; three queries (questions, answers, finding reviews) plus what
    the caller passes. Overrides are applied here, once, so every page, export and PDF agrees."""
    rows = list(Question.objects.for_assessment(assessment))
    questions = [row.as_bank_question() for row in rows]
    answers = {
        key: AnswerValue(key, state, level)
        for key, state, level in assessment.answers.values_list(*ANSWER_VALUES)
    }
    system = assessment.system
    capacity = CapacityInputs(
        target_users=system.target_users,
        requests_per_user_per_minute=system.requests_per_user_per_minute,
        peak_factor=system.peak_factor,
        measured_rps=burst.sustained_rps if burst else None,
        measured_p95_ms=burst.p95_ms if burst else None,
    )
    score = score_assessment(questions, answers, assessment.band, evidence or (), capacity)
    reviews = {
        review.question_key: review
        for review in FindingReview.objects.filter(assessment=assessment).select_related(
            "updated_by"
        )
    }
    score, applied = apply_overrides(score, severity_overrides(reviews.values()))
    return Results(
        score=score,
        roadmap=build_roadmap(questions, score),
        questions={q.id: q for q in questions},
        area_titles=assessment.bank_version.area_titles(),
        overrides=applied,
        reviews=reviews,
    )


def severity_overrides(reviews) -> list[SeverityOverride]:
    # Only rows the review form can write; anything else (say, set by hand) keeps the computed one.
    return [
        SeverityOverride(review.question_key, review.severity, review.reason)
        for review in reviews
        if review.severity in OVERRIDE_SEVERITIES and review.reason.strip()
    ]


def system_results(assessment):
    """Score with the system's latest probe evidence, when the probe engine has some."""
    evidence, burst = probe_evidence(assessment.system)
    return assessment_results(assessment, evidence, burst)


def probe_evidence(system):
    evidence = [scoring.EvidenceResult(**result) for result in latest_evidence(system)]
    return evidence, latest_burst(system)


def first_steps(assessment, computed_roadmap, count=5):
    """The roadmap's top items, without those a consultant hid or marked done."""
    skipped = set(
        assessment.roadmap_entries.filter(
            Q(hidden=True) | Q(status=RoadmapStatus.DONE)
        ).values_list("key", flat=True)
    )
    items = computed_roadmap.top(count + len(skipped))
    return [item for item in items if item.recommendation_id not in skipped][:count]


def item_titles(results: Results) -> dict[str, str]:
    """Every item the plan can hold, by key: each recommendation of the assessment's questions
    and each question's find-out step. Names items that left the plan, for people."""
    titles = {}
    for question in results.questions.values():
        titles[find_out_key(question.id)] = f"Find out: {question.topic}"
        for recommendation in question.recommendations:
            titles[recommendation.id] = recommendation.title
    return titles


def question_links(assessment: Assessment, results: Results, question_ids) -> list[dict]:
    """For each question: its practice in words, where it is answered, and its roadmap step."""
    steps = {}
    for item in results.roadmap.items:
        for question_id in item.question_ids:
            steps.setdefault(question_id, item.recommendation_id)
    roadmap_url = reverse("roadmap", args=[assessment.pk])
    links = []
    for question_id in question_ids:
        question = results.questions[question_id]
        area_url = reverse("assessment_area", args=[assessment.pk, question.area])
        step = steps.get(question_id)
        links.append(
            {
                "topic": question.topic,
                "text": question.text,
                "question_url": f"{area_url}#{Question(key=question_id).dom_id}",
                "step_url": f"{roadmap_url}#item-{step}" if step else "",
            }
        )
    return links


def verdict_context(assessment: Assessment, results: Results) -> dict:
    """The verdict as pages show it: the lead reason, then known critical gaps, what is not
    known yet and what the verdict rests on, each practice linked to its question and step."""
    groups = {"critical_gap": [], "unknown": [], "coverage": []}
    lead, *rest = results.score.reasons
    for reason in rest:
        groups.get(reason.theme, groups["coverage"]).append(
            {"text": reason.text, "links": question_links(assessment, results, reason.question_ids)}
        )
    return {
        "lead": lead.text,
        "known_gaps": groups["critical_gap"],
        "unknowns": groups["unknown"],
        "rests_on": groups["coverage"],
    }


def unknowns_to_find_out(assessment: Assessment, results: Results) -> list[dict]:
    """What nobody could answer and matters at the target scale, critical first."""
    wanted = [q for q in results.score.unknowns if needs_finding_out(q)]
    wanted.sort(key=lambda q: (not q.critical, -q.weight))
    links = question_links(assessment, results, [q.question_id for q in wanted])
    return [
        {**link, "critical": q.critical, "state": q.state}
        for q, link in zip(wanted, links, strict=True)
    ]


def contradiction_rows(results: Results) -> list[dict]:
    """Claims the probes disproved, with each observation named by its check's title."""
    return [
        {
            "c": contradiction,
            "question": results.questions[contradiction.question_id],
            "observed": [
                {"result": result, "title": CHECK_TITLES.get(result.check_id, "A probe check")}
                for result in contradiction.observed
            ],
        }
        for contradiction in results.score.contradictions
    ]


def roadmap_owner_choices(assessment: Assessment) -> list[tuple[str, str]]:
    """The owner picker's choices: each member who can see the assessment, as (e-mail, label)
    in one query; the form takes the e-mail back (``RoadmapEntryForm``)."""
    choices = []
    for member in members_who_can_see(assessment):
        email, name = member.user.email, person_name(member.user)
        choices.append((email, name if name == email else f"{name} ({email})"))
    return choices
