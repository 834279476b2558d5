"""Starting an engagement: client, system and first assessment from one form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.shortcuts import redirect, render

from assessments.questionnaire.forms import EngagementForm, EngagementSystemForm
from assessments.questionnaire.services import engagement_start
from assessments.workspaces import access
from assessments.workspaces.models import Workspace


@login_required
def engagement_new(request, workspace_id):
    """One form: client (new or picked), system, assessment; lands on the assessment."""
    workspace = access.get_for_user(request.user, Workspace, access.EDIT, pk=workspace_id)
    data = request.POST if request.method == "POST" else None
    form = EngagementForm(data, workspace=workspace)
    system_form = EngagementSystemForm(data, workspace=workspace, prefix="system")
    if data is not None and all([form.is_valid(), system_form.is_valid()]):
        try:
            assessment = engagement_start(
                workspace=workspace,
                user=request.user,
                client=form.cleaned_data["client"],
                client_name=form.cleaned_data["client_name"],
                system=system_form.save(commit=False),
                base_urls=system_form.cleaned_data["base_urls"],
                title=system_form.cleaned_data["assessment_title"].strip(),
            )
        except IntegrityError:  # the client name was taken since the form was checked
            form.add_error("client_name", "A client with this name already exists.")
        else:
            client = assessment.system.client
            messages.success(
                request,
                f"Engagement started for {client.name}: “{assessment.system.name}” and its "
                "assessment. Invite the client's staff from the members page.",
            )
            return redirect(assessment)
    context = {"workspace": workspace, "form": form, "system_form": system_form}
    return render(request, "questionnaire/engagement_form.html", context)
