"""The workspace's API tokens page (owners): make a token (its secret shown once), revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from assessments.api.forms import ApiTokenForm
from assessments.api.models import ApiToken
from assessments.api.selectors import tokens_of
from assessments.api.services import api_token_create, api_token_revoke
from assessments.workspaces import access
from assessments.workspaces.models import Workspace

PAGE = "api/tokens.html"


@login_required
def api_tokens(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, access.MANAGE_MEMBERS, pk=workspace_id)
    if request.method == "POST" and "revoke" in request.POST:
        return api_token_revoke_view(request, workspace)
    form = ApiTokenForm(request.POST or None)
    context = {"workspace": workspace, "form": form, "secret": None}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            new = api_token_create(
                workspace=workspace,
                user=request.user,
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                expires_at=form.expires_at(),
            )
            # Shown in this response only: the table keeps the hash, not the secret.
            context.update(secret=new.secret, new_token=new.token, form=ApiTokenForm())
        else:
            status = 422
    context["tokens"] = tokens_of(workspace)
    return render(request, PAGE, context, status=status)


def api_token_revoke_view(request, workspace):
    """POST ``revoke=<token>``: revoke one of the workspace's tokens (404 for any other)."""
    token = get_object_or_404(ApiToken, workspace=workspace, pk=_int(request.POST["revoke"]))
    if api_token_revoke(token, by=request.user):
        messages.success(request, f"The token “{token.name}” is revoked; it no longer works.")
    return redirect("api_tokens", workspace.pk)


def _int(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 12 else 0
