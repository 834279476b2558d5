from assessments.models.workspaces import (
    Client,
    Invitation,
    Membership,
    Role,
    System,
    Workspace,
)

__all__ = ["Client", "Invitation", "Membership", "Role", "System", "Workspace"]
