"""The results page (verdict, area scores, findings, contradictions, headroom), reviewing a
finding, the editable roadmap and the methodology page.
"""

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from assessments.bank.domain.bank import PHASES
from assessments.bank.models import Question
from assessments.questionnaire.selectors import consultant_notes_shown
from assessments.results.domain import scoring
from assessments.results.domain.charts import radar_chart, stacked_area_chart
from assessments.results.domain.edited_roadmap import apply_edits
from assessments.results.domain.methodology import METHODOLOGY
from assessments.results.forms import CustomRoadmapItemForm, FindingReviewForm, RoadmapEntryForm
from assessments.results.models import RoadmapStatus
from assessments.results.selectors import (
    contradiction_rows,
    first_steps,
    item_titles,
    page_inputs,
    roadmap_owner_choices,
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
from assessments.workspaces.selectors import assessment_for, members_who_can_see
from config.fragments import cached_fragment

ROADMAP_PAGE = "results/roadmap.html"
ROADMAP_BODY = "results/_roadmap_body.html"  # the page's content and its partials
FOLD_ABOVE = 25  # a roadmap with more visible items than this opens with its phases folded


RESULTS_BODY = "results/_results_body.html"  # the page's content and its partials


@login_required
def results_view(request, assessment_id):
    """Scored and rendered once per change of what the page is built from (``page_inputs``)."""
    assessment = assessment_for(request.user, assessment_id)
    body = cached_fragment(
        request,
        "results",
        page_inputs(assessment),
        RESULTS_BODY,
        lambda: results_context(assessment),
        subject=assessment,
    )
    return render(request, "results/results.html", page_frame(assessment, body))


def page_frame(assessment, body) -> dict:
    """What the layout around a kept page's ``body`` shows: its title and workspace menu."""
    return {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "body": body,
    }


def url_prefix(name: str, *args) -> str:
    """``name``'s URL up to its last parameter, built once per page: each row appends its key
    and a slash in the template (a ``reverse`` per row cost more than the row itself)."""
    return reverse(name, args=[*args, "0"]).removesuffix("0/")


def review_form(assessment, results, key, data=None) -> FindingReviewForm:
    """One finding's review form: as stored, or ``data`` as typed (owners and consultants)."""
    applied = results.overrides.get(key)
    computed = applied.computed if applied else results.score.get(key).severity
    review = results.reviews.get(key)
    initial = {
        "severity": review.severity if review else "",
        "reason": review.reason if review else "",
        "consultant_notes": review.consultant_notes if review else "",
    }
    auto_id = f"{Question(key=key).dom_id}-review-%s"
    form = FindingReviewForm(data, initial=initial, computed=computed, auto_id=auto_id)
    if not consultant_notes_shown(assessment):
        # A self-service team has no consultant: the notes stay as they are, unseen.
        form.fields["consultant_notes"].widget = django_forms.HiddenInput()
    return form


def gap_row(results, question_score, *, notes_shown: bool, form=None) -> dict:
    """One row of "Known gaps by area": plain markup, and the review form only when asked."""
    key = question_score.question_id
    review = results.reviews.get(key)
    return {
        "score": question_score,
        "question": results.questions[key],
        "dom_id": Question(key=key).dom_id,
        "override": results.overrides.get(key),
        "notes": review.consultant_notes if notes_shown and review else "",
        "form": form,
    }


def results_context(assessment) -> dict:
    results = system_results(assessment)
    score = results.score
    can_consult = access.role_allows(assessment.member_role, access.CONSULT)
    notes_shown = can_consult and consultant_notes_shown(assessment)
    gaps_by_area = {}
    for question_score in score.gaps:
        question = results.questions[question_score.question_id]
        gaps_by_area.setdefault(results.area_titles.get(question.area, question.area), []).append(
            gap_row(results, question_score, notes_shown=notes_shown)
        )
    return {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "score": score,
        "chart": stacked_area_chart(score.areas, results.area_titles),
        "radar": radar_chart(score.areas, results.area_titles),
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
        "review_url": url_prefix("finding_review", assessment.pk) if can_consult else "",
        # Where the system stands in the portfolio: loaded from the portfolio app as a fragment.
        "show_percentiles": not access.is_limited(assessment),
    }


@login_required
@require_http_methods(["GET", "POST"])
def finding_review(request, assessment_id, question_key):
    """A finding's review (owners and consultants): GET shows its form, swapped into its row
    by htmx or as a page of its own without JavaScript; POST saves the severity override and
    consultant notes, answering htmx with the updated row."""
    assessment = assessment_for(request.user, assessment_id, access.CONSULT)
    results = system_results(assessment)
    if question_key not in results.questions:
        raise Http404("No such question in this assessment.")
    back = reverse("results", args=[assessment.pk]) + f"#{Question(key=question_key).dom_id}"
    question_score = results.score.get(question_key)
    if question_score is None or not question_score.is_gap:
        messages.error(request, "This question has no gap any more, so there is nothing to review.")
        # From a row (htmx), the whole page reloads: the row itself is gone from the results.
        return HttpResponseClientRedirect(back) if request.htmx else redirect(back)
    data = request.POST if request.method == "POST" else None
    form = review_form(assessment, results, question_key, data)
    if data is None:
        return review_response(request, assessment, results, question_score, form)
    if not form.is_valid():
        if not request.htmx:
            messages.error(request, "Not saved: fix the review marked below.")
        return review_response(request, assessment, results, question_score, form, status=422)
    applied = results.overrides.get(question_key)
    computed = applied.computed if applied else question_score.severity
    changed = finding_review_save(
        assessment, question_key, request.user, computed=computed, **form.cleaned_data
    )
    saved = "Finding review saved." if changed else "Nothing changed."
    if not request.htmx:
        messages.success(request, saved)
        return redirect(back)
    results = system_results(assessment)  # the override changes the row's severity
    row = gap_row(
        results, results.score.get(question_key), notes_shown=consultant_notes_shown(assessment)
    )
    context = gap_context(assessment, row | {"saved": saved})
    return render(request, f"{RESULTS_BODY}#gap_row", context)


def gap_context(assessment, gap: dict) -> dict:
    """What one gap's row (or its review page) needs, for an owner or consultant."""
    return {
        "gap": gap,
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "can_consult": True,
        "review_url": url_prefix("finding_review", assessment.pk),
    }


def review_response(request, assessment, results, question_score, form, status=200):
    """The review form: inside its row for htmx, else on a page of its own (no JavaScript)."""
    notes_shown = consultant_notes_shown(assessment)
    row = gap_row(results, question_score, notes_shown=notes_shown, form=form)
    context = gap_context(assessment, row)
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{RESULTS_BODY}#gap_row", context, status=status)
    return render(request, "results/finding_review.html", context, status=status)


def roadmap_context(request, assessment, results=None):
    """The roadmap page's context. ``results``: the assessment's scores when the request has
    them already; roadmap edits do not change them, so a request that saves an edit and
    shows the plan again scores once."""
    if results is None:
        results = system_results(assessment)
    entries = list(assessment.roadmap_entries.select_related("owner_member__user"))
    can_edit = access.role_allows(assessment.member_role, access.EDIT)
    if assessment.roadmap_seen is None and can_edit:
        # The first look of someone who reviews the plan sets the baseline "new since the
        # last review" counts from; a viewer's reading changes nothing.
        roadmap_mark_reviewed(assessment, apply_edits(results.roadmap, entries, None))
    edited = apply_edits(
        results.roadmap, entries, assessment.roadmap_seen, known_titles=item_titles(results)
    )
    filters = roadmap_filters(request)

    def keep(row):
        return (
            (not filters["phase"] or str(row.phase) == filters["phase"])
            and (not filters["severity"] or row.severity == filters["severity"])
            and (not filters["status"] or row.status == filters["status"])
            and (not filters["quick"] or row.quick_win)
        )

    filtered = any(filters.values())
    total = len(edited.visible_rows())
    phases = []
    for n in PHASES:
        rows = [r for r in edited.phases[n] if keep(r)]
        done = sum(1 for r in edited.phases[n] if r.status == RoadmapStatus.DONE)
        count = len(edited.phases[n])
        phases.append(
            {
                "number": n,
                "title": PHASES[n],
                "rows": rows,
                "total": count,
                "done": done,
                "bar": round(20 * done / count) if count else 0,
            }
        )
    # A long plan opens folded, with its first phase that has steps open; a short or
    # filtered one opens whole. The anchor of an item opens its phase (static/app.js).
    first = next((p for p in phases if p["rows"]), None)
    for phase in phases:
        phase["open"] = filtered or total <= FOLD_ABOVE or phase is first
    return {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "phases": phases,
        "edited": edited,
        "filters": filters,
        "filtered": filtered,
        "can_edit": can_edit,
        "item_url": url_prefix("roadmap_item_update", assessment.pk) if can_edit else "",
        "statuses": RoadmapStatus.choices,
        "severities": [s for s in scoring.SEVERITIES if s != "none"],
        "phase_choices": PHASES.items(),
        "custom_form": CustomRoadmapItemForm(),
        "area_titles": results.area_titles,
    }


def roadmap_filters(request) -> dict[str, str]:
    return {name: request.GET.get(name, "") for name in ("phase", "severity", "status", "quick")}


@login_required
def roadmap_view(request, assessment_id):
    """Scored and rendered once per change of what the page is built from (``page_inputs``)
    and of its filters; the first look at a plan (which sets its review baseline) renders
    afresh, as does the list alone that htmx asks for."""
    assessment = assessment_for(request.user, assessment_id)
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{ROADMAP_BODY}#roadmap_list", roadmap_context(request, assessment))
    if assessment.roadmap_seen is None:
        return render(request, ROADMAP_PAGE, roadmap_context(request, assessment))
    inputs = (page_inputs(assessment), sorted(roadmap_filters(request).items()))
    body = cached_fragment(
        request,
        "roadmap",
        inputs,
        ROADMAP_BODY,
        lambda: roadmap_context(request, assessment),
        subject=assessment,
    )
    return render(request, ROADMAP_PAGE, page_frame(assessment, body))


def back_to_roadmap(request, assessment, anchor="", results=None):
    if request.htmx:
        context = roadmap_context(request, assessment, results)
        return render(request, f"{ROADMAP_BODY}#roadmap_list", context)
    return redirect(reverse("roadmap", args=[assessment.pk]) + anchor)


@login_required
@require_http_methods(["GET", "POST"])
def roadmap_item_update(request, assessment_id, key):
    """One roadmap item's status, owner, date and hiding. GET shows its form, swapped into its
    row by htmx or as a page of its own without JavaScript; POST saves it and answers htmx with
    the updated row (the whole list when the item is hidden or shown again)."""
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    if request.method == "GET":
        context = item_context(request, assessment, key)
        context["edit_key"], context["edit"] = key, context["row"].entry
        return item_response(request, context)
    results = system_results(assessment)
    if roadmap_context(request, assessment, results)["edited"].row(key) is None:
        raise Http404("No such item in this roadmap.")  # never store an entry for a made-up key
    entry = entry_for(assessment, key)
    before = entry_snapshot(entry)
    form = RoadmapEntryForm(request.POST, instance=entry, members=members_who_can_see(assessment))
    if not form.is_valid():
        # The errors go next to their fields in this item's form, with what was typed kept;
        # never into the messages, which would show them again on the next page.
        if request.htmx:
            context = item_context(request, assessment, key, results)
            context["edit_key"], context["edit"] = key, entry_form_values(form)
            return item_response(request, context, status=422)
        context = roadmap_context(request, assessment, results)
        context["edit_key"], context["edit"] = key, entry_form_values(form)
        context["owner_choices"] = roadmap_owner_choices(assessment)
        return render(request, ROADMAP_PAGE, context, status=422)
    roadmap_entry_save(assessment, form.save(commit=False), request.user, before)
    if not request.htmx:
        messages.success(request, "Roadmap item updated.")
    elif entry.hidden == before["hidden"]:
        context = item_context(request, assessment, key, results)
        context["saved"] = True
        return render(request, f"{ROADMAP_BODY}#item_saved", context)
    response = back_to_roadmap(request, assessment, f"#item-{key}", results)
    return reswap(retarget(response, "#roadmap-list"), "outerHTML") if request.htmx else response


def item_context(request, assessment, key, results=None) -> dict:
    """The roadmap's context narrowed to one visible item: ``row``, its place in its phase
    (``forloop``, as the page's loop gives it) and its phase, for the row's fragment."""
    context = roadmap_context(request, assessment, results)
    for phase in context["phases"]:
        rows = context["edited"].phases[phase["number"]]
        for index, row in enumerate(rows):
            if row.key == key:
                place = {"first": index == 0, "last": index == len(rows) - 1}
                # The owner picker is in the item's form only, so only its fragment reads it.
                owners = roadmap_owner_choices(assessment)
                return context | {
                    "row": row,
                    "phase": phase,
                    "forloop": place,
                    "owner_choices": owners,
                }
    raise Http404("No such item in this roadmap (hidden items are shown again from the list).")


def item_response(request, context, status=200):
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{ROADMAP_BODY}#roadmap_row", context, status=status)
    return render(request, "results/roadmap_item.html", context, status=status)


def entry_form_values(form) -> dict:
    """What was typed into an item's form, and each field's first error, to show it again."""
    data = form.data
    errors = {name: errors[0] for name, errors in form.errors.items()}
    errors["other"] = errors.pop("__all__", "")
    return {
        "status": data.get("status", ""),
        "owner_value": data.get("owner", ""),
        "target_date_text": data.get("target_date", ""),
        "hidden": bool(data.get("hidden")),
        "hidden_reason": data.get("hidden_reason", ""),
        "errors": errors,
    }


@login_required
@require_POST
def roadmap_bulk_status(request, assessment_id):
    """Set one status on many ticked items at once (each change is logged like a single one)."""
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    status = request.POST.get("status", "")
    keys = request.POST.getlist("keys")
    context = roadmap_context(request, assessment)
    known = {row.key for row in context["edited"].all_rows()}
    problem = ""
    if status not in RoadmapStatus.values:
        problem = "Choose a status: to do, doing or done."
    elif not keys:
        problem = "Tick at least one item first (the box beside each item's title)."
    elif not set(keys) <= known:
        problem = "Some ticked items are no longer in the roadmap; reload the page and try again."
    if problem:  # nothing was changed: the context read above is the page to show
        context["bulk_error"] = problem
        return render(request, ROADMAP_PAGE, context, status=422)
    with transaction.atomic():
        for key in dict.fromkeys(keys):
            entry = entry_for(assessment, key)
            before = entry_snapshot(entry)
            entry.status = status
            roadmap_entry_save(assessment, entry, request.user, before)
    label = RoadmapStatus(status).label.lower()
    messages.success(request, f"{len(set(keys))} item{pluralize(len(set(keys)))} set to {label}.")
    return redirect("roadmap", assessment.pk)


@login_required
@require_POST
def roadmap_item_move(request, assessment_id, key):
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    direction = -1 if request.POST.get("direction") == "up" else 1
    results = system_results(assessment)
    edited = roadmap_context(request, assessment, results)["edited"]
    try:
        roadmap_move(assessment, edited, key, direction, request.user)
    except RoadmapEditRefused as exc:
        if request.htmx:
            # Said in the list it concerns, not kept for whatever page comes next.
            context = roadmap_context(request, assessment, results)
            context["list_error"] = str(exc)
            return render(request, f"{ROADMAP_BODY}#roadmap_list", context, status=409)
        messages.error(request, str(exc))
    return back_to_roadmap(request, assessment, f"#item-{key}", results)


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
    """How scores, verdicts and the roadmap are made, generated from the code's constants.

    Public. Reached from an assessment (``?assessment=<id>``), it keeps that workspace's
    navigation and links back; an id the person may not see is ignored, not an error."""
    context = {"sections": METHODOLOGY}
    raw = request.GET.get("assessment", "")
    if request.user.is_authenticated and raw.isdigit():
        try:
            assessment = assessment_for(request.user, int(raw))
        except Http404:
            assessment = None
        if assessment is not None:
            context |= {"assessment": assessment, "workspace": assessment.system.workspace}
    return render(request, "results/methodology.html", context)
