"""Starting an engagement: a client (new or existing), a system and its first assessment.

One transaction, so a failure half-way (say, a client name taken a moment ago) leaves
nothing behind.
"""

from django.db import transaction
from django.utils import timezone

from assessments.bank import band_for_users
from assessments.bank_records import shipped_bank_version
from assessments.models import Assessment, Client, System, Workspace
from assessments.questionnaire import assessment_start
from assessments.workspaces import system_save


@transaction.atomic
def engagement_start(
    *,
    workspace: Workspace,
    user,
    client: Client | None,
    client_name: str,
    system: System,
    base_urls: list[str],
    title: str = "",
) -> Assessment:
    """Create the client unless given, save ``system`` under it and start its assessment."""
    if client is None:
        client = Client.objects.create(workspace=workspace, name=client_name)
    system.workspace = workspace
    system.client = client
    system_save(system, base_urls)
    return assessment_start(
        system=system,
        user=user,
        bank_version=shipped_bank_version(),
        band=band_for_users(system.target_users),
        title=title or f"{system.name} — {timezone.localdate():%B %Y}",
    )
