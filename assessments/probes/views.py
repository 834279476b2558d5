"""Probe runs in the app: start one from the system page, watch it, read its results.

The run page is one URL serving the whole page or, to htmx polling, the ``run_status``
fragment; the fragment polls only while the run is queued or running. Everything works
without JavaScript (a form to start, a link to refresh).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments.probes.services import probe_run_request
from assessments.workspaces import access
from assessments.workspaces.models import System
from checks.models import ProbeRun, Target
from checks.selectors import results_by_target, run_grade, run_progress
from checks.services import ProbeRunRefused, probe_runs_sweep, target_verify

RUN_PAGE = "probes/probe_run.html"


def _system_probes_url(system) -> str:
    return f"{system.get_absolute_url()}#probes"


@login_required
@require_POST
def probe_run_start_view(request, system_id):
    system = access.get_for_user(
        request.user, System.objects.select_related("workspace"), access.EDIT, pk=system_id
    )
    run_burst = request.POST.get("run_burst") in {"1", "on", "true"}
    try:
        run = probe_run_request(system, request.user, run_burst=run_burst)
    except ProbeRunRefused as exc:
        messages.error(request, f"The probes were not started: {exc}")
        return redirect(_system_probes_url(system))
    messages.success(request, "Probe run requested: this page follows it until it finishes.")
    return redirect(run)


@login_required
def probe_run_detail(request, run_id):
    runs = ProbeRun.objects.select_related("system__workspace", "requested_by")
    run = access.get_for_user(request.user, runs, pk=run_id)
    if run.is_active and run.stale_reason(timezone.now()):
        # Noticed here too, so a dead run shows as failed even where beat is not running.
        probe_runs_sweep(run_ids=[run.pk])
        run.refresh_from_db()
    context = {
        "run": run,
        "system": run.system,
        "workspace": run.system.workspace,
        "can_edit": access.role_allows(run.member_role, access.EDIT),
        "progress": run_progress(run),
        "reports": [] if run.is_active else results_by_target(run),
        "grade": run_grade(run) if run.status == ProbeRun.Status.SUCCEEDED else None,
    }
    polled = request.htmx and not request.htmx.boosted
    return render(request, f"{RUN_PAGE}#run_status" if polled else RUN_PAGE, context)


@login_required
@require_POST
def target_verify_view(request, target_id):
    targets = Target.objects.select_related("system")
    target = access.get_for_user(request.user, targets, access.EDIT, pk=target_id)
    result = target_verify(target)
    if result.verified:
        method = target.get_verification_method_display()
        messages.success(
            request,
            f"{target.url} is verified (by {method}). Capacity bursts may now run on it.",
        )
    else:
        messages.error(request, f"{target.url} is not verified yet: {result.detail}")
    return redirect(_system_probes_url(target.system))
