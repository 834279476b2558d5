"""The area page and its question cards: autosaved answers (htmx, or plain forms without
JavaScript), conflicts between concurrent edits, consultant notes, confirming answers
carried over from the previous assessment.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from assessments.bank.models import Question
from assessments.questionnaire.forms import AnswerForm, ConsultantNotesForm
from assessments.questionnaire.models import Answer, AnswerState
from assessments.questionnaire.selectors import (
    answer_refusal,
    answer_snapshot,
    area_answers,
    area_assignees,
    area_page_inputs,
    area_progress,
    consultant_notes_shown,
    current_answer,
    question_to_save,
)
from assessments.questionnaire.services import (
    AnswerConflict,
    answer_consultant_notes_save,
    answer_save,
    carried_confirm,
)
from assessments.workspaces import access
from assessments.workspaces.selectors import assessment_for
from config.fragments import cached_fragment

AREA_PAGE = "questionnaire/assessment_area.html"
AREA_BODY = "questionnaire/_area_body.html"  # the page's content and its partials


@login_required
def assessment_area(request, assessment_id, area):
    """Rendered once per change of what the page is built from (``area_page_inputs``)."""
    assessment = assessment_for(request.user, assessment_id)
    areas = {a["id"]: a for a in assessment.bank_version.areas}
    if area not in areas:
        raise Http404("No such area.")
    inputs = (area_page_inputs(assessment, area, request.user), only_open_asked(request))
    body = cached_fragment(
        request,
        "area",
        inputs,
        AREA_BODY,
        lambda: area_page_context(request, assessment, area),
        subject=assessment,
    )
    context = {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "area": areas[area],
        "body": body,
    }
    return render(request, AREA_PAGE, context)


def only_open_asked(request) -> bool:
    """ "Show unanswered only" (?open=1) keeps the cards of questions without an answer."""
    return request.GET.get("open") == "1"


def area_page_context(request, assessment, area, override=None):
    """The whole area page; ``override`` replaces one question's card (errors, conflicts)."""
    area_ids = [a["id"] for a in assessment.bank_version.areas]
    index = area_ids.index(area)
    questions = list(Question.objects.for_assessment(assessment).filter(area=area))
    answers = area_answers(assessment, questions)
    only_open = only_open_asked(request)
    assignments = area_assignees(assessment)
    assignment = assignments.get(area)
    refusal = answer_refusal(assessment, request.user, area, assignments)
    cards = []
    for question in questions:
        if only_open and question.pk in answers:
            continue
        if override and override["question"].pk == question.pk:
            cards.append(override)
        else:
            cards.append(
                card_context(assessment, question, answers.get(question.pk), refusal=refusal)
            )
    return {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "area": assessment.bank_version.areas[index],
        "previous_area": assessment.bank_version.areas[index - 1] if index else None,
        "next_area": assessment.bank_version.areas[index + 1]
        if index + 1 < len(area_ids)
        else None,
        "cards": cards,
        "total": len(questions),
        "only_open": only_open,
        "areas": area_progress(assessment, request.user),
        "answered": len(answers),
        "to_confirm": sum(1 for answer in answers.values() if answer.carried_over),
        "assignment": assignment,
        "refusal": refusal,
    }


def card_context(assessment, question, answer, *, refusal, form=None, conflict=False, saved=False):
    """Everything one question card shows: what is checked, typed, wrong, or in conflict."""
    if form is not None:
        values = {
            "choice": form.data.get("choice", ""),
            "na_reason": form.data.get("na_reason", ""),
            "notes": form.data.get("notes", ""),
            "evidence_links": form.data.get("evidence_links", ""),
        }
    elif answer is not None:
        values = {
            "choice": str(answer.level) if answer.state == AnswerState.LEVEL else answer.state,
            "na_reason": answer.na_reason,
            "notes": answer.notes,
            "evidence_links": "\n".join(answer.evidence_links),
        }
    else:
        values = {"choice": "", "na_reason": "", "notes": "", "evidence_links": ""}
    choices = [
        {"value": str(o["level"]), "label": o["label"], "description": o["description"]}
        for o in question.options
    ] + [
        {"value": AnswerState.NOT_APPLICABLE.value, "label": "Not applicable", "description": ""},
        {"value": AnswerState.UNKNOWN.value, "label": "Don't know", "description": ""},
    ]
    return {
        "assessment": assessment,
        "question": question,
        "answer": answer,
        "values": values,
        "choices": choices,
        "base_version": answer.version if answer else 0,
        "errors": form.errors if form is not None and form.errors else {},
        "refusal": refusal,
        "conflict": conflict,
        "saved": saved,
        # Consultant-only notes: the key is absent from every other role's context.
        **consultant_notes_context(assessment, answer),
    }


