"""Benchmark: the workspace's system list page against a bare Django view, same run."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.workspaces.models import Role, System
from checks.models import Target
from tests.bench.measure import interleaved_rates, report
from tests.factories import ClientFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def add_systems(workspace, count: int) -> None:
    clients = ClientFactory.create_batch(5, workspace=workspace)
    systems = System.objects.bulk_create(
        System(
            workspace=workspace,
            client=clients[i % 5],
            name=f"System {i:05d}",
            current_users=1000 + i,
            target_users=100_000,
        )
        for i in range(count)
    )
    Target.objects.bulk_create(
        Target(system=s, url=f"https://s{s.pk}.example.com/") for s in systems
    )


def queries_for(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_system_list_throughput_and_query_count(settings, login):
    settings.ROOT_URLCONF = "tests.bench.urls"
    small = MembershipFactory(role=Role.OWNER)
    large = MembershipFactory(role=Role.OWNER)
    add_systems(small.workspace, 10)
    add_systems(large.workspace, 1000)
    small_client, large_client = login(small.user), login(large.user)

    small_queries = queries_for(small_client, f"/w/{small.workspace.pk}/")
    large_queries = queries_for(large_client, f"/w/{large.workspace.pk}/")
    assert small_queries == large_queries

    rates = interleaved_rates(
        {
            "hello": lambda: large_client.get("/bench/hello/"),
            "system list (1,000 systems)": lambda: large_client.get(f"/w/{large.workspace.pk}/"),
        }
    )
    ratio = rates["system list (1,000 systems)"] / rates["hello"]
    report(
        "System list page vs bare view",
        [
            ("bare hello view", f"{rates['hello']:.0f} req/s"),
            ("system list, 1,000 systems", f"{rates['system list (1,000 systems)']:.0f} req/s"),
            ("ratio list / hello", f"{ratio:.2f}"),
            ("queries with 10 systems", str(small_queries)),
            ("queries with 1,000 systems", str(large_queries)),
        ],
    )
    assert ratio > 0
