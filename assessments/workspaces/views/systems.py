"""Systems (with their base URLs) and clients: add, open, edit, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from assessments.workspaces import access
from assessments.workspaces.forms import ClientForm, SystemForm
from assessments.workspaces.models import Client, System, Workspace
from assessments.workspaces.selectors import (
    system_assessments,
)
from assessments.workspaces.services import system_save
from checks.selectors import recent_runs


@login_required
def system_create(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, access.EDIT, pk=workspace_id)
    initial = {"client": request.GET.get("client")} if request.GET.get("client") else None
    form = SystemForm(request.POST or None, workspace=workspace, initial=initial)
    if request.method == "POST" and form.is_valid():
        system = system_save(form.save(commit=False), form.cleaned_data["base_urls"])
        messages.success(request, f"System “{system.name}” added.")
        return redirect(system)
    return render(request, "workspaces/system_form.html", {"form": form, "workspace": workspace})


@login_required
def system_detail(request, system_id):
    system = access.get_for_user(
        request.user, System.objects.select_related("workspace", "client"), pk=system_id
    )
    context = {
        "system": system,
        "workspace": system.workspace,
        "targets": system.targets.all(),
        "assessments": system_assessments(system),
        "probe_runs": recent_runs(system),
        "can_edit": access.role_allows(system.member_role, access.EDIT),
    }
    return render(request, "workspaces/system_detail.html", context)


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
    return render(request, "workspaces/system_form.html", context)


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
    return render(request, "confirm_delete.html", context)


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
        "workspaces/client_form.html",
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
    return render(request, "confirm_delete.html", context)
