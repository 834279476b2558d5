"""The results page (verdict, area scores, findings, contradictions, headroom), reviewing a
finding, the editable roadmap and the methodology page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments.bank.domain.bank import PHASES
from assessments.bank.models import Question
from assessments.results.domain import scoring
from assessments.results.domain.charts import area_chart
from assessments.results.domain.edited_roadmap import apply_edits
from assessments.results.domain.methodology import METHODOLOGY
from assessments.results.forms import CustomRoadmapItemForm, FindingReviewForm, RoadmapEntryForm
from assessments.results.models import RoadmapStatus
from assessments.results.selectors import (
    contradiction_rows,
    first_steps,
    item_titles,
    system_results,
    unknowns_to_find_out,
    verdict_context,
)
from assessments.results.services import (
    RoadmapEditRefused,
    custom_item_create,
    entry_for,
    entry_snapshot,
    finding_review_save,
    roadmap_entry_save,
    roadmap_mark_reviewed,
    roadmap_move,
)
from assessments.workspaces import access
from assessments.workspaces.selectors import assessment_for

ROADMAP_PAGE = "results/roadmap.html"


@login_required
def results_view(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id)
    return render(request, "results/results.html", results_context(assessment))


def finding_forms(assessment, results, bound=None) -> dict:
    """A review form per finding, for owners and consultants only; ``bound`` replaces one."""
    reviews = results.reviews
    forms = {}
    for question_score in results.score.gaps:
        key = question_score.question_id
        applied = results.overrides.get(key)
        computed = applied.computed if applied else question_score.severity
        review = reviews.get(key)
        initial = {
            "severity": review.severity if review else "",
            "reason": review.reason if review else "",
            "consultant_notes": review.consultant_notes if review else "",
        }
        auto_id = f"{Question(key=key).dom_id}-review-%s"
        forms[key] = FindingReviewForm(initial=initial, computed=computed, auto_id=auto_id)
    if bound is not None:
        forms[bound[0]] = bound[1]
    return forms


def results_context(assessment, bound_review=None) -> dict:
    results = system_results(assessment)
    score = results.score
    can_consult = access.role_allows(assessment.member_role, access.CONSULT)
    forms = finding_forms(assessment, results, bound_review) if can_consult else {}
    gaps_by_area = {}
    for question_score in score.gaps:
        question = results.questions[question_score.question_id]
        gaps_by_area.setdefault(results.area_titles.get(question.area, question.area), []).append(
            {
                "score": question_score,
                "question": question,
                "dom_id": Question(key=question.id).dom_id,
                "override": results.overrides.get(question.id),
                "form": forms.get(question.id),
            }
        )
    return {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "score": score,
        "chart": area_chart(score.areas, results.area_titles),
        "gaps_by_area": gaps_by_area,
        "verdict": verdict_context(assessment, results),
        "to_find_out": unknowns_to_find_out(assessment, results),
        "contradictions": contradiction_rows(results),
        "confidence": {
            name: sum(1 for q in score.questions if q.confidence == name)
            for name in scoring.CONFIDENCES
        },
        "top_items": first_steps(assessment, results.roadmap),
        "headroom": score.headroom,
        "can_consult": can_consult,
        # Where the system stands in the portfolio: loaded from the portfolio app as a fragment.
        "show_percentiles": not access.is_limited(assessment),
    }


@login_required
@require_POST
def finding_review(request, assessment_id, question_key):
    """Save a finding's severity override and consultant notes (owners and consultants)."""
    assessment = assessment_for(request.user, assessment_id, access.CONSULT)
    results = system_results(assessment)
    if question_key not in results.questions:
        raise Http404("No such question in this assessment.")
    back = reverse("results", args=[assessment.pk]) + f"#{Question(key=question_key).dom_id}"
    question_score = results.score.get(question_key)
    if question_score is None or not question_score.is_gap:
        messages.error(request, "This question has no gap any more, so there is nothing to review.")
        return redirect(back)
    applied = results.overrides.get(question_key)
    computed = applied.computed if applied else question_score.severity
    auto_id = f"{Question(key=question_key).dom_id}-review-%s"
    form = FindingReviewForm(request.POST, computed=computed, auto_id=auto_id)
    if not form.is_valid():
        messages.error(request, "Not saved: fix the review marked below.")
        context = results_context(assessment, bound_review=(question_key, form))
        return render(request, "results/results.html", context, status=422)
    changed = finding_review_save(
        assessment, question_key, request.user, computed=computed, **form.cleaned_data
    )
    messages.success(request, "Finding review saved." if changed else "Nothing changed.")
    return redirect(back)