def consultant_notes_context(assessment, answer, *, notes=None, error="", saved=False) -> dict:
    if not consultant_notes_shown(assessment):
        return {"can_consult": False}
    return {
        "can_consult": True,
        "consultant_notes": answer.consultant_notes if notes is None and answer else notes or "",
        "notes_error": error,
        "notes_saved": saved,
    }


@login_required
@require_POST
def answer_consultant_notes(request, assessment_id, question_key):
    """Save one answer's consultant-only notes (owners and consultants), apart from the answer."""
    assessment = assessment_for(request.user, assessment_id, access.CONSULT)
    question = get_object_or_404(Question.objects.for_assessment(assessment), key=question_key)
    area_url = reverse("assessment_area", args=[assessment.pk, question.area])
    back = f"{area_url}#{question.dom_id}"
    answer = (
        Answer.objects.select_related("assessment__system", "question")
        .filter(assessment=assessment, question=question)
        .first()
    )
    form = ConsultantNotesForm(request.POST)
    error = ""
    if answer is None:
        error = "Answer the question first: notes are kept with its answer."
    elif not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if error:
        if request.htmx:
            context = {
                "assessment": assessment,
                "question": question,
                **consultant_notes_context(
                    assessment, answer, notes=request.POST.get("consultant_notes", ""), error=error
                ),
            }
            return render(request, f"{AREA_BODY}#consultant_notes", context, status=422)
        messages.error(request, f"Consultant notes not saved: {error}")
        return redirect(back)
    answer_consultant_notes_save(answer, form.cleaned_data["consultant_notes"], request.user)
    if request.htmx:
        context = {
            "assessment": assessment,
            "question": question,
            **consultant_notes_context(assessment, answer, saved=True),
        }
        return render(request, f"{AREA_BODY}#consultant_notes", context)
    messages.success(request, "Consultant notes saved.")
    return redirect(back)


@login_required
def answer_view(request, assessment_id, question_key):
    """GET: one question's card (htmx) or its place on the area page. POST: save it."""
    assessment = assessment_for(request.user, assessment_id)
    first_answer = request.POST.get("base_version", "").strip().lstrip("0") == ""
    if request.method == "POST":
        # A first answer moves the area's counters (out of band): read them with the question.
        counts = first_answer and bool(request.htmx)
        question = question_to_save(assessment, question_key, area_counts=counts)
    else:
        question = Question.objects.for_assessment(assessment).filter(key=question_key).first()
    if question is None:
        raise Http404("No such question in this assessment.")
    area_url = reverse("assessment_area", args=[assessment.pk, question.area])
    if request.method != "POST":
        if not request.htmx:
            return redirect(f"{area_url}#{question.dom_id}")
        answer = current_answer(assessment, question)
        refusal = answer_refusal(assessment, request.user, question.area)
        context = card_context(assessment, question, answer, refusal=refusal)
        return render(request, f"{AREA_BODY}#question_card", context)

    refusal = answer_refusal(assessment, request.user, question.area)
    if refusal:
        if request.htmx:
            context = {"base_version": request.POST.get("base_version", 0), "error": refusal}
            return render(request, f"{AREA_BODY}#save_status", context, status=403)
        messages.error(request, refusal)
        return redirect(f"{area_url}#{question.dom_id}")

    form = AnswerForm(request.POST, question=question)
    if not form.is_valid():
        return answer_invalid(request, assessment, question, form)
    try:
        answer = answer_save(
            assessment=assessment,
            question=question,
            user=request.user,
            data=form.answer_input(),
            base_version=form.cleaned_data["base_version"],
        )
    except AnswerConflict as conflict:
        return answer_conflict(request, assessment, question, form, conflict.current)
    if request.htmx and request.POST.get("resolve"):
        # The conflict is settled: replace the whole card, conflict box included.
        card = card_context(assessment, question, answer, refusal=None, saved=True)
        response = render(request, f"{AREA_BODY}#question_card", card)
        return reswap(retarget(response, f"#{question.dom_id}"), "outerHTML")
    if request.htmx:
        # The card's "carried over" flag goes with the save; only a flagged card has one.
        replaced = answer_snapshot(question)
        was_carried = bool(replaced and replaced["carried_over"])
        context = {
            "base_version": answer.version,
            "answer": answer,
            "saved": True,
            "was_carried": was_carried,
            # A first answer changes the area's count: the page's counters follow (out of band).
            "progress": None if replaced else first_answer_progress(question),
        }
        return render(request, f"{AREA_BODY}#save_status", context)
    messages.success(request, "Answer saved.")
    return redirect(f"{area_url}#{question.dom_id}")


