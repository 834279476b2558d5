"""A database made by the app's layout before the split into feature apps stops `migrate`
(and so `make run`) with what to do, never a traceback and never a silent half-migration."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from config.database_checks import recorded_migrations_exist

ROOT = Path(__file__).resolve().parents[3]


def test_a_current_database_passes_the_check(db):
    assert recorded_migrations_exist(databases=["default"]) == []


def test_migrations_of_the_old_layout_are_reported_with_what_to_do(db):
    MigrationRecorder(connection).record_applied("assessments", "0006_consultant_workspace")
    MigrationRecorder(connection).record_applied("checks", "0002_probe_runs")
    (error,) = recorded_migrations_exist(databases=["default"])
    assert error.id == "scaleready.E001"
    assert "assessments.0006_consultant_workspace" in error.msg
    assert "checks.0002_probe_runs" in error.msg
    assert "make clean" in error.hint


def test_migrate_on_an_old_local_database_stops_with_a_clear_message(tmp_path):
    database = tmp_path / "old.sqlite3"
    with sqlite3.connect(database) as old:
        old.execute(
            "CREATE TABLE django_migrations (id integer PRIMARY KEY AUTOINCREMENT, "
            "app varchar(255) NOT NULL, name varchar(255) NOT NULL, applied datetime NOT NULL)"
        )
        old.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('assessments', '0001_initial', '2026-11-20 10:00:00')"
        )
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SCALEREADY_VAR_DIR": str(tmp_path),
        "DEBUG": "1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "was made by an older version of ScaleReady" in result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(database) as old:
        tables = {row[0] for row in old.execute("SELECT name FROM sqlite_master")}
    assert "workspaces_workspace" not in tables  # nothing was half-migrated
