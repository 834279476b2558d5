from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    """Who owns what and who may see it: accounts, workspaces, members, invitations, clients,
    systems, assessments.
    """

    name = "assessments.workspaces"
    verbose_name = "Workspaces"
