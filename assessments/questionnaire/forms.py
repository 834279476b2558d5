"""Forms of the questionnaire: one answer, consultant notes, the answers file, custom
questions, and the engagement form (client, system and assessment in one).
"""

from django import forms

from assessments.bank.domain.bank import BANDS, PHASES
from assessments.bank.domain.loader import load_bank
from assessments.questionnaire.domain.answer_limits import (
    MAX_NA_REASON,
    MAX_NOTES,
    evidence_link_problems,
)
from assessments.questionnaire.domain.answers_file import AnswersFileInvalid, load_answers_json
from assessments.questionnaire.models import AnswerState
from assessments.questionnaire.services import AnswerInput
from assessments.workspaces.forms import ClientForm, SystemForm
from assessments.workspaces.models import (
    Assessment,
    Client,
    Workspace,
)

MAX_IMPORT_BYTES = 1024 * 1024


class AnswerForm(forms.Form):
    """One question's answer; ``base_version`` is the version the person was looking at."""

    choice = forms.ChoiceField(
        widget=forms.RadioSelect, error_messages={"required": "Pick an answer."}
    )
    na_reason = forms.CharField(
        required=False, max_length=MAX_NA_REASON, label="Why it does not apply"
    )
    notes = forms.CharField(required=False, max_length=MAX_NOTES, widget=forms.Textarea)
    evidence_links = forms.CharField(
        required=False,
        max_length=25_000,  # ten links of up to 2,000 characters each, checked one by one below
        widget=forms.Textarea,
        help_text="Links to runbooks, dashboards or docs, one per line.",
    )
    base_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, question, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question
        self.fields["choice"].choices = [
            *((str(o["level"]), o["label"]) for o in question.options),
            (AnswerState.NOT_APPLICABLE.value, "Not applicable"),
            (AnswerState.UNKNOWN.value, "Don't know"),
        ]

    def clean_evidence_links(self):
        links = [
            line.strip()
            for line in self.cleaned_data["evidence_links"].splitlines()
            if line.strip()
        ]
        # The same rules as the answers import and the model (answer_limits).
        if problems := evidence_link_problems(links):
            raise forms.ValidationError([f"{p[0].upper()}{p[1:]}." for p in problems])
        return tuple(links)

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("choice") == AnswerState.NOT_APPLICABLE
            and not cleaned.get("na_reason", "").strip()
        ):
            self.add_error("na_reason", "Say why this question does not apply to you.")
        return cleaned

    def answer_input(self) -> AnswerInput:
        choice = self.cleaned_data["choice"]
        is_level = choice not in (AnswerState.NOT_APPLICABLE, AnswerState.UNKNOWN)
        return AnswerInput(
            state=AnswerState.LEVEL if is_level else choice,
            level=int(choice) if is_level else None,
            na_reason=self.cleaned_data["na_reason"].strip(),
            notes=self.cleaned_data["notes"],
            evidence_links=self.cleaned_data["evidence_links"],
        )


class AnswersImportForm(forms.Form):
    file = forms.FileField(label="Answers file (.json)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_IMPORT_BYTES // 1024} KB.")
        try:
            return load_answers_json(upload.read())
        except AnswersFileInvalid as exc:
            problem = exc.problems[0]
            raise forms.ValidationError(f"{problem[0].upper()}{problem[1:]}.") from None


