from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    """A consultant's portfolio: every assessment of a workspace scored at once, the clients
    page.
    """

    name = "assessments.portfolio"
    verbose_name = "Portfolio"
