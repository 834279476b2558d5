from celery import shared_task
from django.db import connection


@shared_task
def ping() -> dict:
    """Round-trip through the broker and the database, to prove a worker is wired up."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (value,) = cursor.fetchone()
    return {"pong": value == 1, "database": connection.vendor}
