import pytest

from assessments.questionnaire.services import answers_import
from tests.factories import AssessmentFactory
from tests.profiles import early_startup


@pytest.fixture
def startup(owner, bank_version):
    """The early-startup profile (mostly level 0-1) aiming at 100K users: about a hundred
    gaps and roadmap steps."""
    assessment = AssessmentFactory(
        system__workspace=owner.workspace, system__target_users=100_000, bank_version=bank_version
    )
    answers_import(assessment, early_startup(), owner.user)
    return assessment
