"""Milestones: starting an assessment (blank or from the previous one) and comparing two
assessments of one system.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from assessments.bank.domain.bank import band_for_users
from assessments.bank.services import shipped_bank_version
from assessments.milestones.domain.comparison import in_time_order, milestone_compare
from assessments.milestones.forms import AssessmentStartForm
from assessments.milestones.selectors import milestone_input, other_assessments
from assessments.milestones.services import assessment_carry_over
from assessments.questionnaire.services import assessment_start
from assessments.results.domain.charts import pair_chart
from assessments.workspaces import access
from assessments.workspaces.models import System
from assessments.workspaces.selectors import assessment_for


@login_required
def assessment_create(request, system_id):
    system = access.get_for_user(
        request.user, System.objects.select_related("workspace"), access.EDIT, pk=system_id
    )
    initial = {
        "title": f"{system.name} — {timezone.localdate():%B %Y}",
        "band": band_for_users(system.target_users),
    }
    form = AssessmentStartForm(request.POST or None, initial=initial, system=system)
    if request.method == "POST" and form.is_valid() and form.cleaned_data.get("carried_from"):
        return carry_over_start(request, system, form)
    if request.method == "POST" and form.is_valid():
        assessment = assessment_start(
            system=system,
            user=request.user,
            bank_version=shipped_bank_version(),
            band=form.cleaned_data["band"],
            title=form.cleaned_data["title"],
        )
        messages.success(request, "Assessment started. Answer area by area; every change is saved.")
        return redirect(assessment)
    context = {"form": form, "system": system, "workspace": system.workspace}
    return render(request, "milestones/assessment_form.html", context)


COMPARE_PAGE = "milestones/compare.html"


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
def milestone_pick(request, assessment_id):
    """Choose the assessment to compare with (a plain GET form); ?other=<id> goes there."""
    assessment = assessment_for(request.user, assessment_id)
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
    assessment = assessment_for(request.user, assessment_id)
    other = assessment_for(request.user, other_id)
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
    context["chart"] = pair_chart(comparison.areas)
    return render(request, COMPARE_PAGE, context)
