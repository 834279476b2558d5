"""Forms on the results and roadmap pages (owners and consultants)."""

from django import forms

from assessments.bank.domain.bank import PHASES
from assessments.results.domain.overrides import OVERRIDE_SEVERITIES
from assessments.results.models import RoadmapEntry
from assessments.workspaces.models import person_name


class FindingReviewForm(forms.Form):
    """A consultant's review of one finding: an optional severity override and private notes."""

    severity = forms.ChoiceField(
        required=False,
        label="Severity",
        help_text="Leave on “as computed” to keep the severity the scoring gives.",
    )
    reason = forms.CharField(
        required=False,
        max_length=2000,
        label="Reason for the override",
        help_text="Shown with the finding and in the report's methodology section.",
    )
    consultant_notes = forms.CharField(
        required=False,
        max_length=5000,
        label="Consultant notes",
        help_text="Only owners and consultants see these.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, computed: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = [("", f"As computed ({computed})" if computed else "")]
        self.fields["severity"].choices += [(s, s.capitalize()) for s in OVERRIDE_SEVERITIES]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("severity") and not cleaned.get("reason", "").strip():
            self.add_error(
                "reason", "Say why the severity is overridden; the reason is shown with it."
            )
        return cleaned


OWNER_NAME_LENGTH = RoadmapEntry._meta.get_field("owner").max_length


class RoadmapEntryForm(forms.ModelForm):
    """Status, owner, target date and hiding of one roadmap item.

    The owner is one of ``members`` (those who can see the assessment), given by e-mail or,
    when it names exactly one of them, by name; empty means no owner. An owner typed as free
    text before owners were members stays as it is until someone picks a member.
    """

    owner = forms.CharField(required=False, max_length=254, label="Owner")

    class Meta:
        model = RoadmapEntry
        fields = ["status", "target_date", "hidden", "hidden_reason"]
        widgets = {"target_date": forms.DateInput(attrs={"type": "date"})}
        labels = {"hidden": "Hide from the plan", "hidden_reason": "Why hide it"}

    _UNCHANGED = object()

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)

    def clean_owner(self):
        wanted = self.cleaned_data["owner"].strip()
        if not wanted:
            return None
        if wanted == self.instance.owner and not self.instance.owner_member_id:
            return self._UNCHANGED
        folded = wanted.casefold()
        by_email = [m for m in self.members if m.user.email.casefold() == folded]
        by_name = [m for m in self.members if person_name(m.user).casefold() == folded]
        matches = by_email or by_name
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise forms.ValidationError(
                f"More than one member is called “{wanted}”; choose them by e-mail."
            )
        raise forms.ValidationError(
            f"“{wanted}” is not a member who can see this assessment; choose one of the "
            "workspace's members, or invite them first."
        )

    def save(self, commit=True):
        entry = super().save(commit=False)
        owner = self.cleaned_data.get("owner")
        if owner is None:
            entry.owner, entry.owner_member = "", None
        elif owner is not self._UNCHANGED:
            entry.owner_member = owner
            entry.owner = person_name(owner.user)[:OWNER_NAME_LENGTH]
        if commit:
            entry.save()
        return entry

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("hidden") and not cleaned.get("hidden_reason", "").strip():
            self.add_error(
                "hidden_reason", "Say why this item is hidden; the reason is kept with it."
            )
        return cleaned


class CustomRoadmapItemForm(forms.Form):
    title = forms.CharField(max_length=200)
    why = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    phase = forms.TypedChoiceField(choices=[], coerce=int)
    effort = forms.ChoiceField(choices=[("S", "S — days"), ("M", "M — weeks"), ("L", "L — months")])
    impact = forms.TypedChoiceField(choices=[(1, "1"), (2, "2"), (3, "3")], coerce=int, initial=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = [(n, f"{n}. {title}") for n, title in PHASES.items()]
