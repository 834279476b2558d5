"""API token operations (make, revoke, note use), the per-token rate limit, accepting a
probe run as the CI gate's baseline."""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from assessments.api.domain.rate import RateLimit
from assessments.api.domain.tokens import new_token_secret, shown_prefix, token_hash
from assessments.api.models import AcceptedRun, ApiToken, BacklogExport
from assessments.audit.models import AuditEvent
from assessments.audit.services import audit_record


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


@transaction.atomic
def api_token_create(*, workspace, user, name: str, role: str, expires_at=None) -> NewToken:
    secret = new_token_secret()
    token = ApiToken.objects.create(
        workspace=workspace,
        name=name,
        role=role,
        token_hash=token_hash(secret),
        prefix=shown_prefix(secret),
        created_by=user,
        expires_at=expires_at,
    )
    expires = timezone.localdate(expires_at).isoformat() if expires_at else "never"
    audit_record(
        workspace=workspace,
        actor=user,
        kind=AuditEvent.Kind.ACCESS,
        subject=f"API token “{name}”",
        summary=f"API token made: “{name}”, acting as {role}, expires {expires}",
        after={"name": name, "role": role, "expires": expires},
    )
    return NewToken(token, secret)


@transaction.atomic
def api_token_revoke(token: ApiToken, by) -> bool:
    """Revoke ``token`` now; False if it was revoked already (nothing is logged then)."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit_record(
            workspace=token.workspace,
            actor=by,
            kind=AuditEvent.Kind.ACCESS,
            subject=f"API token “{token.name}”",
            summary=f"API token revoked: “{token.name}”; it no longer works",
            before={"revoked": False},
            after={"revoked": True},
        )
    return bool(updated)


def api_token_used(token: ApiToken) -> None:
    """Note the token's use; written at most once per resolution, so reads stay reads."""
    now = timezone.now()
    resolution = timedelta(seconds=settings.SCALEREADY_API_LAST_USED_RESOLUTION_SECONDS)
    if token.last_used_at is not None and now - token.last_used_at < resolution:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def api_rate_limit() -> RateLimit:
    return RateLimit(settings.SCALEREADY_API_RATE_REQUESTS, settings.SCALEREADY_API_RATE_SECONDS)


def api_rate_take(token_id: int, now: float | None = None) -> int:
    """Count one request of ``token_id``; 0 when it is within its limit, else the seconds to
    wait. A fixed window in the default cache (``add`` then ``incr``: atomic in Redis)."""
    limit = api_rate_limit()
    now = time.time() if now is None else now
    key = f"api-rate:{token_id}:{limit.window(now)}"
    if cache.add(key, 1, timeout=limit.seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: this request opens a new window
            cache.add(key, 1, timeout=limit.seconds + 1)
            count = 1
    return 0 if count <= limit.requests else limit.retry_after(now)


@transaction.atomic
def probe_run_accept(system, run, user) -> AcceptedRun:
    """Make ``run`` the baseline the CI gate compares later runs of ``system`` with; the
    audit log says who did, and which run it replaced."""
    previous = AcceptedRun.objects.filter(system=system).select_related("run").first()
    accepted, _ = AcceptedRun.objects.update_or_create(
        system=system, defaults={"run": run, "accepted_by": user}
    )
    audit_record(
        system=system,
        actor=user,
        kind=AuditEvent.Kind.PROBE,
        subject=system.name,
        summary=f"The probe run of {run_time(run)} accepted as the CI gate's baseline",
        before={"baseline": run_time(previous.run)} if previous else None,
        after={"baseline": run_time(run)},
    )
    return accepted


def run_time(run) -> str:
    """A run as people know it: when it was asked for."""
    return date_format(timezone.localtime(run.created_at), "j M Y, H:i")


def backlog_exports_record(system, items, export_format: str, user) -> None:
    """Remember what was exported (by finding id) and its content, for the next export's
    create/update/unchanged and the roadmap's "exported" time."""
    now = timezone.now()
    for item in items:
        BacklogExport.objects.update_or_create(
            system=system,
            key=item.key,
            format=export_format,
            defaults={
                "finding_id": item.finding_id,
                "content_hash": item.content_hash,
                "exported_at": now,
                "exported_by": user,
            },
        )
