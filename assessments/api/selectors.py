"""Reads for the API: the token a secret names, a workspace's tokens, accepted runs."""

from django.db.models import OuterRef, QuerySet, Subquery

from assessments.api.domain.tokens import looks_like_token, token_hash
from assessments.api.models import AcceptedRun, ApiToken, BacklogExport
from assessments.workspaces.models import Membership
from config.compiled import CompiledObjects, CompiledRows


def token_for_secret(secret: str) -> ApiToken | None:
    """The token a secret names, with its maker's current role in the workspace annotated
    (``maker_role``, None when they left); one query. Looked up by hash only."""
    if not looks_like_token(secret):
        return None
    return token_rows.first(token_hash(secret))


def token_query(secret_hash: str) -> QuerySet:
    maker_role = Membership.objects.filter(
        workspace=OuterRef("workspace"), user=OuterRef("created_by")
    ).values("role")[:1]
    return (
        ApiToken.objects.select_related("created_by")
        .annotate(maker_role=Subquery(maker_role))
        .filter(token_hash=secret_hash)[:1]
    )


# Every API call looks its token up: compiled once (config/compiled.py).
token_rows = CompiledObjects(token_query)


def tokens_of(workspace) -> QuerySet:
    return workspace.api_tokens.select_related("created_by")


def accepted_run_of(system) -> AcceptedRun | None:
    return AcceptedRun.objects.filter(system=system).select_related("run").first()


def exported_hashes(system, export_format: str) -> dict[str, str]:
    """Finding id → content hash of its last export in ``export_format``; one query."""
    rows = BacklogExport.objects.filter(system=system, format=export_format)
    return dict(rows.values_list("finding_id", "content_hash"))


# The system's exports as stored, by system id: an input of the roadmap page, which shows
# them (config/fragments.py).
export_rows = CompiledRows(
    lambda system_id: (
        BacklogExport.objects.filter(system=system_id)
        .order_by("pk")
        .values_list("key", "exported_at")
    )
)


def exported_times(system) -> dict[str, object]:
    """Roadmap key → when it was last exported (any format); one query."""
    latest: dict[str, object] = {}
    for key, moment in BacklogExport.objects.filter(system=system).values_list(
        "key", "exported_at"
    ):
        if key not in latest or moment > latest[key]:
            latest[key] = moment
    return latest
