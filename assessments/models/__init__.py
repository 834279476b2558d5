from assessments.models.questionnaire import (
    Answer,
    AnswerState,
    AreaAssignment,
    Assessment,
    AssessmentStatus,
    BankVersion,
    Question,
    RoadmapEntry,
    RoadmapStatus,
)
from assessments.models.workspaces import (
    Client,
    Invitation,
    Membership,
    Role,
    System,
    Workspace,
)

__all__ = [
    "Answer",
    "AnswerState",
    "AreaAssignment",
    "Assessment",
    "AssessmentStatus",
    "BankVersion",
    "Client",
    "Invitation",
    "Membership",
    "Question",
    "RoadmapEntry",
    "RoadmapStatus",
    "Role",
    "System",
    "Workspace",
]
