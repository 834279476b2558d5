"""The API object: token authentication, rate limits, problem+json errors, pagination.

Token calls carry ``Authorization: Bearer <token>``; nothing reads the session cookie, so no
call needs (or is protected by) a CSRF token: a browser cannot attach the header by itself.
"""

import functools
import json

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from assessments.api.access import Principal, principal_for
from assessments.api.domain.pages import PageInvalid, page_count, page_request
from assessments.api.domain.problems import PROBLEM_CONTENT_TYPE, ApiProblem, Problem
from assessments.api.selectors import token_for_secret
from assessments.api.services import api_rate_take, api_token_used

API_VERSION = "1"


class TokenAuth(HttpBearer):
    """A workspace API token: usable (not revoked, not expired), its maker still a member,
    and within its rate limit."""

    def authenticate(self, request, token: str) -> Principal | None:
        found = token_for_secret(token.strip())
        if found is None or not found.is_usable:
            return None
        principal = principal_for(found)
        if principal is None:
            return None
        if wait := api_rate_take(found.pk):
            raise ApiProblem(
                429,
                f"This token made more requests than its limit allows; retry in {wait} s.",
                "rate-limited",
                retry_after=wait,
            )
        api_token_used(found)
        request.principal = principal
        return principal


api = NinjaAPI(
    title="ScaleReady API",
    version=API_VERSION,
    description=(
        "Systems, assessments, answers, probe runs, results, the roadmap and PDF reports of "
        "one workspace, for pipelines and trackers. Authenticate with a workspace API token "
        "(`Authorization: Bearer srk_…`), made by an owner on the workspace's API tokens page."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def problem_response(request, problem: Problem) -> HttpResponse:
    response = HttpResponse(
        json.dumps(problem.as_dict(instance=request.path)),
        status=problem.status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    if "retry_after" in problem.extra:
        response["Retry-After"] = str(problem.extra["retry_after"])
    if problem.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scaleready"'
    return response


@api.exception_handler(ApiProblem)
def on_problem(request, exc: ApiProblem):
    return problem_response(request, exc.problem)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    detail = "Send a valid, unrevoked, unexpired workspace API token as “Authorization: Bearer …”."
    return problem_response(request, Problem(401, detail, "not-authenticated"))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return problem_response(request, Problem(404, "No such object in this token's workspace."))


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return problem_response(request, Problem(403, str(exc) or "This token cannot do this."))


@api.exception_handler(ValidationError)
def on_invalid(request, exc: ValidationError):
    errors = [
        {"field": ".".join(str(part) for part in error.get("loc", ())[1:]), "message": error["msg"]}
        for error in exc.errors
    ]
    detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors)
    return problem_response(request, Problem(422, detail, "invalid-input", {"errors": errors}))


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return problem_response(request, Problem(exc.status_code, str(exc)))


def paginate(
    request, queryset, serialize, page: int | None, page_size: int | None, prepare=None
) -> dict:
    """One page of ``queryset``: two queries (count, slice) whatever the page or table size;
    ``prepare`` may load what the page's rows need at once (a query for the whole page), so
    ``serialize`` turns a row into its JSON without further queries."""
    try:
        wanted = page_request(page, page_size)
    except PageInvalid as exc:
        raise ApiProblem(422, str(exc), "invalid-page") from None
    total = queryset.count()
    rows = list(queryset[wanted.offset : wanted.offset + wanted.size])
    if prepare is not None:
        prepare(rows)
    pages = page_count(total, wanted.size)

    def link(number):
        if not 1 <= number <= pages:
            return None
        query = request.GET.copy()
        query["page"] = str(number)
        query["page_size"] = str(wanted.size)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "count": total,
        "page": wanted.page,
        "page_size": wanted.size,
        "pages": pages,
        "next": link(wanted.page + 1),
        "previous": link(wanted.page - 1),
        "items": [serialize(row) for row in rows],
    }


def problem_on_405(view):
    """ninja answers a method a route does not take with a bare 405: say it as a problem."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response["Content-Type"] == PROBLEM_CONTENT_TYPE:
            return response
        allowed = response["Allow"]
        problem = problem_response(request, Problem(405, f"This URL takes {allowed} only."))
        problem["Allow"] = allowed
        return problem

    return wrapped


@api.get("/", auth=None, include_in_schema=False)
def api_root(request):
    """What a person or client finds at the API's root: where the docs and the schema are."""
    return {
        "name": "ScaleReady API",
        "version": API_VERSION,
        "docs": request.build_absolute_uri("docs"),
        "openapi": request.build_absolute_uri("openapi.json"),
        "authentication": "Authorization: Bearer <workspace API token>",
    }


def unknown_path(request, rest=""):
    """Any other path under the API answers like the API (problem+json), not an HTML page."""
    detail = "No such endpoint; the list is in the OpenAPI document at /api/v1/openapi.json."
    return problem_response(request, Problem(404, detail))


def api_urls():
    """The API's URL patterns (for ``include``), each answering 405 as problem+json."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = problem_on_405(pattern.callback)
    return patterns, app_name, namespace
