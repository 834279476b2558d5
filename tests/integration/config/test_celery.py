import pytest
from django.db import connection

from config.celery import ping

pytestmark = pytest.mark.celery_worker


@pytest.mark.django_db(transaction=True)
def test_ping_runs_through_the_real_broker_and_worker(celery_worker):
    result = ping.delay()
    assert result.get(timeout=30) == {"pong": True, "database": connection.vendor}
    assert result.successful()
