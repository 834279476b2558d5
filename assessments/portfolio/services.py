"""Keeping the portfolio tables current without building them in a page's request.

A page that finds the tables out of date (the data stamp moved) shows the latest build,
says when it was computed, and asks a worker to rebuild: one rebuild per workspace and
filter set at a time. Only a workspace's very first build, and exports, build in the request.
"""

from __future__ import annotations

import logging
from datetime import date

from django.core.cache import cache

from assessments.portfolio.domain.tables import BuildShown, Portfolio
from assessments.portfolio.selectors import (
    CACHE_VERSION,
    PortfolioFilters,
    data_stamp,
    portfolio_build,
    portfolio_cached,
    portfolio_version,
)
from config.enqueue import enqueue_on_commit

logger = logging.getLogger(__name__)

PORTFOLIO_REBUILD_TASK = "portfolio.rebuild"
# While a rebuild is queued or running, pages queue no other; a worker that died mid-build
# holds the claim at most this long, then the next page view asks again.
REFRESH_CLAIM_SECONDS = 120


def portfolio_current(
    workspace_id: int, filters: PortfolioFilters | None = None, stamp: str | None = None
) -> Portfolio:
    """The tables for a page: fresh from the cache, else the latest build (``stale``) while
    a worker rebuilds them; built here only when the workspace was never built. ``stamp``:
    the data stamp when the request has read it already."""
    filters = filters or PortfolioFilters()
    stamp = stamp or data_stamp(workspace_id)
    cached = portfolio_cached(workspace_id, filters, stamp)
    if cached is None:
        return portfolio_build(workspace_id, filters, stamp)
    if cached.stale:
        portfolio_refresh(workspace_id, filters)
    return cached


def portfolio_shown(workspace_id: int, filters: PortfolioFilters, stamp: str) -> BuildShown | None:
    """Which build a page would show at data stamp ``stamp``, without loading its tables,
    asking for a rebuild when it is stale as ``portfolio_current`` does; None when there is
    none yet (the page builds it)."""
    shown = portfolio_version(workspace_id, filters, stamp)
    if shown is not None and shown.stale:
        portfolio_refresh(workspace_id, filters)
    return shown


def portfolio_refresh(workspace_id: int, filters: PortfolioFilters) -> bool:
    """Queue one rebuild of these tables unless one is already under way; whether queued."""
    claim = _claim_key(workspace_id, filters)
    if not cache.add(claim, 1, REFRESH_CLAIM_SECONDS):
        return False

    def not_queued(reason: str) -> None:
        # The page keeps showing the latest build; the next view asks again.
        logger.warning("portfolio rebuild for workspace %s not queued: %s", workspace_id, reason)
        cache.delete(claim)

    enqueue_on_commit(
        PORTFOLIO_REBUILD_TASK, [workspace_id, filters_to_args(filters)], on_failure=not_queued
    )
    return True


def portfolio_rebuild(workspace_id: int, filter_args: dict) -> Portfolio:
    """What the worker runs: build the tables, then let the next change ask again."""
    filters = filters_from_args(filter_args)
    try:
        return portfolio_build(workspace_id, filters)
    finally:
        cache.delete(_claim_key(workspace_id, filters))


def _claim_key(workspace_id: int, filters: PortfolioFilters) -> str:
    return f"analytics:v{CACHE_VERSION}:{workspace_id}:rebuilding:{filters.cache_key()}"


def filters_to_args(filters: PortfolioFilters) -> dict:
    """Filters as JSON for a task message."""
    return {
        "client_id": filters.client_id,
        "band": filters.band,
        "date_from": filters.date_from.isoformat() if filters.date_from else None,
        "date_to": filters.date_to.isoformat() if filters.date_to else None,
    }


def filters_from_args(args: dict) -> PortfolioFilters:
    return PortfolioFilters(
        client_id=args.get("client_id"),
        band=args.get("band") or "",
        date_from=date.fromisoformat(args["date_from"]) if args.get("date_from") else None,
        date_to=date.fromisoformat(args["date_to"]) if args.get("date_to") else None,
    )
