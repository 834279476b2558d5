"""Consultants' severity overrides, laid over a scored assessment.

Pure (no Django): ``apply_overrides(score, overrides)`` returns the same ``ScoreResult`` with
each overridden gap carrying the consultant's severity and the gap counts recounted, so the
roadmap built from it prioritises by the severities the consultant stands behind, and every
page, export and PDF that reads the result agrees. Levels, scores and the verdict are not
touched: an override re-ranks a finding, it does not change what was answered or observed.
An override on a question that is no longer a gap is kept but ignored, and applies again if
the gap comes back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from assessments.results.domain.scoring import SEVERITIES, ScoreResult, count_gaps

# "none" means "no gap"; an override re-ranks a gap, it cannot make it disappear.
OVERRIDE_SEVERITIES = tuple(s for s in SEVERITIES if s != "none")


class InvalidOverride(ValueError):
    """An override with an unknown severity or without a reason."""


@dataclass(frozen=True)
class SeverityOverride:
    question_id: str
    severity: str
    reason: str

    def __post_init__(self) -> None:
        if self.severity not in OVERRIDE_SEVERITIES:
            raise InvalidOverride(
                f"{self.question_id}: severity must be one of {', '.join(OVERRIDE_SEVERITIES)}, "
                f"got {self.severity!r}"
            )
        if not self.reason.strip():
            raise InvalidOverride(f"{self.question_id}: a severity override needs a reason")


@dataclass(frozen=True)
class AppliedOverride:
    """An override in effect: the severity scoring computed and the one that replaced it."""

    question_id: str
    computed: str
    severity: str
    reason: str


def apply_overrides(
    score: ScoreResult, overrides: Iterable[SeverityOverride]
) -> tuple[ScoreResult, dict[str, AppliedOverride]]:
    """The score with overridden severities, and the overrides that applied, by question id."""
    wanted = {override.question_id: override for override in overrides}
    applied: dict[str, AppliedOverride] = {}
    questions = []
    for question in score.questions:
        override = wanted.get(question.question_id)
        if override is None or not question.is_gap:
            questions.append(question)
            continue
        applied[question.question_id] = AppliedOverride(
            question_id=question.question_id,
            computed=question.severity,
            severity=override.severity,
            reason=override.reason,
        )
        questions.append(replace(question, severity=override.severity))
    if not applied:
        return score, applied
    adjusted = replace(
        score,
        questions=tuple(questions),
        gap_counts=count_gaps(questions),
    )
    return adjusted, applied
