"""Portfolio reads: the flat queries behind the tables, the cache that keeps them, the
clients overview.

Built tables are cached per workspace and filter set twice: under the workspace's current
"data stamp" (fresh) and as the latest build (shown, marked stale, while a worker rebuilds
it: ``assessments.portfolio.services``). The stamp is one query whose cost does not grow with
the number of answers: answer and roadmap changes are read from the audit log's latest
event (every such change is audited), the rest from small aggregates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Case, Count, F, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.audit.models import AuditEvent
from assessments.bank.domain.bank import BANDS
from assessments.bank.models import BankVersion, Question
from assessments.portfolio.domain.scores import STATE_CODES, question_frame
from assessments.portfolio.domain.tables import (
    BuildShown,
    Portfolio,
    area_percentiles,
    build_portfolio,
    system_trends,
)
from assessments.questionnaire.models import Answer
from assessments.results.domain import scoring
from assessments.workspaces.models import Assessment, AssessmentStatus, Client, System

CELL_STATE = 8
CELL_QUESTION = 64

CACHE_VERSION = 1  # bump when the cached tables change shape
CACHE_SECONDS = 24 * 60 * 60  # the data stamp invalidates; this only bounds stale entries


class CellList(Aggregate):
    """The group's values as one comma-separated string (SQLite, PostgreSQL)."""

    function = "GROUP_CONCAT"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(CAST(%(expressions)s AS TEXT), ',')",
            **extra_context,
        )


class PortfolioFilterError(ValueError):
    """A filter value that cannot be applied (e.g. a date range that ends before it starts)."""


@dataclass(frozen=True)
class PortfolioFilters:
    """Which assessments count: by client (``None`` for all), band and creation date."""

    client_id: int | None = None
    band: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        if self.band and self.band not in BANDS:
            raise PortfolioFilterError(f"unknown band {self.band!r}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise PortfolioFilterError("the start date is after the end date")

    @property
    def active(self) -> bool:
        return any((self.client_id, self.band, self.date_from, self.date_to))

    def cache_key(self) -> str:
        return f"{self.client_id or ''}|{self.band}|{self.date_from or ''}|{self.date_to or ''}"

    def assessment_q(self, prefix: str = "") -> Q:
        """The filter as a ``Q`` on assessments, or on rows reaching them through ``prefix``."""
        q = Q()
        if self.client_id:
            q &= Q(**{f"{prefix}system__client_id": self.client_id})
        if self.band:
            q &= Q(**{f"{prefix}band": self.band})
        if self.date_from:
            q &= Q(**{f"{prefix}created_at__date__gte": self.date_from})
        if self.date_to:
            q &= Q(**{f"{prefix}created_at__date__lte": self.date_to})
        return q


def load_frames(workspace_id: int, filters: PortfolioFilters) -> dict[str, pd.DataFrame]:
    """Four flat queries: assessments, questions, bank areas, and answers (one aggregate row
    per assessment, read with a raw cursor: no model instances)."""
    assessments = Assessment.objects.filter(
        filters.assessment_q(), system__workspace_id=workspace_id
    ).values_list(
        "pk",
        "title",
        "status",
        "band",
        "created_at",
        "bank_version_id",
        "system_id",
        "system__name",
        "system__client_id",
        "system__client__name",
    )
    frame = pd.DataFrame(
        list(assessments),
        columns=[
            "assessment_id",
            "title",
            "status",
            "band",
            "created_at",
            "bank_version_id",
            "system_id",
            "system",
            "client_id",
            "client",
        ],
    )
    versions = sorted(set(frame["bank_version_id"].tolist()))
    question_rows = Question.objects.filter(
        Q(bank_version_id__in=versions) | Q(workspace_id=workspace_id)
    ).order_by("position", "pk")
    bank_areas = dict(BankVersion.objects.filter(pk__in=versions).values_list("pk", "areas"))
    # Each answer is one integer (question id, state code, level), and each assessment's
    # answers come as one comma-separated row: 10,000 rows to fetch instead of 800,000.
    cell = F("question_id") * CELL_QUESTION + Case(
        *(When(state=state, then=Value(code * CELL_STATE)) for state, code in STATE_CODES.items()),
        output_field=IntegerField(),
    )
    answers = (
        Answer.objects.filter(assessment_id__in=assessments.values("pk"))
        .values("assessment_id")
        .annotate(count=Count("id"), cells=CellList(cell + Coalesce("level", Value(0))))
        .values_list("assessment_id", "count", "cells")
        .order_by()
    )
    sql, params = answers.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    assessment_ids = np.repeat(np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows])
    text = ",".join(r[2] for r in rows)
    cells = np.array(text.split(","), dtype=np.int64) if text else np.zeros(0, np.int64)
    return {
        "assessments": frame,
        "questions": question_frame(list(question_rows)),
        "answers": pd.DataFrame(
            {
                "assessment_id": assessment_ids,
                "question_id": cells // CELL_QUESTION,
                "state": cells % CELL_QUESTION // CELL_STATE,
                "level": cells % CELL_STATE,
            }
        ),
        "areas": pd.DataFrame(
            [
                (version, order, area["id"], area["title"])
                for version, areas in bank_areas.items()
                for order, area in enumerate(areas)
            ],
            columns=["bank_version_id", "order", "area", "title"],
        ),
    }


