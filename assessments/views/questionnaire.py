import json

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django_htmx.http import reswap, retarget

from assessments import access
from assessments.bank import band_for_users
from assessments.bank_records import shipped_bank_version
from assessments.forms import (
    AnswerForm,
    AnswersImportForm,
    AssessmentStartForm,
    ConsultantNotesForm,
)
from assessments.models import Answer, AnswerState, Assessment, BankVersion, Question, Role, System
from assessments.questionnaire import (
    AnswerConflict,
    AnswersImportError,
    answer_consultant_notes_save,
    answer_refusal,
    answer_save,
    answers_export,
    answers_import,
    area_assignees,
    area_progress,
    assessment_reopen,
    assessment_start,
    assessment_submit,
    assessment_upgrade,
    assignment_set,
    bank_upgrade_diff,
    contributor_progress,
    first_unanswered,
)

AREA_PAGE = "assessments/assessment_area.html"


def get_assessment(request, assessment_id, action=access.VIEW):
    queryset = Assessment.objects.select_related("system__workspace", "bank_version")
    return access.get_for_user(request.user, queryset, action, pk=assessment_id)


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
        from assessments.views.milestones import carry_over_start  # it imports this module

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
    return render(request, "assessments/assessment_form.html", context)


@login_required
def assessment_overview(request, assessment_id):
    assessment = get_assessment(request, assessment_id)
    areas = area_progress(assessment, request.user)
    # Contributors see their own areas first.
    areas.sort(key=lambda area: not area.assigned_to_me)
    resume = first_unanswered(assessment, [area.id for area in areas])
    resume_url = None
    if resume:
        area_id, question_key = resume
        dom_id = Question(key=question_key).dom_id
        resume_url = reverse("assessment_area", args=[assessment.pk, area_id]) + f"#{dom_id}"
    role = assessment.member_role
    can_edit = access.role_allows(role, access.EDIT)
    latest = BankVersion.objects.order_by("-loaded_at", "-pk").first()
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
    return render(request, "assessments/assessment_overview.html", context)


def assignable_members(assessment):
    """Everyone who may answer and can open this assessment (contributors included).

    Client staff limited to another assessment or another client are left out: they could
    not reach the area they were given.
    """
    in_scope = (
        Q(memberships__client__isnull=True, memberships__assessment__isnull=True)
        | Q(memberships__assessment=assessment)
        | Q(memberships__client__isnull=False, memberships__client=assessment.system.client_id)
    )
    return list(
        get_user_model()
        .objects.filter(
            in_scope,
            memberships__workspace_id=assessment.system.workspace_id,
            memberships__role__in=access.PERMISSIONS[access.ANSWER],
        )
        .order_by("email")
    )


@login_required
def assessment_area(request, assessment_id, area):
    assessment = get_assessment(request, assessment_id)
    area_ids = [a["id"] for a in assessment.bank_version.areas]
    if area not in area_ids:
        raise Http404("No such area.")
    return render(request, AREA_PAGE, area_page_context(request, assessment, area))


def area_page_context(request, assessment, area, override=None):
    """The whole area page; ``override`` replaces one question's card (errors, conflicts)."""
    area_ids = [a["id"] for a in assessment.bank_version.areas]
    index = area_ids.index(area)
    questions = list(Question.objects.for_assessment(assessment).filter(area=area))
    answers = {
        a.question_id: a
        for a in Answer.objects.filter(
            assessment=assessment, question__in=questions
        ).select_related("answered_by")
    }
    assignment = area_assignees(assessment).get(area)
    refusal = answer_refusal(
        assessment, request.user, assessment.member_role, assignment and assignment.user_id
    )
    cards = []
    for question in questions:
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
    if not access.role_allows(getattr(assessment, "member_role", None), access.CONSULT):
        return {"can_consult": False}
    return {
        "can_consult": True,
        "consultant_notes": answer.consultant_notes if notes is None and answer else notes or "",
        "notes_error": error,
        "notes_saved": saved,
    }


@login_required
def answer_consultant_notes(request, assessment_id, question_key):
    """Save one answer's consultant-only notes (owners and consultants), apart from the answer."""
    assessment = get_assessment(request, assessment_id, access.CONSULT)
    question = get_object_or_404(Question.objects.for_assessment(assessment), key=question_key)
    area_url = reverse("assessment_area", args=[assessment.pk, question.area])
    back = f"{area_url}#{question.dom_id}"
    if request.method != "POST":
        return redirect(back)
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
            return render(request, f"{AREA_PAGE}#consultant_notes", context, status=422)
        messages.error(request, f"Consultant notes not saved: {error}")
        return redirect(back)
    answer_consultant_notes_save(answer, form.cleaned_data["consultant_notes"], request.user)
    if request.htmx:
        context = {
            "assessment": assessment,
            "question": question,
            **consultant_notes_context(assessment, answer, saved=True),
        }
        return render(request, f"{AREA_PAGE}#consultant_notes", context)
    messages.success(request, "Consultant notes saved.")
    return redirect(back)


