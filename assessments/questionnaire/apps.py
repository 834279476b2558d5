from django.apps import AppConfig


class QuestionnaireConfig(AppConfig):
    """Answering an assessment: answers, progress, assignments, the answers file, custom
    questions, engagements.
    """

    name = "assessments.questionnaire"
    verbose_name = "Questionnaire"
