"""Seed the load-test database: one account, workspace, system and full assessment per
simulated person, so nobody waits on anybody else's optimistic version; and a few
consultants who are members of every one of those workspaces.

Run by ``tests/load/run.py`` with the load environment; writes what the locustfile needs to
the JSON file given as the first argument.
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from assessments.bank.models import Question  # noqa: E402
from assessments.bank.services import shipped_bank_version  # noqa: E402
from assessments.questionnaire.services import answers_import  # noqa: E402
from assessments.workspaces.models import Assessment, Membership, Role, System  # noqa: E402
from assessments.workspaces.services import system_save, user_signup  # noqa: E402
from tests.profiles import early_startup  # noqa: E402

PASSWORD = "load-test-password-1"
REVIEWERS = 4  # consultants reading everyone's pages while the people answer


def account_for(email: str, name: str):
    """The seeded account of ``email``, signed up on the first run (runs reuse the database)."""
    user = get_user_model().objects.filter(username=email).first()
    return user or user_signup(email=email, password=PASSWORD, name=name)


def seed(people: int, target_url: str) -> dict:
    bank_version = shipped_bank_version()
    questions = list(
        Question.objects.filter(bank_version=bank_version)
        .order_by("position")
        .values_list("key", "area")
    )
    accounts = []
    for index in range(people):
        email = f"load-{index}@scaleready.local"
        user = account_for(email, f"Load {index}")
        workspace = Membership.objects.filter(user=user).first().workspace
        system = workspace.systems.first()
        if system is None:
            system = System(
                workspace=workspace, name="Load target", current_users=5_000, target_users=100_000
            )
            system_save(system, [target_url])
        assessment = Assessment.objects.filter(system=system).first()
        if assessment is None:
            assessment = Assessment.objects.create(
                system=system, title="Load audit", bank_version=bank_version, band="100k"
            )
            answers_import(assessment, early_startup(), user)  # ~100 gaps, like a real audit
        versions = dict(assessment.answers.values_list("question__key", "version"))
        accounts.append(
            {
                "email": email,
                "password": PASSWORD,
                "system_id": system.pk,
                "assessment_id": assessment.pk,
                "versions": versions,
            }
        )
    reviewers = []
    for index in range(REVIEWERS):
        email = f"load-reviewer-{index}@scaleready.local"
        user = account_for(email, f"Reviewer {index}")
        for account in accounts:
            workspace = System.objects.get(pk=account["system_id"]).workspace
            Membership.objects.get_or_create(
                workspace=workspace, user=user, defaults={"role": Role.CONSULTANT}
            )
        reviewers.append({"email": email, "password": PASSWORD})
    assessments = [account["assessment_id"] for account in accounts]
    return {
        "questions": questions,
        "accounts": accounts,
        "reviewers": reviewers,
        "assessments": assessments,
    }


if __name__ == "__main__":
    out, people, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(out, "w") as handle:
        json.dump(seed(people, target), handle)
