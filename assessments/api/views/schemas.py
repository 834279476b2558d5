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
    owner: str | None = Field(None, max_length=120)
    target_date: date | None = None


class BacklogExportIn(Schema):
    format: Literal["jira_csv", "github_json"]
    changed_only: bool = Field(
        False, description="Only items new or changed since their last export in this format."
    )