def first_answer_progress(question) -> dict:
    """The area's counters after a first answer, from the counts read with the question."""
    return {
        "area": question.area,
        "answered": question.area_answered + 1,
        "total": question.area_total,
    }


def answer_invalid(request, assessment, question, form):
    """Say what to fix; the person's choice stays on screen (htmx) or is re-rendered (no JS)."""
    if request.htmx:
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        context = {"base_version": form.data.get("base_version", 0), "error": " ".join(errors)}
        return render(request, f"{AREA_BODY}#save_status", context, status=422)
    current = current_answer(assessment, question)
    card = card_context(assessment, question, current, refusal=None, form=form)
    context = area_page_context(request, assessment, question.area, override=card)
    return render(request, AREA_PAGE, context, status=422)


def answer_conflict(request, assessment, question, form, current):
    """Show the newer answer beside the person's own, and let them choose."""
    card = card_context(assessment, question, current, refusal=None, form=form, conflict=True)
    card["base_version"] = current.version if current else 0
    if request.htmx:
        response = render(request, f"{AREA_BODY}#question_card", card, status=409)
        return reswap(retarget(response, f"#{question.dom_id}"), "outerHTML")
    context = area_page_context(request, assessment, question.area, override=card)
    return render(request, AREA_PAGE, context, status=409)


@login_required
@require_POST
def answer_confirm(request, assessment_id, question_key):
    """Confirm one carried-over answer as still true (POST; htmx swaps the card)."""
    assessment = assessment_for(request.user, assessment_id)
    question = get_object_or_404(Question.objects.for_assessment(assessment), key=question_key)
    area_url = reverse("assessment_area", args=[assessment.pk, question.area])
    refusal = answer_refusal(assessment, request.user, question.area)
    if refusal:
        if request.htmx:
            return _card(request, assessment, question, refusal, status=403)
        messages.error(request, refusal)
        return redirect(f"{area_url}#{question.dom_id}")
    carried_confirm(assessment, request.user, question=question)
    if request.htmx:
        return _card(request, assessment, question, None)
    messages.success(request, "Answer confirmed.")
    return redirect(f"{area_url}#{question.dom_id}")


def _card(request, assessment, question, refusal, status=200):
    answer = current_answer(assessment, question)
    context = card_context(assessment, question, answer, refusal=refusal)
    response = render(request, f"{AREA_BODY}#question_card", context, status=status)
    return reswap(retarget(response, f"#{question.dom_id}"), "outerHTML")


@login_required
@require_POST
def area_confirm(request, assessment_id, area):
    """Confirm every carried-over answer of one area (POST)."""
    assessment = assessment_for(request.user, assessment_id)
    if area not in {a["id"] for a in assessment.bank_version.areas}:
        raise Http404("No such area.")
    area_url = reverse("assessment_area", args=[assessment.pk, area])
    refusal = answer_refusal(assessment, request.user, area)
    if refusal:
        messages.error(request, refusal)
        return redirect(area_url)
    confirmed = carried_confirm(assessment, request.user, area=area)
    messages.success(
        request, f"{confirmed} carried-over answer{'s' if confirmed != 1 else ''} confirmed."
    )
    return redirect(area_url)
