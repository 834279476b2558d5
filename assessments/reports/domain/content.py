"""Pieces of the report's content that need no database: how an answer reads, who a person is,
how many risks and steps the summary shows, the glossary.
"""

from dataclasses import dataclass

from assessments.results.domain import scoring

TOP_RISKS = 5
TOP_STEPS = 5
SEVERITY_ORDER = {severity: index for index, severity in enumerate(scoring.SEVERITIES)}
GLOSSARY = (
    ("Area", "A part of the system assessed together, such as Database or Observability."),
    ("Band", "The target scale the system is judged against, in users."),
    ("Maturity level", "How far a practice has come, from 0 (absent) to the top option."),
    ("Required level", "The level a question needs at the target band."),
    ("Gap", "Required level minus the level achieved; zero when the answer is good enough."),
    ("Critical question", "A question whose gap alone can make the system not ready."),
    ("Contradiction", "An answer that automated probe evidence disagrees with; evidence wins."),
    ("Headroom", "Measured sustainable throughput divided by the peak the target needs."),
    ("Quick win", "A roadmap step with small effort and the highest impact."),
    ("Phase", "One of six stages of the roadmap; a step comes after what it depends on."),
    ("Effort", "S, M or L: a rough size of the work for a typical team."),
    ("Find out", "A roadmap step that establishes an answer nobody knew; it comes before any fix."),
    ("Coverage", "How many applicable questions have a known level; the verdict rests on them."),
    ("Provisional", "A verdict that answers still unknown could change."),
    ("Accepted exception", "A roadmap step the team chose not to do, with the reason they gave."),
    ("Impact", "1 to 3: how much the step moves the system toward the target."),
)


@dataclass(frozen=True)
class AnswerLine:
    question: object  # bank Question
    score: scoring.QuestionScore
    answer: object | None  # Answer row, or None when unanswered
    answer_label: str
    override: object | None = None  # overrides.AppliedOverride when a consultant re-ranked it
    required_label: str = ""  # the option that meets the target, in words

    @property
    def links(self) -> list[str]:
        return list(self.answer.evidence_links or []) if self.answer is not None else []

    @property
    def has_remarks(self) -> bool:
        """The team wrote something about it: notes, a reason it does not apply, or links."""
        answer = self.answer
        return answer is not None and bool(answer.notes or answer.na_reason or self.links)


def answer_label(question, answer) -> str:
    if answer is None:
        return "Not answered"
    if answer.state == "na":
        return "Not applicable"
    if answer.state == "unknown":
        return "Don't know"
    label = next((o.label for o in question.options if o.level == answer.level), "")
    return f"Level {answer.level}: {label}" if label else f"Level {answer.level}"


def required_label(question, level: int) -> str:
    label = next((o.label for o in question.options if o.level == level), "")
    return f"Level {level}: {label}" if label else f"Level {level}"


def person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
