"""An assessment's overview: progress, assignments, submit and reopen, the answers file,
moving to a newer question bank.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from assessments.bank.models import Question
from assessments.bank.selectors import latest_bank_version
from assessments.questionnaire.forms import AnswersImportForm
from assessments.questionnaire.selectors import (
    SEARCH_LIMIT,
    answers_export,
    area_progress,
    assignable_members,
    carried_count,
    contributor_progress,
    first_unanswered,
    question_search,
    upgrade_preview,
)
from assessments.questionnaire.services import (
    AnswersImportError,
    answers_import,
    assessment_reopen,
    assessment_submit,
    assessment_upgrade,
    assignment_set,
)
from assessments.workspaces import access
from assessments.workspaces.selectors import assessment_for


@login_required
def assessment_overview(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id)
    areas = area_progress(assessment, request.user)
    # Contributors see their own areas first.
    areas.sort(key=lambda area: not area.assigned_to_me)
    resume = first_unanswered(areas)
    resume_url = None
    if resume:
        area_id, question_key = resume
        dom_id = Question(key=question_key).dom_id
        resume_url = reverse("assessment_area", args=[assessment.pk, area_id]) + f"#{dom_id}"
    role = assessment.member_role
    can_edit = access.role_allows(role, access.EDIT)
    latest = latest_bank_version()
    context = {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "areas": areas,
        "answered": sum(area.answered for area in areas),
        "total": sum(area.total for area in areas),
        "resume_url": resume_url,
        "can_edit": can_edit,
        "can_answer": access.role_allows(role, access.ANSWER) and not assessment.is_submitted,
        "assignable": assignable_members(assessment) if can_edit else [],
        "contributors": contributor_progress(assessment, areas) if can_edit else [],
        "newer_bank": latest if latest and latest.pk != assessment.bank_version_id else None,
        "can_upgrade": access.role_allows(role, access.UPGRADE_BANK),
        "import_form": AnswersImportForm(),
        "to_confirm": sum(area.to_confirm for area in areas),
    }
    words = request.GET.get("q", "").strip()[:100]
    if words:
        titles = assessment.bank_version.area_titles()
        context["search"] = {
            "words": words,
            "found": [
                {
                    "question": question,
                    "area_title": titles.get(question.area, question.area),
                    "url": reverse("assessment_area", args=[assessment.pk, question.area])
                    + f"#{question.dom_id}",
                }
                for question in question_search(assessment, words)
            ],
            "limit": SEARCH_LIMIT,
        }
    return render(request, "questionnaire/assessment_overview.html", context)


@login_required
@require_POST
def assessment_submit_view(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    if not assessment.is_submitted and request.POST.get("step") == "review":
        # The overview's button asks first: when something is still open, say what, and
        # submit only when the person confirms (the confirmation posts without the step).
        areas = area_progress(assessment, request.user)
        still_open = [area for area in areas if area.open or area.unknown or area.to_confirm]
        if still_open:
            context = {
                "assessment": assessment,
                "system": assessment.system,
                "workspace": assessment.system.workspace,
                "areas": still_open,
                "open": sum(area.open for area in areas),
                "unknown": sum(area.unknown for area in areas),
                "to_confirm": sum(area.to_confirm for area in areas),
                "total": sum(area.total for area in areas),
            }
            return render(request, "questionnaire/assessment_submit_confirm.html", context)
    if not assessment.is_submitted:
        unconfirmed = carried_count(assessment)
        assessment_submit(assessment, request.user)
        messages.success(request, "Submitted. Answers are now read-only; reopen to change them.")
        if unconfirmed:
            messages.warning(
                request,
                f"{unconfirmed} carried-over answer{'s were' if unconfirmed != 1 else ' was'} "
                "never confirmed; they are scored as given. Reopen to review them.",
            )
    return redirect(assessment)


@login_required
@require_POST
def assessment_reopen_view(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    if assessment.is_submitted:
        assessment_reopen(assessment, request.user)
        messages.success(request, "Reopened. Answers can be changed again.")
    return redirect(assessment)


@login_required
@require_POST
def assessment_assign(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    area_ids = {a["id"] for a in assessment.bank_version.areas}
    members = {str(user.pk): user for user in assignable_members(assessment)}
    area, user_id = request.POST.get("area"), request.POST.get("user", "")
    if area not in area_ids or (user_id and user_id not in members):
        messages.error(request, "Choose an area and a member of this workspace.")
        return redirect(assessment)
    assignment_set(assessment, area, members.get(user_id))
    titles = assessment.bank_version.area_titles()
    who = members[user_id].email if user_id else "nobody"
    messages.success(request, f"{titles[area]} is now assigned to {who}.")
    return redirect(assessment)


@login_required
def assessment_export(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id)
    may_consult = access.role_allows(assessment.member_role, access.CONSULT)
    document = answers_export(assessment, consultant_notes=may_consult)
    name = slugify(f"{assessment.system.name}-{timezone.localdate():%Y-%m-%d}") or "assessment"
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-answers.json"'
    return response


@login_required
@require_POST
def assessment_import(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    if assessment.is_submitted:
        messages.error(request, "This assessment is submitted; reopen it before importing answers.")
        return redirect(assessment)
    form = AnswersImportForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, "Nothing was imported. " + " ".join(errors))
        return redirect(assessment)
    try:
        count = answers_import(
            assessment,
            form.cleaned_data["file"],
            request.user,
            consultant_notes=access.role_allows(assessment.member_role, access.CONSULT),
        )
    except AnswersImportError as exc:
        problems = exc.problems
        shown = " ".join(problems[:8]) + (
            f" …and {len(problems) - 8} more." if len(problems) > 8 else ""
        )
        messages.error(request, f"Nothing was imported. {shown}")
        return redirect(assessment)
    messages.success(request, f"Imported {count} answers; they replace the previous answers.")
    return redirect(assessment)


@login_required
def assessment_upgrade_view(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id, access.UPGRADE_BANK)
    target = latest_bank_version()
    if target is None or target.pk == assessment.bank_version_id:
        messages.info(request, "This assessment already uses the newest question bank.")
        return redirect(assessment)
    if request.method == "POST":
        assessment_upgrade(assessment, target, request.user)
        messages.success(request, f"Moved to question bank {target.version}.")
        return redirect(assessment)
    context = {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "target": target,
        **upgrade_preview(assessment, target),
    }
    return render(request, "questionnaire/assessment_upgrade.html", context)
