"""Listening to ``checks``: every succeeded run of a watched system is compared with the one
before it, in the worker that ran it, right after its results were committed."""

from django.dispatch import receiver

from assessments.watch.services import drift_compare
from checks.signals import probe_run_succeeded


@receiver(probe_run_succeeded, dispatch_uid="watch.compare_after_run")
def compare_after_run(sender, run_id: int, **kwargs) -> None:
    drift_compare(run_id)
