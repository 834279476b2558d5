"""The form that makes an API token on the workspace's API tokens page."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from assessments.workspaces.models import Role

LIFETIMES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "No expiry")]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What will use it, e.g. “GitHub Actions” or “Jira sync”."
    )
    role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.VIEWER,
        help_text="What the token may do; never more than you can do yourself.",
    )
    lifetime = forms.ChoiceField(choices=LIFETIMES, required=False, initial="90", label="Expires")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name that says what uses it.")
        return name

    def expires_at(self):
        days = self.cleaned_data.get("lifetime")
        return timezone.now() + timedelta(days=int(days)) if days else None
