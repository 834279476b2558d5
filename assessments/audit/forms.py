"""The audit log's filters."""

from django import forms
from django.contrib.auth import get_user_model

from assessments.audit.models import AuditEvent
from assessments.workspaces.models import (
    Assessment,
    person_name,
)


class AuditFilterForm(forms.Form):
    """The audit log's filters (GET); choices are limited to the workspace's own objects."""

    kind = forms.ChoiceField(required=False, label="What")
    assessment = forms.ModelChoiceField(
        queryset=Assessment.objects.none(),
        required=False,
        empty_label="All assessments",
        error_messages={"invalid_choice": "Choose one of this workspace's assessments."},
    )
    person = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label="Who",
        empty_label="Everyone",
        error_messages={"invalid_choice": "Choose a member of this workspace."},
    )
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Everything"), *AuditEvent.Kind.choices]
        self.fields["assessment"].queryset = Assessment.objects.filter(
            system__workspace=workspace
        ).order_by("-created_at", "-pk")
        # People who acted here, members or not any more: the log outlives memberships.
        self.fields["person"].queryset = (
            get_user_model()
            .objects.filter(pk__in=workspace.audit_events.values("actor"))
            .order_by("email")
        )
        self.fields["person"].label_from_instance = person_name

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "“To” must be on or after “From”.")
        return cleaned

    def filters(self) -> dict:
        """Keyword arguments for ``events_for`` (an empty filter when invalid)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}
