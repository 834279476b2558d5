"""An assessment's results as plain values: its score, its roadmap, the bank questions they
were computed from and the consultant's overrides in effect.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assessments.bank.domain.bank import Question as BankQuestion
from assessments.results.domain.overrides import (
    AppliedOverride,
)
from assessments.results.domain.roadmap import Roadmap
from assessments.results.domain.scoring import (
    ScoreResult,
)


@dataclass(frozen=True)
class Results:
    score: ScoreResult
    roadmap: Roadmap
    questions: dict[str, BankQuestion]
    area_titles: dict[str, str]
    overrides: dict[str, AppliedOverride] = field(default_factory=dict)  # by question id
    # Every FindingReview row by question key, with ``updated_by``: consultant notes inside,
    # so only CONSULT views may show more of them than ``overrides`` does.
    reviews: Mapping[str, Any] = field(default_factory=dict)
