"""Faults injected into the real pieces (broker, worker, database, web server)."""

import os
import socket

import pytest

from config.celery import app


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "fault: injects a fault into a real broker, worker, database or web server"
    )


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BrokerSwitch:
    """Points the Celery app of this process at a closed local port (``down``) and back.

    Celery reads ``CELERY_BROKER_URL`` from the environment before its own configuration, so
    both are switched."""

    KEYS = ("broker_url", "broker_write_url", "broker_read_url")

    def __init__(self):
        self.saved_conf = {key: app.conf.get(key) for key in self.KEYS}
        self.saved_env = os.environ.get("CELERY_BROKER_URL")

    def down(self) -> None:
        closed = f"redis://127.0.0.1:{closed_port()}/0"
        os.environ["CELERY_BROKER_URL"] = closed
        app.conf.update(broker_url=closed, broker_write_url=None, broker_read_url=None)
        self.reset_pools()

    def up(self) -> None:
        if self.saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = self.saved_env
        app.conf.update(self.saved_conf)
        self.reset_pools()

    @staticmethod
    def reset_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    switch = BrokerSwitch()
    switch.down()
    yield switch
    switch.up()
