"""Benchmarks of the probe engine against local targets with injected latency.

1. One target: the whole suite's wall time against its slowest gatherer in the same run
   (gatherers run in parallel, so the suite should cost little more than that gatherer).
2. Ten targets probed at once, as a probe run does (``checks.engine.batch.probe_targets``), against
   one target alone.

Every response of the local hardened site waits ``LATENCY`` seconds first, standing in for a
distant server. The servers run in this process, so their TLS work competes with the client's
for the same two cores -- a harsher setting than real targets on other machines.
"""

import contextlib
import statistics
import time

import pytest

from checks.engine.batch import TargetJob, probe_targets
from checks.engine.probe import ProbeOptions, probe_target
from tests.bench.measure import report
from tests.probe_servers import hardened_server

pytestmark = [
    pytest.mark.usefixtures("loopback_network"),
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"),
]

LATENCY = 0.1  # seconds before every answer
ROUNDS = 3
TARGETS = 10


def timed_probe(url: str, options: ProbeOptions) -> tuple[float, dict[str, float]]:
    """Wall time of the suite, and each gatherer's own time, measured in the same run."""
    started: dict[str, float] = {}
    took: dict[str, float] = {}

    def on_progress(name: str, state: str) -> None:
        if state == "started":
            started[name] = time.perf_counter()
        else:
            took[name] = time.perf_counter() - started[name]

    start = time.perf_counter()
    probe_target(url, options, on_progress)
    return time.perf_counter() - start, took


def test_the_suite_costs_little_more_than_its_slowest_gatherer(local_ca):
    options = ProbeOptions(allow_loopback=True, ca_bundle=local_ca.bundle)
    ratios, walls, slowest = [], [], []
    with hardened_server(local_ca, response_delay=LATENCY) as server:
        timed_probe(server.url, options)  # warm up: imports, TLS contexts
        for _ in range(ROUNDS):
            wall, took = timed_probe(server.url, options)
            name, longest = max(took.items(), key=lambda item: item[1])
            ratios.append(wall / longest)
            walls.append(wall)
            slowest.append((name, longest))
    ratio = statistics.median(ratios)
    name = statistics.mode(n for n, _ in slowest)
    report(
        f"Probe suite vs its slowest gatherer ({LATENCY * 1000:.0f} ms per response)",
        [
            ("suite wall time (median)", f"{statistics.median(walls):.2f} s"),
            (
                "slowest gatherer (median)",
                f"{name}, {statistics.median(t for _, t in slowest):.2f} s",
            ),
            ("ratio suite / slowest gatherer", f"{ratio:.2f} (goal <= 1.5)"),
            ("ratios per round", ", ".join(f"{r:.2f}" for r in ratios)),
        ],
    )
    assert ratio <= 1.5


def test_ten_targets_at_once_cost_little_more_than_one(local_ca):
    options = ProbeOptions(allow_loopback=True, ca_bundle=local_ca.bundle)
    with contextlib.ExitStack() as stack:
        alone = stack.enter_context(hardened_server(local_ca, response_delay=LATENCY))
        others = [
            stack.enter_context(hardened_server(local_ca, response_delay=LATENCY))
            for _ in range(TARGETS)
        ]
        one = [TargetJob(alone.url, options)]
        many = [TargetJob(server.url, options) for server in others]
        probe_targets(one)  # warm up
        singles, multiples = [], []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            outcomes = probe_targets(one)
            singles.append(time.perf_counter() - start)
            start = time.perf_counter()
            outcomes += probe_targets(many)
            multiples.append(time.perf_counter() - start)
            assert all(outcome.artifacts.scheme_https.status == 200 for outcome in outcomes)
    single, multiple = statistics.median(singles), statistics.median(multiples)
    report(
        f"{TARGETS} targets at once vs one ({LATENCY * 1000:.0f} ms per response)",
        [
            ("one target (median)", f"{single:.2f} s"),
            (f"{TARGETS} targets at once (median)", f"{multiple:.2f} s"),
            ("ratio", f"{multiple / single:.2f} (goal <= 2)"),
        ],
    )
    assert multiple / single <= 2


STARTUP_ROUNDS = 9
SETUP_ONLY = (
    "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); "
    "import django; django.setup()"
)


