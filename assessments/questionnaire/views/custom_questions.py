"""A workspace's own questions: list, add, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from assessments.bank.domain.loader import load_bank
from assessments.bank.models import Question
from assessments.questionnaire.domain.custom_questions import CustomQuestionInvalid
from assessments.questionnaire.forms import CustomQuestionForm
from assessments.questionnaire.selectors import answer_count, custom_questions_of
from assessments.questionnaire.services import custom_question_create, custom_question_delete
from assessments.workspaces import access
from assessments.workspaces.models import Workspace


@login_required
def custom_question_list(request, workspace_id):
    """The workspace's own questions; they join every assessment of the workspace."""
    workspace = access.get_for_user(request.user, Workspace, pk=workspace_id)
    can_edit = access.role_allows(workspace.member_role, access.EDIT)
    form = CustomQuestionForm(request.POST or None)
    if request.method == "POST":
        access.get_for_user(request.user, Workspace, access.EDIT, pk=workspace_id)
        if form.is_valid():
            try:
                question = custom_question_create(
                    workspace, form.cleaned_data["area"], form.question_fields()
                )
            except CustomQuestionInvalid as exc:
                for problem in exc.problems:
                    form.add_error(None, problem)
            else:
                messages.success(request, f"Question added to every assessment: “{question.text}”")
                return redirect("custom_question_list", workspace.pk)
    questions = custom_questions_of(workspace)
    context = {
        "workspace": workspace,
        "questions": questions,
        "form": form,
        "can_edit": can_edit,
        "area_titles": {area.id: area.title for area in load_bank().areas},
    }
    return render(request, "questionnaire/custom_questions.html", context)


@login_required
def custom_question_delete_view(request, question_id):
    question = access.get_for_user(
        request.user, Question.objects.select_related("workspace"), access.EDIT, pk=question_id
    )
    if request.method == "POST":
        removed = custom_question_delete(question)
        messages.success(request, f"Question deleted with its {removed} answers.")
        return redirect("custom_question_list", question.workspace_id)
    answers = answer_count(question)
    context = {
        "object": question.text,
        "workspace": question.workspace,
        "cancel_url": reverse("custom_question_list", args=[question.workspace_id]),
        "consequence": f"Its {answers} answers in this workspace's assessments are deleted too.",
    }
    return render(request, "confirm_delete.html", context)
