"""A database made by an older layout of the app stops `migrate` with what to do about it.

The migration history was started afresh when the apps were reorganised (nothing had been
deployed). Django would otherwise treat an old local database as half-migrated: old tables
left unused beside new empty ones, or new migrations taken as applied because an old one had
the same name. Either way the user would silently lose sight of their data.
"""

from django.apps import apps
from django.core.checks import Error
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder


def stale_migrations(connection) -> list[tuple[str, str]]:
    """Migrations recorded as applied that this code does not have: those of an app that no
    longer exists, or of an installed app under a name no longer on disk."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    installed = {config.label for config in apps.get_app_configs()}
    on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return sorted(
        (app, name)
        for app, name in recorder.applied_migrations()
        if app not in installed or (app, name) not in on_disk
    )


def recorded_migrations_exist(app_configs=None, databases=None, **kwargs) -> list[Error]:
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        try:
            stale = stale_migrations(connection)
        except DatabaseError:  # unreachable database: `migrate` says so itself
            continue
        if not stale:
            continue
        examples = ", ".join(f"{app}.{name}" for app, name in stale[:3])
        location = connection.settings_dict["NAME"]
        errors.append(
            Error(
                f"The database {location} was made by an older version of ScaleReady whose "
                f"tables are laid out differently (it records migrations this version does "
                f"not have: {examples}).",
                hint=(
                    "Old local databases are not converted. Move it aside or delete it "
                    "(for the local default: `mv var/scaleready.sqlite3 "
                    "var/scaleready.old.sqlite3`, or `make clean` to remove var/ and .venv/), "
                    "then run `make run` again: it creates a fresh database and the demo login."
                ),
                id="scaleready.E001",
            )
        )
    return errors
