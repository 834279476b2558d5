"""Starting an assessment: blank, or from one of the same system's earlier assessments."""

from django import forms

from assessments.workspaces.models import (
    Assessment,
)


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = ["title", "band"]
        help_texts = {
            "band": "Set from the system's target users; change it to judge against another scale."
        }


class AssessmentStartForm(AssessmentForm):
    """Starting an assessment, optionally from one of the same system's earlier ones."""

    carried_from = forms.ModelChoiceField(
        queryset=Assessment.objects.none(),
        required=False,
        label="Start from",
        empty_label="Nothing: a blank questionnaire",
        help_text="Copies that assessment's answers (each flagged “carried over — please "
        "confirm”) and its roadmap edits, so you can track progress between milestones.",
        error_messages={"invalid_choice": "Choose one of this system's assessments, or nothing."},
    )

    def __init__(self, *args, system, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this system's assessments: nothing can be copied from elsewhere.
        choices = system.assessments.order_by("-created_at", "-pk")
        self.fields["carried_from"].queryset = choices
        self.fields["carried_from"].label_from_instance = lambda a: (
            f"{a.title} ({a.get_status_display().lower()}, {a.created_at:%d %b %Y})"
        )
        latest = choices.values_list("pk", flat=True).first()
        if latest is None:  # the system's first assessment: nothing to start from
            del self.fields["carried_from"]
        elif not self.is_bound:
            self.initial.setdefault("carried_from", latest)