def data_stamp(workspace_id: int) -> str:
    """One query whose result changes whenever anything the tables are built from changes.

    Answers and roadmap entries change only through audited services (saves, imports,
    carry-overs, bank upgrades, roadmap edits), so the workspace's latest audit event stands
    for all of them: an index lookup, whatever the number of answers. Systems, clients,
    assessments and custom questions are counted with their latest change (a few rows per
    system). Clients have no timestamp: a renamed client shows with its new name after the
    next change to the workspace's data.
    """
    assessment = Assessment._meta.db_table
    system = System._meta.db_table
    client = Client._meta.db_table
    question = Question._meta.db_table
    audit = AuditEvent._meta.db_table
    # Table names come from model metadata; the only value, the workspace id, is a parameter.
    sql = f"""
        SELECT * FROM
          (SELECT COUNT(*), MAX(updated_at) FROM {system} WHERE workspace_id = %s) s,
          (SELECT COUNT(*), MAX(id) FROM {client} WHERE workspace_id = %s) c,
          (SELECT COUNT(*), MAX(a.updated_at) FROM {assessment} a
             JOIN {system} s ON a.system_id = s.id WHERE s.workspace_id = %s) a,
          (SELECT COUNT(*), MAX(id) FROM {question} WHERE workspace_id = %s) q,
          (SELECT (SELECT id FROM {audit} WHERE workspace_id = %s
                   ORDER BY at DESC, id DESC LIMIT 1)) e
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [workspace_id] * 5)
        row = cursor.fetchone()
    return hashlib.sha256(repr(row).encode()).hexdigest()[:24]


def _fresh_key(workspace_id: int, stamp: str, filters: PortfolioFilters) -> str:
    return f"analytics:v{CACHE_VERSION}:{workspace_id}:{stamp}:{filters.cache_key()}"


def _latest_key(workspace_id: int, filters: PortfolioFilters) -> str:
    return f"analytics:v{CACHE_VERSION}:{workspace_id}:latest:{filters.cache_key()}"


def portfolio_cached(workspace_id: int, filters: PortfolioFilters, stamp: str) -> Portfolio | None:
    """The tables from the cache, building nothing: fresh when they were built at ``stamp``
    (see ``data_stamp``), else the latest build marked ``stale``; None when never built."""
    fresh = cache.get(_fresh_key(workspace_id, stamp, filters))
    if fresh is not None:
        return fresh
    latest = cache.get(_latest_key(workspace_id, filters))
    return replace(latest, stale=True) if latest is not None else None


def portfolio_build(
    workspace_id: int, filters: PortfolioFilters, stamp: str | None = None
) -> Portfolio:
    """Build the tables from the database; keep them as fresh and as the latest build.

    The stamp is read before the data, so a change made while building files the result
    under the old stamp: the next read finds it stale and asks for another build.
    """
    stamp = stamp or data_stamp(workspace_id)
    built = build_portfolio(
        load_frames(workspace_id, filters),
        built_at=timezone.now().isoformat(),
        tz=timezone.get_current_timezone(),
        status_labels=dict(AssessmentStatus.choices),
    )
    fresh, latest = _fresh_key(workspace_id, stamp, filters), _latest_key(workspace_id, filters)
    cache.set_many(
        {
            fresh: built,
            latest: built,
            _built_at(fresh): built.built_at,
            _built_at(latest): built.built_at,
        },
        CACHE_SECONDS,
    )
    return built


def _built_at(key: str) -> str:
    """Where a build's time is kept beside it: read without loading the tables."""
    return f"{key}:built_at"


