"""What the probe records tell the apps above them, without importing them.

``probe_run_succeeded`` is sent by the worker (``checks.execution``) once a run's results are
committed, with ``run_id`` and ``system_id``; the drift watch (``assessments.watch``) compares
the run with the one before it. Sent with ``send_robust``: a receiver's failure is logged and
never turns a finished run into a failed task.
"""

from django.dispatch import Signal

probe_run_succeeded = Signal()
