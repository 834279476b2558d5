"""Slow clients against the real production web command: the ``Procfile``'s ``web`` line,
started on a free port with production settings. While 50 connections trickle their headers
a byte at a time, ``/healthz`` keeps answering within 2 seconds, and the server cuts the
trickling connections off once their header timeout has passed."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.faults.conftest import closed_port

pytestmark = pytest.mark.fault

BASE_DIR = Path(settings.BASE_DIR)
SLOW_CLIENTS = 50
ANSWER_WITHIN_SECONDS = 2.0
HEADER_TIMEOUT_MS = 3000


def web_command() -> str:
    for line in (BASE_DIR / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise AssertionError("the Procfile has no web process")


def healthz(port: int, timeout: float) -> tuple[int, float]:
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:
        return response.status, time.monotonic() - started


@pytest.fixture
def production_web(tmp_path):
    """The Procfile's web command, as an operator would run it (DEBUG off)."""
    port = closed_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")},
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "DEBUG": "0",
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SCALEREADY_VAR_DIR": str(tmp_path),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_HEADER_TIMEOUT_MS": str(HEADER_TIMEOUT_MS),
    }
    log = (tmp_path / "web.log").open("wb")
    process = subprocess.Popen(
        ["sh", "-c", f"exec {web_command()}"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            healthz(port, timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail((tmp_path / "web.log").read_text()[-3000:])
            time.sleep(0.2)
    # Every web process answers promptly before the slow clients arrive.
    for _ in range(10):
        assert healthz(port, timeout=ANSWER_WITHIN_SECONDS)[0] == 200
    yield port
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    log.close()


def test_healthz_answers_within_2_s_while_50_connections_trickle_headers(production_web):
    port = production_web
    sockets = []
    for _ in range(SLOW_CLIENTS):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sockets.append(sock)
    stop = threading.Event()
    cut_off_at: dict[int, float] = {}
    started = time.monotonic()

    def trickle():
        while not stop.is_set():
            for index, sock in enumerate(sockets):
                if index in cut_off_at:
                    continue
                try:
                    sock.sendall(b"X")  # one more byte of a header that never ends
                except OSError:
                    cut_off_at[index] = time.monotonic() - started
            stop.wait(0.25)

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        # While every slow connection is open and sending, the health check answers.
        for _ in range(5):
            status, seconds = healthz(port, timeout=ANSWER_WITHIN_SECONDS)
            assert status == 200
            assert seconds < ANSWER_WITHIN_SECONDS
        assert len(cut_off_at) == 0  # all 50 still trickling during those checks
        # The header timeout then closes them (a server without one keeps them for ever).
        deadline = time.monotonic() + HEADER_TIMEOUT_MS / 1000 + 10
        while len(cut_off_at) < SLOW_CLIENTS and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(cut_off_at) == SLOW_CLIENTS, f"{len(cut_off_at)} of {SLOW_CLIENTS} closed"
        status, seconds = healthz(port, timeout=ANSWER_WITHIN_SECONDS)
        assert (status, seconds < ANSWER_WITHIN_SECONDS) == (200, True)
    finally:
        stop.set()
        trickler.join(timeout=5)
        for sock in sockets:
            sock.close()
