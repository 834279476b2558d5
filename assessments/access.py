"""The one access rule: objects are reachable only by members of their workspace.

Every view resolves workspace-owned objects through ``get_for_user``: a user who is not a
member of the object's workspace gets a 404 (we do not confirm the object exists), a member
whose role does not allow the action gets a 403. Role rights live in ``PERMISSIONS`` only.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import F, Model, QuerySet
from django.http import Http404

from assessments.models import Role

VIEW = "view"
EDIT = "edit"  # systems, clients, assessments (start, assign, submit, reopen)
ANSWER = "answer"  # questionnaire answers (assigned areas for contributors)
MANAGE_MEMBERS = "manage_members"
UPGRADE_BANK = "upgrade_bank"  # move an assessment to a newer question bank
CONSULT = "consult"  # consultant-only notes, severity overrides, the audit log

PERMISSIONS: dict[str, frozenset[str]] = {
    VIEW: frozenset(Role),
    ANSWER: frozenset({Role.OWNER, Role.CONSULTANT, Role.CONTRIBUTOR}),
    EDIT: frozenset({Role.OWNER, Role.CONSULTANT}),
    MANAGE_MEMBERS: frozenset({Role.OWNER}),
    UPGRADE_BANK: frozenset({Role.OWNER}),
    CONSULT: frozenset({Role.OWNER, Role.CONSULTANT}),
}


def role_allows(role: str, action: str) -> bool:
    return role in PERMISSIONS[action]


def scoped(queryset: QuerySet | type[Model], user) -> QuerySet:
    """Limit a queryset to the user's workspaces and annotate each row with ``member_role``.

    The annotation reuses the filter's join to the user's membership (one per workspace),
    so each object appears once and the check costs a single join.
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    if not user.is_authenticated:
        return queryset.none()
    path = queryset.model.workspace_path
    memberships = "memberships" if path == "pk" else f"{path}__memberships"
    return queryset.filter(**{f"{memberships}__user": user}).annotate(
        member_role=F(f"{memberships}__role")
    )


def get_for_user(user, queryset: QuerySet | type[Model], action: str = VIEW, **lookup):
    """Fetch one workspace-owned object for ``user`` or raise 404; 403 if the role forbids."""
    obj = scoped(queryset, user).filter(**lookup).first()
    if obj is None:
        raise Http404("No such object in your workspaces.")
    if not role_allows(obj.member_role, action):
        raise PermissionDenied(f"Your role ({obj.member_role}) cannot do this.")
    return obj
