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
    ("Impact", "1 to 3: how much the step moves the system toward the target."),
)


@dataclass(frozen=True)
class AnswerLine:
    question: object  # bank Question
    score: scoring.QuestionScore
    answer: object | None  # Answer row, or None when unanswered
    answer_label: str
    override: object | None = None  # overrides.AppliedOverride when a consultant re-ranked it


def answer_label(question, answer) -> str:
    if answer is None:
        return "Not answered"
    if answer.state == "na":
        return "Not applicable"
    if answer.state == "unknown":
        return "Don't know"
    label = next((o.label for o in question.options if o.level == answer.level), "")
    return f"Level {answer.level}: {label}" if label else f"Level {answer.level}"


def person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