@login_required
def answer_view(request, assessment_id, question_key):
    """GET: one question's card (htmx) or its place on the area page. POST: save it."""
    assessment = get_assessment(request, assessment_id)
    questions = Question.objects.for_assessment(assessment)
    if request.method == "POST":
        questions = questions.with_current_answer(assessment)
    question = get_object_or_404(questions, key=question_key)
    area_url = reverse("assessment_area", args=[assessment.pk, question.area])
    if request.method != "POST":
        if not request.htmx:
            return redirect(f"{area_url}#{question.dom_id}")
        answer = (
            Answer.objects.select_related("answered_by")
            .filter(assessment=assessment, question=question)
            .first()
        )
        refusal = refusal_for(request, assessment, question)
        context = card_context(assessment, question, answer, refusal=refusal)
        return render(request, f"{AREA_PAGE}#question_card", context)

    refusal = refusal_for(request, assessment, question)
    if refusal:
        if request.htmx:
            context = {"base_version": request.POST.get("base_version", 0), "error": refusal}
            return render(request, f"{AREA_PAGE}#save_status", context, status=403)
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
        response = render(request, f"{AREA_PAGE}#question_card", card)
        return reswap(retarget(response, f"#{question.dom_id}"), "outerHTML")
    if request.htmx:
        # The card's "carried over" flag goes with the save; only a flagged card has one.
        was_carried = bool((question.current_answer or {}).get("carried_over"))
        context = {
            "base_version": answer.version,
            "answer": answer,
            "saved": True,
            "was_carried": was_carried,
        }
        return render(request, f"{AREA_PAGE}#save_status", context)
    messages.success(request, "Answer saved.")
    return redirect(f"{area_url}#{question.dom_id}")


def refusal_for(request, assessment, question):
    assignee_id = None
    if assessment.member_role == Role.CONTRIBUTOR:
        assignment = area_assignees(assessment).get(question.area)
        assignee_id = assignment and assignment.user_id
    return answer_refusal(assessment, request.user, assessment.member_role, assignee_id)


def answer_invalid(request, assessment, question, form):
    """Say what to fix; the person's choice stays on screen (htmx) or is re-rendered (no JS)."""
    if request.htmx:
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        context = {"base_version": form.data.get("base_version", 0), "error": " ".join(errors)}
        return render(request, f"{AREA_PAGE}#save_status", context, status=422)
    current = Answer.objects.filter(assessment=assessment, question=question).first()
    card = card_context(assessment, question, current, refusal=None, form=form)
    context = area_page_context(request, assessment, question.area, override=card)
    return render(request, AREA_PAGE, context, status=422)


def answer_conflict(request, assessment, question, form, current):
    """Show the newer answer beside the person's own, and let them choose."""
    card = card_context(assessment, question, current, refusal=None, form=form, conflict=True)
    card["base_version"] = current.version if current else 0
    if request.htmx:
        response = render(request, f"{AREA_PAGE}#question_card", card, status=409)
        return reswap(retarget(response, f"#{question.dom_id}"), "outerHTML")
    context = area_page_context(request, assessment, question.area, override=card)
    return render(request, AREA_PAGE, context, status=409)


@login_required
def assessment_submit_view(request, assessment_id):
    assessment = get_assessment(request, assessment_id, access.EDIT)
    if request.method == "POST" and not assessment.is_submitted:
        unconfirmed = assessment.answers.filter(carried_over=True).count()
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
def assessment_reopen_view(request, assessment_id):
    assessment = get_assessment(request, assessment_id, access.EDIT)
    if request.method == "POST" and assessment.is_submitted:
        assessment_reopen(assessment, request.user)
        messages.success(request, "Reopened. Answers can be changed again.")
    return redirect(assessment)


@login_required
def assessment_assign(request, assessment_id):
    assessment = get_assessment(request, assessment_id, access.EDIT)
    if request.method != "POST":
        return redirect(assessment)
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
    assessment = get_assessment(request, assessment_id)
    may_consult = access.role_allows(assessment.member_role, access.CONSULT)
    document = answers_export(assessment, consultant_notes=may_consult)
    name = slugify(f"{assessment.system.name}-{timezone.localdate():%Y-%m-%d}") or "assessment"
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-answers.json"'
    return response


@login_required
def assessment_import(request, assessment_id):
    assessment = get_assessment(request, assessment_id, access.EDIT)
    if request.method != "POST":
        return redirect(assessment)
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
    assessment = get_assessment(request, assessment_id, access.UPGRADE_BANK)
    target = BankVersion.objects.order_by("-loaded_at", "-pk").first()
    if target is None or target.pk == assessment.bank_version_id:
        messages.info(request, "This assessment already uses the newest question bank.")
        return redirect(assessment)
    if request.method == "POST":
        assessment_upgrade(assessment, target, request.user)
        messages.success(request, f"Moved to question bank {target.version}.")
        return redirect(assessment)
    diff = bank_upgrade_diff(assessment, target)
    answered = dict(assessment.answers.values_list("question__key", "level"))
    dropped = {change.question_id: change.dropped_levels for change in diff.changed}
    lost = [
        key
        for key, level in answered.items()
        if key in diff.removed or (level is not None and level in dropped.get(key, ()))
    ]
    context = {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "target": target,
        "diff": diff,
        "lost_answers": sorted(lost),
    }
    return render(request, "assessments/assessment_upgrade.html", context)
