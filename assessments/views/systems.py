from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse

from assessments import access, analytics
from assessments.bank import load_bank
from assessments.custom_questions import (
    CustomQuestionInvalid,
    custom_question_create,
    custom_question_delete,
)
from assessments.forms import ClientForm, CustomQuestionForm, SystemForm
from assessments.models import Answer, Client, Question, System, Workspace
from assessments.workspaces import system_save


@login_required
def system_create(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, access.EDIT, pk=workspace_id)
    initial = {"client": request.GET.get("client")} if request.GET.get("client") else None
    form = SystemForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        system = system_save(form.save(commit=False), form.cleaned_data["base_urls"])
        messages.success(request, f"System “{system.name}” added.")
        return redirect(system)
    return render(request, "assessments/system_form.html", {"form": form, "workspace": workspace})


@login_required
def system_detail(request, system_id):
    system = access.get_for_user(
        request.user, System.objects.select_related("workspace", "client"), pk=system_id
    )
    context = {
        "system": system,
        "workspace": system.workspace,
        "targets": system.targets.all(),
        "assessments": system.assessments.select_related("bank_version").annotate(
            answered=Count("answers")
        ),
        "can_edit": access.role_allows(system.member_role, access.EDIT),
    }
    return render(request, "assessments/system_detail.html", context)


@login_required
def system_edit(request, system_id):
    system = access.get_for_user(
        request.user, System.objects.select_related("workspace"), access.EDIT, pk=system_id
    )
    form = SystemForm(request.POST or None, instance=system, workspace=system.workspace)
    if request.method == "POST" and form.is_valid():
        system_save(form.save(commit=False), form.cleaned_data["base_urls"])
        messages.success(request, "Changes saved.")
        return redirect(system)
    context = {"form": form, "workspace": system.workspace, "system": system}
    return render(request, "assessments/system_form.html", context)


@login_required
def system_delete(request, system_id):
    system = access.get_for_user(
        request.user, System.objects.select_related("workspace"), access.EDIT, pk=system_id
    )
    if request.method == "POST":
        system.delete()
        messages.success(request, f"System “{system.name}” deleted.")
        return redirect(system.workspace)
    context = {
        "object": system,
        "workspace": system.workspace,
        "cancel_url": system.get_absolute_url(),
    }
    return render(request, "assessments/confirm_delete.html", context)


@login_required
def client_list(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, pk=workspace_id)
    can_edit = access.role_allows(workspace.member_role, access.EDIT)
    form = ClientForm(request.POST or None, workspace=workspace)
    if request.method == "POST":
        access.get_for_user(request.user, Workspace, access.EDIT, pk=workspace_id)
        if form.is_valid():
            client = form.save()
            messages.success(request, f"Client “{client.name}” added.")
            return redirect("client_list", workspace.pk)
    clients = list(workspace.clients.order_by("name", "pk"))
    context = {
        "workspace": workspace,
        "groups": analytics.client_overview(workspace.pk, clients),
        "has_clients": bool(clients),
        "form": form,
        "can_edit": can_edit,
    }
    return render(request, "assessments/client_list.html", context)


@login_required
def client_edit(request, client_id):
    client = access.get_for_user(
        request.user, Client.objects.select_related("workspace"), access.EDIT, pk=client_id
    )
    form = ClientForm(request.POST or None, instance=client, workspace=client.workspace)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Client saved.")
        return redirect("client_list", client.workspace_id)
    return render(
        request,
        "assessments/client_form.html",
        {"form": form, "workspace": client.workspace, "client": client},
    )


@login_required
def client_delete(request, client_id):
    client = access.get_for_user(
        request.user, Client.objects.select_related("workspace"), access.EDIT, pk=client_id
    )
    if request.method == "POST":
        client.delete()
        messages.success(
            request, f"Client “{client.name}” deleted; its systems are kept without a client."
        )
        return redirect("client_list", client.workspace_id)
    context = {
        "object": client,
        "workspace": client.workspace,
        "cancel_url": reverse("client_list", args=[client.workspace_id]),
        "consequence": "Its systems stay, without a client.",
    }
    return render(request, "assessments/confirm_delete.html", context)


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
    questions = workspace.custom_questions.annotate(answer_count=Count("answers"))
    context = {
        "workspace": workspace,
        "questions": questions,
        "form": form,
        "can_edit": can_edit,
        "area_titles": {area.id: area.title for area in load_bank().areas},
    }
    return render(request, "assessments/custom_questions.html", context)


@login_required
def custom_question_delete_view(request, question_id):
    question = access.get_for_user(
        request.user, Question.objects.select_related("workspace"), access.EDIT, pk=question_id
    )
    if request.method == "POST":
        removed = custom_question_delete(question)
        messages.success(request, f"Question deleted with its {removed} answers.")
        return redirect("custom_question_list", question.workspace_id)
    answers = Answer.objects.filter(question=question).count()
    context = {
        "object": question.text,
        "workspace": question.workspace,
        "cancel_url": reverse("custom_question_list", args=[question.workspace_id]),
        "consequence": f"Its {answers} answers in this workspace's assessments are deleted too.",
    }
    return render(request, "assessments/confirm_delete.html", context)
