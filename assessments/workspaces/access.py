"""The one access rule: objects are reachable only by members of their workspace.

Every view resolves workspace-owned objects through ``get_for_user``: a user who is not a
member of the object's workspace gets a 404 (we do not confirm the object exists), a member
whose role does not allow the action gets a 403. Role rights live in ``PERMISSIONS`` only.

A membership may be limited to one client or one assessment (client staff invited by a
consultant). Each workspace-owned model declares, beside ``workspace_path``, how it hangs
off a client (``client_path``) and an assessment (``assessment_path``); ``None`` means
limited members never reach it (workspace pages, members, clients list, probe controls).
A member limited to an assessment sees that assessment and what hangs off it (answers,
results, roadmap, reports); the system's name is shown on those pages but the system page
is not theirs. A member limited to a client sees that client's systems (with their probe
runs) and their assessments. Neither sees the workspace itself.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import F, Model, Q, QuerySet
from django.http import Http404

from assessments.workspaces.models import Role
from config.compiled import CompiledObjects

VIEW = "view"
EDIT = "edit"  # systems, clients, assessments (start, assign, submit, reopen)
ANSWER = "answer"  # questionnaire answers (assigned areas for contributors)
MANAGE_MEMBERS = "manage_members"  # includes inviting unlimited members
INVITE_CLIENT_STAFF = "invite_client_staff"  # invite people limited to a client or assessment
UPGRADE_BANK = "upgrade_bank"  # move an assessment to a newer question bank
CONSULT = "consult"  # consultant-only notes, severity overrides, the audit log

PERMISSIONS: dict[str, frozenset[str]] = {
    VIEW: frozenset(Role),
    ANSWER: frozenset({Role.OWNER, Role.CONSULTANT, Role.CONTRIBUTOR}),
    EDIT: frozenset({Role.OWNER, Role.CONSULTANT}),
    MANAGE_MEMBERS: frozenset({Role.OWNER}),
    INVITE_CLIENT_STAFF: frozenset({Role.OWNER, Role.CONSULTANT}),
    UPGRADE_BANK: frozenset({Role.OWNER}),
    CONSULT: frozenset({Role.OWNER, Role.CONSULTANT}),
}


def role_allows(role: str, action: str) -> bool:
    return role in PERMISSIONS[action]


# Roles a limited (client or assessment) membership may have: client staff never run things.
LIMITED_ROLES = frozenset({Role.CONTRIBUTOR, Role.VIEWER})


def scope_fields(model: type[Model]) -> dict[str, str]:
    """How a limited membership reaches rows of ``model``: its field (``client``,
    ``assessment``) → the path from a row to the id that field must equal. The one definition
    of scope that ``scope_condition`` (SQL) and ``in_scope`` (one fetched row) both read."""
    paths = {
        "client": getattr(model, "client_path", None),
        "assessment": getattr(model, "assessment_path", None),
    }
    return {field: path for field, path in paths.items() if path is not None}


def scope_condition(model: type[Model], memberships: str) -> Q:
    """The membership row lets its user see a row of ``model``: unlimited, or in its scope."""
    condition = Q(**{f"{memberships}__client__isnull": True}) & Q(
        **{f"{memberships}__assessment__isnull": True}
    )
    for field, path in scope_fields(model).items():
        condition |= Q(**{f"{memberships}__{field}": F(path)})
    return condition


def in_scope(model: type[Model], member: dict[str, int | None], row: dict[str, int | None]) -> bool:
    """``scope_condition`` decided in Python for one row: ``member`` holds the membership's
    ``client`` and ``assessment`` ids, ``row`` the row's ids at ``scope_fields`` paths. As in
    SQL, an empty id equals nothing: a membership limited to an assessment never matches a
    row's missing client."""
    if member["client"] is None and member["assessment"] is None:
        return True
    return any(
        member[field] is not None and member[field] == row[field] for field in scope_fields(model)
    )


def memberships_path(model: type[Model]) -> str:
    """The lookup from a row of ``model`` to its workspace's memberships."""
    path = model.workspace_path
    return "memberships" if path == "pk" else f"{path}__memberships"


