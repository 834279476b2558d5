"""Milestones: starting from the previous assessment, confirming what was carried over, and
comparing two assessments of one system."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django_htmx.http import reswap, retarget

from assessments import access
from assessments.bank_records import shipped_bank_version
from assessments.milestones import (
    assessment_carry_over,
    carried_confirm,
    in_time_order,
    milestone_chart,
    milestone_compare,
    milestone_input,
)
from assessments.models import Answer, Question
from assessments.questionnaire import answer_refusal, area_assignees
from assessments.views.questionnaire import AREA_PAGE, card_context, get_assessment, refusal_for

COMPARE_PAGE = "assessments/compare.html"


def carry_over_start(request, system, form):
    """The "start assessment" form with a previous assessment chosen (see assessment_create)."""
    carried = assessment_carry_over(
        source=form.cleaned_data["carried_from"],
        user=request.user,
        bank_version=shipped_bank_version(),
        band=form.cleaned_data["band"],
        title=form.cleaned_data["title"],
    )
    message = (
        f"Assessment started from “{form.cleaned_data['carried_from'].title}”: "
        f"{carried.copied} answers copied, each marked “carried over — please confirm”"
    )
    if carried.roadmap_entries:
        message += f", and {carried.roadmap_entries} roadmap edits"
    messages.success(request, message + ".")
    if carried.dropped:
        messages.warning(
            request,
            f"{carried.dropped} answers were not copied: their questions (or the chosen level) "
            "are not in the current question bank. Answer those questions afresh.",
        )
    return redirect(carried.assessment)


@login_required
def answer_confirm(request, assessment_id, question_key):
    """Confirm one carried-over answer as still true (POST; htmx swaps the card)."""
    assessment = get_assessment(request, assessment_id)
    question = get_object_or_404(Question.objects.for_assessment(assessment), key=question_key)
    area_url = reverse("assessment_area", args=[assessment.pk, question.area])
    if request.method != "POST":
        return redirect(f"{area_url}#{question.dom_id}")
    refusal = refusal_for(request, assessment, question)
    if refusal:
        if request.htmx:
            return _card(request, assessment, question, refusal, status=403)
        messages.error(request, refusal)
        return redirect(f"{area_url}#{question.dom_id}")
    carried_confirm(assessment, question=question)
    if request.htmx:
        return _card(request, assessment, question, None)
    messages.success(request, "Answer confirmed.")
    return redirect(f"{area_url}#{question.dom_id}")


def _card(request, assessment, question, refusal, status=200):
    answer = (
        Answer.objects.select_related("answered_by")
        .filter(assessment=assessment, question=question)
        .first()
    )
    context = card_context(assessment, question, answer, refusal=refusal)
    response = render(request, f"{AREA_PAGE}#question_card", context, status=status)
    return reswap(retarget(response, f"#{question.dom_id}"), "outerHTML")


@login_required
def area_confirm(request, assessment_id, area):
    """Confirm every carried-over answer of one area (POST)."""
    assessment = get_assessment(request, assessment_id)
    if area not in {a["id"] for a in assessment.bank_version.areas}:
        raise Http404("No such area.")
    area_url = reverse("assessment_area", args=[assessment.pk, area])
    if request.method != "POST":
        return redirect(area_url)
    assignment = area_assignees(assessment).get(area)
    refusal = answer_refusal(
        assessment, request.user, assessment.member_role, assignment and assignment.user_id
    )
    if refusal:
        messages.error(request, refusal)
        return redirect(area_url)
    confirmed = carried_confirm(assessment, area=area)
    messages.success(
        request, f"{confirmed} carried-over answer{'s' if confirmed != 1 else ''} confirmed."
    )
    return redirect(area_url)


def other_assessments(assessment, user):
    """The system's other assessments the user may open, newest first, for the picker.

    Scoped: client staff limited to one assessment see none (no dead ends, no titles).
    """
    return list(
        access.scoped(assessment.system.assessments.exclude(pk=assessment.pk), user)
        .order_by("-created_at", "-pk")
        .only("pk", "title", "status", "created_at", "submitted_at")
    )


@login_required
def milestone_pick(request, assessment_id):
    """Choose the assessment to compare with (a plain GET form); ?other=<id> goes there."""
    assessment = get_assessment(request, assessment_id)
    other = request.GET.get("other", "")
    if other.isdigit():
        return redirect("milestone_compare", assessment.pk, int(other))
    context = {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "others": other_assessments(assessment, request.user),
        "comparison": None,
        "error": "Choose an assessment to compare with." if "other" in request.GET else "",
    }
    return render(request, COMPARE_PAGE, context)


@login_required
def milestone_compare_view(request, assessment_id, other_id):
    assessment = get_assessment(request, assessment_id)
    other = get_assessment(request, other_id)
    if other.system_id != assessment.system_id:
        raise Http404("Only assessments of the same system can be compared.")
    context = {
        "assessment": assessment,
        "other": other,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "others": other_assessments(assessment, request.user),
        "comparison": None,
        "error": "",
    }
    if other.pk == assessment.pk:
        context["error"] = (
            "That is the same assessment: choose another assessment of this system to see "
            "what changed between them."
        )
        return render(request, COMPARE_PAGE, context)
    older, newer = in_time_order(assessment, other)
    comparison = milestone_compare(milestone_input(older), milestone_input(newer))
    context["comparison"] = comparison
    context["chart"] = milestone_chart(comparison)
    return render(request, COMPARE_PAGE, context)