class ConsultantNotesForm(forms.Form):
    consultant_notes = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CustomQuestionForm(forms.Form):
    """A workspace's own question: five maturity levels, required levels, one recommendation."""

    LEVEL_CHOICES = [(level, str(level)) for level in range(5)]

    area = forms.ChoiceField()
    text = forms.CharField(max_length=500, label="Question")
    topic = forms.CharField(
        min_length=3,
        max_length=60,
        label="Short name",
        help_text="The practice in a few words, in sentence case, as a finding would name it: "
        "“Data residency checks”.",
    )
    help = forms.CharField(
        max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Why it matters at scale"
    )
    weight = forms.TypedChoiceField(
        choices=[(1, "1 — minor"), (2, "2 — normal"), (3, "3 — major")], coerce=int, initial=2
    )
    critical = forms.ChoiceField(
        choices=[
            ("", "Never"),
            ("1k", "Always, whatever the target"),
            ("10k", "When the target is above 1K users"),
            ("100k", "When the target is above 10K users"),
            ("1m", "When the target is above 100K users"),
            ("gt1m", "When the target is above 1M users"),
        ],
        required=False,
        label="Critical",
        help_text="From this target scale up, a gap here caps the verdict.",
    )
    option_0 = forms.CharField(
        max_length=200, label="Level 0 answer", help_text="The least mature answer."
    )
    option_1 = forms.CharField(max_length=200, required=False, label="Level 1 answer")
    option_2 = forms.CharField(max_length=200, required=False, label="Level 2 answer")
    option_3 = forms.CharField(max_length=200, required=False, label="Level 3 answer")
    option_4 = forms.CharField(
        max_length=200,
        required=False,
        label="Level 4 answer",
        help_text="The most mature answer. Leave unneeded levels empty (keep at least three).",
    )
    find_out = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="How to find out, one step per line",
        help_text="Optional: two to four steps saying whom to ask or what to look at when "
        "nobody knows the answer.",
    )
    required_1k = forms.TypedChoiceField(
        choices=LEVEL_CHOICES, coerce=int, initial=0, label="Level required up to 1K users"
    )
    required_10k = forms.TypedChoiceField(
        choices=LEVEL_CHOICES, coerce=int, initial=1, label="… up to 10K"
    )
    required_100k = forms.TypedChoiceField(
        choices=LEVEL_CHOICES, coerce=int, initial=2, label="… up to 100K"
    )
    required_1m = forms.TypedChoiceField(
        choices=LEVEL_CHOICES, coerce=int, initial=3, label="… up to 1M"
    )
    required_gt1m = forms.TypedChoiceField(
        choices=LEVEL_CHOICES, coerce=int, initial=3, label="… more than 1M"
    )
    rec_title = forms.CharField(max_length=200, required=False, label="Recommendation title")
    rec_why = forms.CharField(
        max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Why do it"
    )
    rec_how = forms.CharField(
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="How, one step per line",
        help_text="Two to five concrete steps.",
    )
    rec_effort = forms.ChoiceField(
        choices=[("S", "S — days"), ("M", "M — weeks"), ("L", "L — months")],
        initial="M",
        label="Effort",
    )
    rec_impact = forms.TypedChoiceField(
        choices=[(1, "1"), (2, "2"), (3, "3")], coerce=int, initial=2, label="Impact"
    )
    rec_phase = forms.TypedChoiceField(choices=[], coerce=int, initial=3, label="Roadmap phase")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bank = load_bank()
        self.fields["area"].choices = [(area.id, area.title) for area in bank.areas]
        self.fields["rec_phase"].choices = [
            (number, f"{number}. {title}") for number, title in PHASES.items()
        ]

    def question_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "topic": data["topic"].strip(),
            "text": data["text"].strip(),
            "help": data["help"].strip(),
            "weight": data["weight"],
            "critical_from": data["critical"] or None,
            "option_labels": [data[f"option_{level}"].strip() for level in range(5)],
            "find_out": [line.strip() for line in data["find_out"].splitlines() if line.strip()],
            "required": {band: data[f"required_{band}"] for band in BANDS},
            "rec_title": data["rec_title"].strip(),
            "rec_why": data["rec_why"].strip(),
            "rec_how": [line.strip() for line in data["rec_how"].splitlines() if line.strip()],
            "rec_effort": data["rec_effort"],
            "rec_impact": data["rec_impact"],
            "rec_phase": data["rec_phase"],
        }


class EngagementForm(forms.Form):
    """The client part of an engagement: an existing client or a new one's name."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        label="Existing client",
        empty_label="A new client (name below)",
        error_messages={"invalid_choice": "Choose one of this workspace's clients."},
    )
    client_name = forms.CharField(
        required=False,
        max_length=Client._meta.get_field("name").max_length,
        label="New client's name",
        help_text="Leave empty when you picked an existing client.",
    )

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["client"].queryset = Client.objects.filter(workspace=workspace)

    def clean(self):
        cleaned = super().clean()
        client, name = cleaned.get("client"), (cleaned.get("client_name") or "").strip()
        if client and name:
            self.add_error("client_name", "Pick an existing client or type a new name, not both.")
        elif not client and not name and "client" not in self.errors:
            self.add_error("client_name", "Type the new client's name, or pick an existing client.")
        elif name:
            # The client form's own checks (e.g. a name already taken in this workspace).
            client_form = ClientForm({"name": name}, workspace=self.workspace)
            if not client_form.is_valid():
                for error in client_form.errors.get("name", []):
                    self.add_error("client_name", error)
        cleaned["client_name"] = name
        return cleaned


class EngagementSystemForm(SystemForm):
    """The system part of an engagement: the system form's fields and checks, fewer of them."""

    LEFT_OUT = ("client", "description", "peak_rps", "requests_per_user_per_minute", "peak_factor")

    assessment_title = forms.CharField(
        required=False,
        max_length=Assessment._meta.get_field("title").max_length,
        label="Assessment title (optional)",
        help_text="Blank gives “system name — month year”. The target scale follows the "
        "users you are aiming for.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.LEFT_OUT:
            del self.fields[name]
