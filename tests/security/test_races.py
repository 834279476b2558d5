"""Requests that arrive at the same moment, on PostgreSQL (which runs them really at once):
several "Make PDF" clicks make one rendering; several accepts of one link make one member."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from assessments.reports.models import ReportFile
from assessments.workspaces.models import Membership, Role
from tests.factories import AssessmentFactory, InvitationFactory, UserFactory
from tests.security.conftest import at_once, requires_postgresql

pytestmark = pytest.mark.django_db(transaction=True)
CLICKS = 8


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_simultaneous_make_pdf_posts_queue_one_rendering(owner, bank_version):
    requires_postgresql()
    assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    url = reverse("report_generate", args=[assessment.pk])
    clients = [logged_in(owner.user) for _ in range(CLICKS)]
    responses = at_once([lambda c=c: c.post(url) for c in clients])
    assert [getattr(r, "status_code", r) for r in responses] == [302] * CLICKS
    reports = ReportFile.objects.filter(assessment=assessment)
    assert reports.count() == 1
    assert reports.get().is_active


def test_the_database_refuses_a_second_active_rendering(owner, bank_version):
    assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    ReportFile.objects.create(assessment=assessment, state_fingerprint="")
    ReportFile.objects.create(
        assessment=assessment, state_fingerprint="", status=ReportFile.Status.READY
    )
    for status in (ReportFile.Status.QUEUED, ReportFile.Status.RENDERING):
        with pytest.raises(IntegrityError), transaction.atomic():
            ReportFile.objects.create(assessment=assessment, state_fingerprint="", status=status)


def test_simultaneous_accepts_of_one_link_make_one_member(owner):
    requires_postgresql()
    invitation = InvitationFactory(
        workspace=owner.workspace, role=Role.VIEWER, email="twice@example.com"
    )
    joiner = UserFactory(email="twice@example.com")
    url = f"/invite/{invitation.token}/"
    clients = [logged_in(joiner) for _ in range(CLICKS)]
    responses = at_once([lambda c=c: c.post(url) for c in clients])
    codes = sorted(getattr(r, "status_code", r) for r in responses)
    assert codes.count(302) == 1, codes
    assert set(codes) <= {302, 410}
    assert Membership.objects.filter(workspace=owner.workspace, user=joiner).count() == 1
    assert get_user_model().objects.filter(email="twice@example.com").count() == 1