def roadmap_context(request, assessment):
    results = system_results(assessment)
    entries = list(assessment.roadmap_entries.all())
    if assessment.roadmap_seen is None:
        roadmap_mark_reviewed(assessment, apply_edits(results.roadmap, entries, None))
    edited = apply_edits(
        results.roadmap, entries, assessment.roadmap_seen, known_titles=item_titles(results)
    )
    filters = {
        "phase": request.GET.get("phase", ""),
        "severity": request.GET.get("severity", ""),
        "status": request.GET.get("status", ""),
        "quick": request.GET.get("quick", ""),
    }

    def keep(row):
        return (
            (not filters["phase"] or str(row.phase) == filters["phase"])
            and (not filters["severity"] or row.severity == filters["severity"])
            and (not filters["status"] or row.status == filters["status"])
            and (not filters["quick"] or row.quick_win)
        )

    phases = [
        {"number": n, "title": PHASES[n], "rows": [r for r in edited.phases[n] if keep(r)]}
        for n in PHASES
    ]
    can_edit = access.role_allows(assessment.member_role, access.EDIT)
    return {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "phases": phases,
        "edited": edited,
        "filters": filters,
        "filtered": any(filters.values()),
        "can_edit": can_edit,
        "statuses": RoadmapStatus.choices,
        "severities": [s for s in scoring.SEVERITIES if s != "none"],
        "phase_choices": PHASES.items(),
        "custom_form": CustomRoadmapItemForm(),
        "area_titles": results.area_titles,
    }


@login_required
def roadmap_view(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id)
    context = roadmap_context(request, assessment)
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{ROADMAP_PAGE}#roadmap_list", context)
    return render(request, ROADMAP_PAGE, context)


def back_to_roadmap(request, assessment, anchor=""):
    if request.htmx:
        context = roadmap_context(request, assessment)
        return render(request, f"{ROADMAP_PAGE}#roadmap_list", context)
    return redirect(reverse("roadmap", args=[assessment.pk]) + anchor)


@login_required
@require_POST
def roadmap_item_update(request, assessment_id, key):
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    entry = entry_for(assessment, key)
    before = entry_snapshot(entry)
    form = RoadmapEntryForm(request.POST, instance=entry)
    if form.is_valid():
        roadmap_entry_save(assessment, form.save(commit=False), request.user, before)
        if not request.htmx:
            messages.success(request, "Roadmap item updated.")
    else:
        errors = " ".join(e for field_errors in form.errors.values() for e in field_errors)
        messages.error(request, f"Not saved: {errors}")
        if request.htmx:
            context = roadmap_context(request, assessment)
            context["row_errors"] = {key: errors}
            return render(request, f"{ROADMAP_PAGE}#roadmap_list", context, status=422)
    return back_to_roadmap(request, assessment, f"#item-{key}")


@login_required
@require_POST
def roadmap_item_move(request, assessment_id, key):
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    direction = -1 if request.POST.get("direction") == "up" else 1
    edited = roadmap_context(request, assessment)["edited"]
    try:
        roadmap_move(assessment, edited, key, direction, request.user)
    except RoadmapEditRefused as exc:
        messages.error(request, str(exc))
    return back_to_roadmap(request, assessment, f"#item-{key}")


@login_required
@require_POST
def roadmap_custom_add(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    form = CustomRoadmapItemForm(request.POST)
    if form.is_valid():
        custom_item_create(assessment, request.user, **form.cleaned_data)
        messages.success(request, "Item added to the roadmap.")
        return redirect("roadmap", assessment.pk)
    context = roadmap_context(request, assessment)
    context["custom_form"] = form
    return render(request, ROADMAP_PAGE, context, status=422)


@login_required
@require_POST
def roadmap_reviewed(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    roadmap_mark_reviewed(assessment, roadmap_context(request, assessment)["edited"])
    messages.success(request, "Noted. Changes from now on are compared with this roadmap.")
    return redirect("roadmap", assessment.pk)


def methodology(request):
    """How scores, verdicts and the roadmap are made, generated from the code's constants."""
    return render(request, "results/methodology.html", {"sections": METHODOLOGY})
