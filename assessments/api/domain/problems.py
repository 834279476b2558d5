"""RFC 9457 problem details: every API error has this one shape.

Pure: no Django. ``type`` is a URI naming the kind of problem (on the API's docs page);
``title`` is the same for every problem of a type; ``detail`` says what happened this time.
"""

from dataclasses import dataclass, field
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types are named in docs/api.md ("Errors"); the URI leads to the API's docs page.
PROBLEM_TYPE_BASE = "/api/v1/docs#problem-"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid input",
    429: "Too many requests",
    503: "Service unavailable",
}


@dataclass(frozen=True)
class Problem:
    status: int
    detail: str
    kind: str = ""  # a short slug, e.g. "answer-conflict"; defaults from the status
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, instance: str = "") -> dict[str, Any]:
        slug = self.kind or TITLES.get(self.status, "error").lower().replace(" ", "-")
        body = {
            "type": f"{PROBLEM_TYPE_BASE}{slug}",
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class ApiProblem(Exception):
    """Raised by endpoints; the API turns it into a problem+json response."""

    def __init__(self, status: int, detail: str, kind: str = "", **extra: Any):
        self.problem = Problem(status, detail, kind, extra)
        super().__init__(detail)