def portfolio_version(
    workspace_id: int, filters: PortfolioFilters, stamp: str
) -> BuildShown | None:
    """Which build ``portfolio_cached`` would give, without reading its tables (at 10,000
    assessments they take longer to load than a page takes to serve); None when the workspace
    was never built with these filters."""
    fresh = _built_at(_fresh_key(workspace_id, stamp, filters))
    latest = _built_at(_latest_key(workspace_id, filters))
    found = cache.get_many([fresh, latest])
    if fresh in found:
        return BuildShown(stale=False, built_at=found[fresh])
    if latest in found:
        return BuildShown(stale=True, built_at=found[latest])
    return None


def portfolio(workspace_id: int, filters: PortfolioFilters | None = None) -> Portfolio:
    """The tables as of now: from the cache when nothing changed, else built here (exports,
    which must hold the latest data)."""
    filters = filters or PortfolioFilters()
    stamp = data_stamp(workspace_id)
    cached = portfolio_cached(workspace_id, filters, stamp)
    if cached is not None and not cached.stale:
        return cached
    return portfolio_build(workspace_id, filters, stamp)


@dataclass(frozen=True)
class ClientGroup:
    client: Client | None  # None: the systems without a client
    systems: list[dict]


def client_overview(
    workspace_id: int, clients: list[Client], board: Portfolio
) -> list[ClientGroup]:
    """Each client (in the order given) with its systems, their latest assessment and trend
    in ``board``; systems without a client come last under ``None``. One query."""
    trends = system_trends(board)
    systems = System.objects.filter(workspace_id=workspace_id).order_by("name", "pk")
    by_client: dict[int | None, list[dict]] = {}
    for pk, name, client_id in systems.values_list("pk", "name", "client_id"):
        by_client.setdefault(client_id, []).append(
            {"pk": pk, "name": name, "latest": trends.get(pk)}
        )
    groups = [ClientGroup(client, by_client.get(client.pk, [])) for client in clients]
    if by_client.get(None):
        groups.append(ClientGroup(None, by_client[None]))
    return groups


def assessment_percentiles_of(assessment, results, board: Portfolio) -> dict:
    """Per area, where this assessment's answers put the system among the workspace's other
    systems (their latest assessments in ``board``). Answers only, like the portfolio."""
    answers = {
        q.question_id: scoring.AnswerValue(q.question_id, q.state, q.claimed)
        for q in results.score.questions
        if q.state != scoring.UNANSWERED
    }
    own = scoring.score_assessment(results.questions.values(), answers, assessment.band)
    ranks = area_percentiles(
        board, assessment.system_id, {area.area: area.score for area in own.areas}
    )
    rows = [
        {
            "title": results.area_titles.get(area.area, area.area),
            "score": area.score,
            "percentile": ranks.get(area.area) if ranks else None,
        }
        for area in own.areas
    ]
    return {"available": ranks is not None, "rows": rows, "board": board}