def _process_seconds(command: list[str], **extra_env: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one new Python process running ``command``."""
    import os
    import resource
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.update(extra_env)
    root = Path(__file__).resolve().parents[2]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *command], cwd=root, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def test_probe_starts_within_one_and_a_half_django_setups():
    """``manage.py probe`` typed bare, up to the point it would send its first request (a
    loopback target is refused there, exit 2), against a process doing only ``django.setup()``:
    both in new processes, one right after the other. Judged on CPU time (user + system of
    the child), which other processes on the shared machine do not inflate as they do wall
    time; medians of both shown."""
    probe = ["manage.py", "probe", "http://127.0.0.1:9/"]
    setup = ["-c", SETUP_ONLY]
    key = {"SECRET_KEY": "bench-only"}  # the bare setup() needs one; probe runs without
    _process_seconds(probe), _process_seconds(setup, **key)  # warm the OS file cache
    probes, setups = [], []
    for _ in range(STARTUP_ROUNDS):
        probes.append(_process_seconds(probe))
        setups.append(_process_seconds(setup, **key))
    wall = statistics.median(w for w, _ in probes) / statistics.median(w for w, _ in setups)
    ratio = statistics.median(c for _, c in probes) / statistics.median(c for _, c in setups)
    report(
        "manage.py probe start-up vs django.setup() (new processes)",
        [
            (
                "manage.py probe up to its first request: CPU / wall (median)",
                f"{statistics.median(c for _, c in probes):.2f} s / "
                f"{statistics.median(w for w, _ in probes):.2f} s",
            ),
            (
                "python -c django.setup(): CPU / wall (median)",
                f"{statistics.median(c for _, c in setups):.2f} s / "
                f"{statistics.median(w for w, _ in setups):.2f} s",
            ),
            ("ratio of CPU time", f"{ratio:.2f} (goal <= 1.5)"),
            ("ratio of wall time (noisy on a shared machine)", f"{wall:.2f}"),
        ],
    )
    assert ratio <= 1.5


OBSERVATORY_PACKAGE = "@mdn/mdn-http-observatory"
OBSERVATORY_ROUNDS = 5
OWN_LOOPBACK = "127.0.0.14"  # any 127/8 address is loopback; this one is this bench's own


def _observatory(root):
    """Observatory's npm package under var/, installed as the issue says (--ignore-scripts).
    Its install scripts would download the HSTS preload list and the TLD list; a local address
    is in neither, so empty lists stand in for them."""
    import json
    import subprocess

    prefix = root / "var" / "observatory"
    package = prefix / "node_modules" / "@mdn" / "mdn-http-observatory"
    if not package.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(prefix),
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                OBSERVATORY_PACKAGE,
            ],
            check=True,
            capture_output=True,
        )
    for name, empty in (("hsts-preload.json", {}), ("tld-list.json", [])):
        listed = package / "conf" / name
        if not listed.exists():
            listed.write_text(json.dumps(empty))
    return package


def test_manage_py_probe_is_no_slower_than_observatorys_scan(local_ca):
    """The whole ``manage.py probe`` (new process, start-up included, every check) against
    Observatory's scan of the same local target (new node process), interleaved; judged on
    the median of the per-round wall-time ratios. Observatory's CLI takes no port, so the
    hardened site is served on ports 443 and 80 of its own loopback address."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from checks.engine.catalog import CHECKS
    from tests.probe_servers import hardened_site_on_web_ports

    root = Path(__file__).resolve().parents[2]
    package = _observatory(root)
    node_env = dict(os.environ, NODE_EXTRA_CA_CERTS=local_ca.bundle)
    probe_env = dict(os.environ, DEBUG="1", SCALEREADY_ALLOW_LOOPBACK_TARGETS="1")
    scan_command = ["node", str(root / "tests/bench/observatory_scan.mjs"), str(package)]

    def timed(command, env):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        return time.perf_counter() - start, done

    with hardened_site_on_web_ports(local_ca, OWN_LOOPBACK) as url:
        probe_command = [sys.executable, "manage.py", "probe", url, "--json"]
        probe_command += ["--ca-bundle", local_ca.bundle]
        scan = [*scan_command, OWN_LOOPBACK]
        timed(probe_command, probe_env), timed(scan, node_env)  # warm the OS file cache
        ours, theirs = [], []
        for _ in range(OBSERVATORY_ROUNDS):
            seconds, probed = timed(probe_command, probe_env)
            ours.append(seconds)
            seconds, scanned = timed(scan, node_env)
            theirs.append(seconds)
    assert probed.returncode == 0, probed.stderr
    assert scanned.returncode == 0, scanned.stderr
    [target] = json.loads(probed.stdout)["targets"]
    observatory = json.loads(scanned.stdout)
    ratios = sorted(o / t for o, t in zip(ours, theirs, strict=True))
    ratio = statistics.median(ratios)
    report(
        "manage.py probe vs Observatory's scan of the same local target (new processes)",
        [
            ("manage.py probe, whole (median)", f"{statistics.median(ours):.2f} s"),
            ("Observatory scan, whole (median)", f"{statistics.median(theirs):.2f} s"),
            ("checks / tests run", f"{len(target['results'])} / {observatory['tests']}"),
            ("Observatory's grade of the hardened site", str(observatory["grade"])),
            ("median of the per-round ratios", f"{ratio:.2f} (goal <= 1.0)"),
            ("per-round ratios, sorted", ", ".join(f"{r:.2f}" for r in ratios)),
        ],
    )
    assert len(target["results"]) == len(CHECKS) >= 25
    assert ratio <= 1.0


def test_comparing_two_runs_takes_under_10_ms():
    """The drift comparison a watch would make after every run (``checks.engine.drift``)."""
    from checks.engine.catalog import CHECKS
    from checks.engine.drift import compare_runs, snapshot

    def rows(failing=()):
        return [
            {
                "check_id": check_id,
                "status": "fail" if check_id in failing else "pass",
                "score": 0 if check_id in failing else 100,
                "evidence": {},
                "target_url": f"https://t{n}.example.com/",
            }
            for n in range(10)
            for check_id in CHECKS
        ]

    previous, current = rows(), rows(failing={"csp", "hsts"})
    start = time.perf_counter()
    for _ in range(100):
        found = compare_runs(snapshot(previous), snapshot(current))
    each = (time.perf_counter() - start) / 100
    report(
        "Comparing two runs of 10 targets (snapshots included)",
        [
            ("per comparison", f"{each * 1000:.2f} ms (goal < 10 ms)"),
            ("regressions", str(len(found))),
        ],
    )
    assert each < 0.010
