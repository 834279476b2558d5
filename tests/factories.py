import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from assessments.questionnaire.models import Answer, AnswerState
from assessments.workspaces.models import (
    AreaAssignment,
    Assessment,
    Client,
    Invitation,
    Membership,
    Role,
    System,
    Workspace,
    invitation_token_hash,
    new_invitation_token,
)
from checks.models import Target

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    username = factory.SelfAttribute("email")
    first_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Client {n}")


class SystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = System

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"System {n}")
    description = "Customer-facing web app and API."
    current_users = 2_000
    target_users = 100_000


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    system = factory.SubFactory(SystemFactory)
    url = factory.Sequence(lambda n: f"https://app{n}.example.com/")


class InvitationFactory(factory.django.DjangoModelFactory):
    """An invitation; its plain ``token`` (the one in the link) stays on the object, the row
    keeps only its hash, as ``invitation_create`` does."""

    class Meta:
        model = Invitation

    workspace = factory.SubFactory(WorkspaceFactory)
    role = Role.CONTRIBUTOR
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    token = factory.LazyFunction(new_invitation_token)

    @classmethod
    def _create(cls, model_class, *args, token, **kwargs):
        invitation = super()._create(
            model_class, *args, token_hash=invitation_token_hash(token), **kwargs
        )
        invitation.token = token
        return invitation


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    system = factory.SubFactory(SystemFactory)
    title = factory.Sequence(lambda n: f"Assessment {n}")
    band = "100k"
    # bank_version must be given: use the `bank_version` fixture.


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    state = AnswerState.LEVEL
    level = 1
    answered_at = factory.LazyFunction(timezone.now)


class AreaAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AreaAssignment
