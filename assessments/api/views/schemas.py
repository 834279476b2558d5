"""What the API reads from request bodies; responses are documented in docs/api.md and in
the OpenAPI schema's examples."""

from datetime import date
from typing import Literal

from ninja import Schema
from pydantic import Field


class AnswerIn(Schema):
    state: Literal["level", "na", "unknown"]
    level: int | None = Field(None, description="The option's maturity level (state “level”).")
    na_reason: str = ""
    notes: str = ""
    evidence_links: list[str] = Field(default_factory=list)
    base_version: int = Field(
        ge=0, description="The version you last read (0: not answered yet); 409 if it moved."
    )


class ProbeRunIn(Schema):
    run_burst: bool = False


class RoadmapItemIn(Schema):
    status: Literal["todo", "doing", "done"] | None = None
    owner: str | None = Field(
        None,
        max_length=254,
        description="A member who can see the assessment, by e-mail (or by name when it is "
        "unique); empty or null clears the owner.",
    )
    target_date: date | None = None


class BacklogExportIn(Schema):
    format: Literal["jira_csv", "github_json"]
    changed_only: bool = Field(
        False, description="Only items new or changed since their last export in this format."
    )


# --- Responses (what the OpenAPI schema documents; the endpoints build plain dicts) ------


class SystemOut(Schema):
    id: int
    name: str
    description: str
    client: str | None
    current_users: int
    target_users: int
    peak_rps: int | None
    base_urls: list[str]
    updated_at: str | None


class AssessmentOut(Schema):
    id: int
    system_id: int
    title: str
    band: str
    status: Literal["in_progress", "submitted"]
    bank_version: str
    created_at: str | None
    submitted_at: str | None


class OptionOut(Schema):
    level: int
    label: str


class QuestionOut(Schema):
    key: str
    area: str
    text: str
    options: list[OptionOut]


class AnswerOut(Schema):
    question_key: str
    state: Literal["level", "na", "unknown"]
    level: int | None
    na_reason: str
    notes: str
    evidence_links: list[str]
    carried_over: bool
    version: int
    answered_at: str | None
    answered_by: str | None


class ProbeRunOut(Schema):
    grade: str | None  # A+ to F once the run succeeded (see the methodology page)
    grade_score: int | None
    id: int
    system_id: int
    status: Literal["queued", "running", "succeeded", "failed"]
    active: bool
    run_burst: bool
    base_urls: list[str]
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    error: str


class CheckResultOut(Schema):
    target_url: str
    check_id: str
    title: str
    category: str
    status: Literal["pass", "warn", "fail", "error", "not_applicable"]
    score: int
    message: str


class AcceptedRunOut(Schema):
    system_id: int
    run: ProbeRunOut
    accepted_at: str | None


class ReportOut(Schema):
    id: int
    assessment_id: int
    status: Literal["queued", "rendering", "ready", "failed"]
    error: str
    created_at: str | None
    finished_at: str | None
    download_url: str | None


def page_of(item: type[Schema]) -> type[Schema]:
    """The shape of a list endpoint's answer, around ``item``."""
    return type(
        f"{item.__name__.removesuffix('Out')}Page",
        (Schema,),
        {
            "__annotations__": {
                "count": int,
                "page": int,
                "page_size": int,
                "pages": int,
                "next": str | None,
                "previous": str | None,
                "items": list[item],
            }
        },
    )
