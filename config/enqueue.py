"""The one way to queue Celery work: after the transaction commits, by task name.

Services call ``enqueue_on_commit`` and never import a task module. The task is sent once the
rows it works on are visible to a worker; if the broker (or anything Celery touches while
sending) cannot be reached, the error is caught here, logged, and ``on_failure`` records the
reason on the row, so nothing waits for a worker that will never come. Sending gives up after
a few seconds (``SCALEREADY_QUEUE_TIMEOUT_SECONDS`` and the Celery settings beside it).

Tasks are sent with ``ignore_result``: their rows say how they ended, so sending never
touches the result store (with Redis as result backend, Celery would otherwise subscribe to
the result there first and retry 20 times when it is down).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from amqp.exceptions import AMQPError
from celery import current_app
from celery.exceptions import CeleryError
from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

QUEUE_UNAVAILABLE = "The worker queue is unavailable — try again in a moment."
# What sending a task raises when the broker or the result store is down: kombu's errors
# (OperationalError wraps most transport errors), the Redis client's own, Celery's
# RuntimeError after its reconnects, and socket errors (OSError covers timeouts and refused
# connections, also from the file transport).
QUEUE_ERRORS: tuple[type[BaseException], ...] = (
    KombuError,
    AMQPError,
    RedisError,
    CeleryError,
    RuntimeError,
    OSError,
)


@dataclass
class Enqueued:
    """What became of one task sent after commit: ``error`` is set when it could not be sent.

    Until the transaction commits, neither ``sent`` nor ``error`` is set; a service that
    committed its own transaction reads them right after.
    """

    task_name: str
    sent: bool = False
    error: str | None = None


def enqueue_on_commit(
    task_name: str,
    args: Sequence,
    *,
    on_failure: Callable[[str], object],
    task_id: str | None = None,
) -> Enqueued:
    """Send ``task_name`` with ``args`` after commit; on failure call ``on_failure(reason)``."""
    ticket = Enqueued(task_name)

    def send() -> None:
        try:
            current_app.send_task(task_name, args=list(args), task_id=task_id, ignore_result=True)
        except QUEUE_ERRORS as exc:
            logger.error("could not queue %s%s: %r", task_name, tuple(args), exc)
            ticket.error = QUEUE_UNAVAILABLE
            on_failure(QUEUE_UNAVAILABLE)
        else:
            ticket.sent = True

    transaction.on_commit(send)
    return ticket
