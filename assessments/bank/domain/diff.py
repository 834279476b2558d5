"""What changes for an assessment when it moves from one bank version to another."""

from collections.abc import Mapping
from dataclasses import dataclass

from assessments.bank.domain.bank import Question

# Fields whose change alters what a question asks or how it is scored.
COMPARED_FIELDS = (
    "text",
    "area",
    "weight",
    "critical_from",
    "required",
    "options",
    "checks",
    "check_caps",
)


@dataclass(frozen=True)
class QuestionChange:
    question_id: str
    fields: tuple[str, ...]
    dropped_levels: tuple[int, ...]  # option levels that no longer exist


@dataclass(frozen=True)
class BankDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[QuestionChange, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_questions(old: Mapping[str, Question], new: Mapping[str, Question]) -> BankDiff:
    changed = []
    for key in sorted(old.keys() & new.keys()):
        before, after = old[key], new[key]
        fields = tuple(f for f in COMPARED_FIELDS if getattr(before, f) != getattr(after, f))
        if fields:
            dropped = {o.level for o in before.options} - {o.level for o in after.options}
            changed.append(QuestionChange(key, fields, tuple(sorted(dropped))))
    return BankDiff(
        added=tuple(sorted(new.keys() - old.keys())),
        removed=tuple(sorted(old.keys() - new.keys())),
        changed=tuple(changed),
    )
