"""Celery tasks of the portfolio: thin wrappers around ``assessments.portfolio.services``."""

from celery import shared_task

from assessments.portfolio.services import PORTFOLIO_REBUILD_TASK, portfolio_rebuild


@shared_task(name=PORTFOLIO_REBUILD_TASK, acks_late=True)
def portfolio_rebuild_task(workspace_id: int, filter_args: dict) -> None:
    """Rebuild one workspace's portfolio tables; idempotent, so a redelivery is harmless."""
    portfolio_rebuild(workspace_id, filter_args)
