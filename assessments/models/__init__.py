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
from assessments.models.reports import Branding, ReportFile, ShareLink
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
    "Branding",
    "Client",
    "Invitation",
    "Membership",
    "Question",
    "ReportFile",
    "RoadmapEntry",
    "RoadmapStatus",
    "Role",
    "ShareLink",
    "System",
    "Workspace",
]
