"""``make loadtest``: ScaleReady as production runs it, under people working at once.

Starts the Procfile's production web command (granian, DEBUG off) and a Celery worker on
PostgreSQL and Redis, plus a loopback HTTP site for the probes; seeds one account and a full
assessment per simulated person; runs Locust headless; prints p50/p95 per step and the
errors; exits non-zero when any request failed. Nothing is sent beyond this machine.

Options come from the environment: LOAD_USERS (20), LOAD_SPAWN_RATE (5), LOAD_SECONDS (60),
LOAD_PG_USER (postgres, else root), LOAD_DATABASE (scaleready_load), LOAD_REDIS
(redis://127.0.0.1:6379), LOAD_PORT (8765).
"""

from __future__ import annotations

import csv
import http.server
import os
import re
import shlex
import signal
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var" / "load"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
STARTUP_SECONDS = 60


class TargetPage(http.server.BaseHTTPRequestHandler):
    """A small site with sensible headers for the probes to look at."""

    def do_GET(self):
        body = b"<!doctype html><title>Load target</title><p>Hello."
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


def database_user() -> str:
    for user in filter(None, (os.environ.get("LOAD_PG_USER"), "postgres", "root")):
        probe = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", user, "-d", "postgres", "-Atqc", "select 1"],
            capture_output=True,
        )
        if probe.returncode == 0:
            return user
    sys.exit("No PostgreSQL role 'postgres' or 'root' with trust auth on 127.0.0.1.")


def environment(port: int) -> dict:
    user, name = database_user(), os.environ.get("LOAD_DATABASE", "scaleready_load")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        sys.exit(f"LOAD_DATABASE must be a plain lower-case name, got {name!r}")
    psql = ["psql", "-h", "127.0.0.1", "-U", user, "-d", "postgres", "-Atqc"]
    query = f"select 1 from pg_database where datname='{name}'"  # noqa: S608  name checked above
    exists = subprocess.run([*psql, query], capture_output=True, text=True).stdout.strip()
    if not exists:
        subprocess.run([*psql, f"create database {name}"], check=True)
    redis = os.environ.get("LOAD_REDIS", "redis://127.0.0.1:6379")
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DEBUG": "0",
        "SECRET_KEY": "load-test-only-secret-not-for-production-use-0123456789",
        "DATABASE_URL": f"postgres://{user}@127.0.0.1:5432/{name}",
        "CELERY_BROKER_URL": f"{redis}/5",
        "CACHE_URL": f"{redis}/6",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{port}",
        # Plain HTTP on loopback: TLS is terminated in front in production (README).
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_SSL_REDIRECT": "0",
        "DJANGO_SETTINGS_MODULE": "tests.load.settings",  # loopback probe targets allowed
        "SCALEREADY_PROBE_COOLDOWN_SECONDS": "0",
        "SCALEREADY_VAR_DIR": str(VAR / "var"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "2"),
        "CELERY_CONCURRENCY": os.environ.get("CELERY_CONCURRENCY", "2"),
    }


def procfile_command(name: str, env: dict) -> list[str]:
    """The Procfile's own command, with ${VAR:-default} expanded like honcho does."""
    line = next(
        line.split(":", 1)[1].strip()
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith(f"{name}:")
    )
    expanded = subprocess.run(
        ["bash", "-c", f"printf '%s\\n' {line}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return [word for word in expanded if word]


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the web server stopped while starting (exit {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # polling a server that is still starting, with a deadline
    sys.exit(f"{url} did not answer within {STARTUP_SECONDS} s")


def report(stats_csv: Path) -> int:
    rows = list(csv.DictReader(stats_csv.open()))
    print(f"\n{'step':<22}{'requests':>10}{'failures':>10}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}")
    failures = 0
    for row in rows:
        failures += int(row["Failure Count"]) if row["Name"] != "Aggregated" else 0
        print(
            f"{row['Name']:<22}{row['Request Count']:>10}{row['Failure Count']:>10}"
            f"{row['50%']:>9}{row['95%']:>9}{float(row['Requests/s']):>8.1f}"
        )
    return failures


def main() -> int:
    port = int(os.environ.get("LOAD_PORT", "8765"))
    users = int(os.environ.get("LOAD_USERS", "20"))
    VAR.mkdir(parents=True, exist_ok=True)
    env = environment(port)
    target = socketserver.ThreadingTCPServer(("127.0.0.1", 0), TargetPage)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    target_url = f"http://127.0.0.1:{target.server_address[1]}/"

    def manage(*args: str) -> None:
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)

    manage("migrate", "--noinput")
    manage("load_bank")
    manage("collectstatic", "--noinput", "--verbosity", "0")
    seed_file = VAR / "seed.json"
    subprocess.run(
        [PYTHON, "-m", "tests.load.seed", str(seed_file), str(users), target_url],
        cwd=ROOT,
        env=env,
        check=True,
    )
    processes = []
    try:
        for name in ("web", "worker"):
            command = procfile_command(name, env)
            print("starting", name, ":", shlex.join(command))
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=(VAR / f"{name}.log").open("w"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        wait_until_up(f"http://127.0.0.1:{port}/healthz", processes[0])
        stats = VAR / "stats"
        locust = subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "tests" / "load" / "locustfile.py"),
                "--headless",
                "--host",
                f"http://127.0.0.1:{port}",
                "-u",
                str(users),
                "-r",
                os.environ.get("LOAD_SPAWN_RATE", "5"),
                "-t",
                f"{os.environ.get('LOAD_SECONDS', '60')}s",
                "--csv",
                str(stats),
                "--only-summary",
            ],
            cwd=ROOT,
            env={**env, "SCALEREADY_LOAD_SEED": str(seed_file)},
        )
        failures = report(Path(f"{stats}_stats.csv"))
        print(f"\nlogs and CSV under {VAR}")
        return 1 if failures or locust.returncode else 0
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        target.shutdown()


if __name__ == "__main__":
    sys.exit(main())
