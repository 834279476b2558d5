"""The attacker's tools: accounts signed up through the pages (never made in the database),
snapshots of every row the app keeps, and a way to run requests at the same moment."""

import os
import re
import threading
from collections.abc import Callable

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection, connections
from django.test import Client

from assessments.bank.models import Question
from assessments.bank.services import question_fields
from assessments.reports.models import ReportFile, ShareLink
from assessments.results.models import RoadmapEntry
from assessments.workspaces.models import Role
from checks.models import ProbeRun
from tests.factories import (
    AnswerFactory,
    AssessmentFactory,
    ClientFactory,
    InvitationFactory,
    MembershipFactory,
    SystemFactory,
    TargetFactory,
)

STRONG_PASSWORD = "vivid-harbor-lantern-93"
# The apps whose rows an attacker might change; a snapshot covers all their models.
APP_LABELS = (
    "auth",
    "checks",
    "bank",
    "workspaces",
    "audit",
    "questionnaire",
    "results",
    "reports",
)


def sign_up(email: str, *, name: str = "", password: str = STRONG_PASSWORD) -> Client:
    """Sign up through the pages like anyone can (confirming by the e-mailed link) and return
    a logged-in client."""
    client = Client()
    sent = len(mail.outbox)
    response = client.post(
        "/accounts/signup/", {"name": name, "email": email, "password": password}
    )
    assert response.status_code == 200, response.content.decode()[:500]
    (message,) = mail.outbox[sent:]
    link = re.search(r"http://testserver(/accounts/signup/confirm/\S+)", message.body)[1]
    assert client.post(link).status_code == 302
    return client


@pytest.fixture
def attacker(db) -> Client:
    return sign_up("mallory@evil.example", name="Mallory")


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every model the app keeps, to prove a request changed nothing."""
    rows = {}
    for label in APP_LABELS:
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = sorted(model.objects.values_list(), key=repr)
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def requires_postgresql() -> None:
    """Races need a server database: skip on SQLite locally, fail in CI (which has one)."""
    if connection.vendor == "postgresql":
        return
    message = "needs PostgreSQL (set DATABASE_URL)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"This test must run in CI: {message}")
    pytest.skip(message)


def at_once(requests: list[Callable[[], object]]) -> list[object]:
    """Run the callables in threads released together; each thread closes its connection."""
    barrier = threading.Barrier(len(requests))
    results: list[object] = [None] * len(requests)

    def run(index, request):
        try:
            barrier.wait(timeout=10)
            results[index] = request()
        except Exception as exc:  # reported to the test, which asserts on it
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def objects_in(workspace, bank_version) -> dict:
    """One object of every kind a URL names, in ``workspace``, keyed by the URL parameter."""

    assessment = AssessmentFactory(system__workspace=workspace, bank_version=bank_version)
    question = bank_version.questions.first()
    AnswerFactory(assessment=assessment, question=question)
    custom = Question.objects.create(
        workspace=workspace,
        position=10**6,
        **{**question_fields(question.as_bank_question()), "key": "x.custom_y"},
    )
    RoadmapEntry.objects.create(assessment=assessment, key="custom-1", is_custom=True, title="x")
    return {
        "key": "custom-1",
        "question_id": custom.pk,
        "assessment_id": assessment.pk,
        "other_id": AssessmentFactory(system=assessment.system, bank_version=bank_version).pk,
        "area": question.area,
        "question_key": question.key,
        "workspace_id": workspace.pk,
        "system_id": SystemFactory(workspace=workspace).pk,
        "client_id": ClientFactory(workspace=workspace).pk,
        "membership_id": MembershipFactory(workspace=workspace, role=Role.VIEWER).pk,
        "invitation_id": InvitationFactory(workspace=workspace).pk,
        "run_id": ProbeRun.objects.create(system=assessment.system).pk,
        "target_id": TargetFactory(system=assessment.system).pk,
        "report_id": ReportFile.objects.create(assessment=assessment, state_fingerprint="").pk,
        "share_id": ShareLink.objects.create(assessment=assessment).pk,
        "export": "answers.csv",
        "token": ShareLink.objects.filter(assessment=assessment).first().token,
        "uidb64": "MQ",
    }