def scoped(queryset: QuerySet | type[Model], user) -> QuerySet:
    """Limit a queryset to what the user may see and annotate each row with ``member_role``.

    Also annotated: ``member_client_id`` / ``member_assessment_id``, the scope of the
    membership that grants access (both None for a whole-workspace member), so pages can
    leave out links a limited member could not open. The user and scope conditions sit in
    one ``filter()`` call and the annotations reuse its join to the user's membership (one
    per workspace), so each object appears once and the check costs a single join.
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    if not user.is_authenticated:
        return queryset.none()
    return scoped_for_member(queryset, user.pk)


def scoped_for_member(queryset: QuerySet, user_id: int) -> QuerySet:
    """``scoped`` for a signed-in user known by id (a compiled read takes ids, not users)."""
    memberships = memberships_path(queryset.model)
    return queryset.filter(
        Q(**{f"{memberships}__user": user_id}) & scope_condition(queryset.model, memberships)
    ).annotate(**member_annotations(memberships))


def member_annotations(memberships: str) -> dict[str, F]:
    """The membership that grants access, as ``scoped`` and ``get_for_user`` annotate it."""
    return {
        "member_role": F(f"{memberships}__role"),
        "member_client_id": F(f"{memberships}__client"),
        "member_assessment_id": F(f"{memberships}__assessment"),
    }


def limited(queryset: QuerySet) -> QuerySet:
    """Of a ``scoped`` queryset, the rows the user sees through a client/assessment membership."""
    return queryset.filter(
        Q(member_client_id__isnull=False) | Q(member_assessment_id__isnull=False)
    )


def is_limited(obj: Model) -> bool:
    """Whether ``obj`` (fetched through ``scoped``) is seen through a client or assessment
    membership, so the rest of its workspace is not the user's to see."""
    return bool(
        getattr(obj, "member_client_id", None) or getattr(obj, "member_assessment_id", None)
    )


def get_for_user(user, queryset, action: str = VIEW, **lookup):
    """Fetch one workspace-owned object for ``user`` or raise 404; 403 if the role forbids.

    ``lookup`` names one object (a primary key). The row is read with the user's membership
    of its workspace (one per workspace, an indexed join) and the scope is decided by
    ``in_scope``, the rule ``scoped`` applies in SQL: the same answer for a lower price than
    compiling the scope condition on every request. Annotated as by ``scoped``.
    ``queryset`` is a queryset, a model, or a ``MemberRead`` (the same read compiled once).
    """
    if not user.is_authenticated:
        raise Http404("No such object in your workspaces.")
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    if isinstance(queryset, MemberRead):
        obj = queryset(user.pk, **lookup)
    else:
        obj = next(iter(member_query(queryset, user.pk, **lookup)), None)
    model = queryset.model
    if obj is None or not in_scope(model, *fetched_scope(obj, scope_fields(model))):
        raise Http404("No such object in your workspaces.")
    if not role_allows(obj.member_role, action):
        raise PermissionDenied(f"Your role ({obj.member_role}) cannot do this.")
    return obj


def member_query(queryset: QuerySet, user_id: int, **lookup) -> QuerySet:
    """``get_for_user``'s read: the object with the user's membership of its workspace and the
    object's own scope ids annotated (``fetched_scope`` reads them back)."""
    memberships = memberships_path(queryset.model)
    paths = scope_fields(queryset.model)
    return (
        queryset.filter(**{f"{memberships}__user": user_id}, **lookup)
        .annotate(
            **member_annotations(memberships),
            **{f"scope_{field}_id": F(path) for field, path in paths.items()},
        )
        .order_by()[:1]
    )


class MemberRead:
    """``get_for_user``'s read of one object by primary key from the queryset ``base()``
    makes, compiled once per process: for the access checks every request of a page makes
    (compiling it cost more than running it)."""

    def __init__(self, base: Callable[[], QuerySet]):
        self.model = base().model
        self.read = CompiledObjects(lambda user_id, pk: member_query(base(), user_id, pk=pk))

    def __call__(self, user_id: int, *, pk) -> Model | None:
        # Prepared as a lookup prepares it: "12" is 12, "x" a ValueError as with filter(pk=).
        return self.read.first(user_id, self.model._meta.pk.get_prep_value(pk))


def fetched_scope(obj: Model, paths: dict[str, str]) -> tuple[dict, dict]:
    """The membership's and the row's scope ids, as annotated by ``get_for_user``."""
    member = {"client": obj.member_client_id, "assessment": obj.member_assessment_id}
    return member, {field: getattr(obj, f"scope_{field}_id") for field in paths}
