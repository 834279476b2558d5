"""The database fails under people's feet: connections killed while answers are saved
(PostgreSQL's ``pg_terminate_backend`` from another connection), and the database gone
altogether under the error pages."""

import random
import threading
import time
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, connections
from django.test import Client
from django.urls import reverse

from assessments.audit.models import AuditEvent
from assessments.bank.models import Question
from assessments.questionnaire.models import Answer
from tests.factories import AssessmentFactory
from tests.faults.conftest import closed_port
from tests.security.conftest import requires_postgresql

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]
HTMX = {"HTTP_HX_REQUEST": "true"}
SAVE_SECONDS = 6
QUESTIONS = 4


def kill_other_connections() -> int:
    """Terminate every other client connection to the test database; how many."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


def test_saves_and_their_audit_events_survive_killed_connections(owner, bank_version):
    requires_postgresql()
    assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    questions = list(
        Question.objects.filter(bank_version=bank_version).order_by("position")[:QUESTIONS]
    )
    acknowledged = {q.key: 0 for q in questions}  # the highest version a 200 confirmed
    outcomes: list[int] = []
    error_pages: list[str] = []
    stop = threading.Event()
    logged_in = threading.Event()

    def save_answers():
        client = Client(raise_request_exception=False)
        client.force_login(owner.user)  # before any kill: signing in is not under test
        logged_in.set()
        versions = {q.key: 0 for q in questions}
        index = 0
        while not stop.is_set():
            question = questions[index % len(questions)]
            index += 1
            url = reverse("answer", args=[assessment.pk, question.key])
            data = {"choice": str(index % 3), "base_version": versions[question.key]}
            response = client.post(url, data, **HTMX)
            outcomes.append(response.status_code)
            if response.status_code == 200:
                versions[question.key] += 1
                acknowledged[question.key] = versions[question.key]
                continue
            if response.status_code == 500:
                error_pages.append(response.content.decode())
            # A killed save either committed or did not: ask the database which.
            for _attempt in range(20):
                try:
                    row = Answer.objects.filter(assessment=assessment, question=question).first()
                    break
                except DatabaseError:  # killed again; the next try reconnects
                    connections["default"].close()
            versions[question.key] = row.version if row else 0
        connections.close_all()

    saver = threading.Thread(target=save_answers)
    saver.start()
    assert logged_in.wait(timeout=30), "the saving client could not sign in"
    kills = 0
    deadline = time.monotonic() + SAVE_SECONDS
    try:
        while time.monotonic() < deadline:
            time.sleep(random.uniform(0.02, 0.15))
            kills += kill_other_connections()
    finally:
        stop.set()
        saver.join(timeout=60)
    assert not saver.is_alive()

    assert kills >= 10
    assert outcomes.count(200) >= 20, outcomes  # saving went on between the kills
    assert 500 in outcomes, "no save was hit by a killed connection; nothing was tested"
    assert all("Something went wrong on our side" in page for page in error_pages)
    for question in questions:
        answer = Answer.objects.filter(assessment=assessment, question=question).first()
        version = answer.version if answer else 0
        events = AuditEvent.objects.filter(
            assessment=assessment, kind=AuditEvent.Kind.ANSWER, subject=question.key
        ).count()
        # Nothing acknowledged was lost, and every save has its event (and no event its save).
        assert version >= acknowledged[question.key]
        assert events == version, f"{question.key}: version {version}, {events} events"


@contextmanager
def database_gone():
    """Point the connection at a database that cannot be reached, then back."""
    default = connections["default"]
    saved = dict(default.settings_dict)
    default.close()
    if default.vendor == "sqlite":
        default.settings_dict["NAME"] = "/nonexistent-directory/scaleready.sqlite3"
    else:
        default.settings_dict["PORT"] = str(closed_port())
    yield
    default.close()
    default.settings_dict.update(saved)


def test_error_pages_render_without_the_database(owner, login):
    signed_in = login(owner.user)
    signed_in.raise_request_exception = False
    anonymous = Client(raise_request_exception=False)
    workspace_url = f"/w/{owner.workspace.pk}/"
    assert signed_in.get(workspace_url).status_code == 200
    with database_gone():
        failed = signed_in.get(workspace_url)
        missing = anonymous.get("/no-such-page/")
    assert failed.status_code == 500
    assert "Something went wrong on our side" in failed.content.decode()
    assert missing.status_code == 404
    assert "Page not found" in missing.content.decode()
    assert signed_in.get(workspace_url).status_code == 200  # and back once it returns
