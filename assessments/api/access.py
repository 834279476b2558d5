"""The pages' access rule, for API tokens.

A token acts for the owner who made it, inside its one workspace, with the lower of its role
and the maker's current role. Lookups go through ``assessments.workspaces.access.scoped`` with
the maker, limited to the token's workspace, so the API sees exactly what the pages would
show that person, and never more than the token's role allows: another workspace's objects
are 404, a role that may not act is 403, as on the pages.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from assessments.api.domain.tokens import lower_role
from assessments.api.models import ApiToken
from assessments.workspaces import access
from config.compiled import CompiledObjects


@dataclass(frozen=True)
class Principal:
    token: ApiToken
    role: str  # the lower of the token's role and its maker's

    @property
    def user(self):
        return self.token.created_by

    @property
    def workspace_id(self) -> int:
        return self.token.workspace_id


def principal_for(token: ApiToken) -> Principal | None:
    """Who a usable token acts as; None when its maker is no longer a member."""
    maker_role = getattr(token, "maker_role", None)
    if maker_role is None:
        return None
    return Principal(token, lower_role(token.role, maker_role))


def in_scope(principal: Principal, queryset: QuerySet | type[Model]) -> QuerySet:
    """``queryset`` limited to what the principal sees, each row's ``member_role`` lowered
    to the token's (``scoped`` annotates the maker's)."""
    queryset = access.scoped(queryset, principal.user)
    return in_workspace(queryset, principal.workspace_id)


def in_workspace(queryset: QuerySet, workspace_id: int) -> QuerySet:
    return queryset.filter(**{queryset.model.workspace_path: workspace_id})


class TokenRead:
    """``get_for_token``'s read of one object by primary key from the queryset ``base()``
    makes, compiled once per process (config/compiled.py): every call of a pipeline polling
    an assessment makes it, and building it cost more than running it."""

    def __init__(self, base: Callable[[], QuerySet]):
        self.model = base().model
        self.read = CompiledObjects(
            lambda user_id, workspace_id, pk: in_workspace(
                access.scoped_for_member(base(), user_id), workspace_id
            ).filter(pk=pk)[:1]
        )

    def __call__(self, principal: Principal, *, pk) -> Model | None:
        # Prepared as a lookup prepares it: "12" is 12, "x" a ValueError as with filter(pk=).
        pk = self.model._meta.pk.get_prep_value(pk)
        return self.read.first(principal.user.pk, principal.workspace_id, pk)


def get_for_token(
    principal: Principal,
    queryset: QuerySet | type[Model] | TokenRead,
    action: str = access.VIEW,
    **lookup,
):
    """One object for the principal or 404; 403 when the token's role may not ``action``."""
    if isinstance(queryset, TokenRead):
        obj = queryset(principal, **lookup)
    else:
        obj = in_scope(principal, queryset).filter(**lookup).first()
    if obj is None:
        raise Http404("No such object in this token's workspace.")
    obj.member_role = lower_role(obj.member_role, principal.role)
    if not access.role_allows(obj.member_role, action):
        raise PermissionDenied(f"This token's role ({obj.member_role}) cannot do this.")
    return obj
