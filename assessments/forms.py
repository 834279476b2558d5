import json

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import URLValidator

from assessments.access import LIMITED_ROLES
from assessments.bank import BANDS, PHASES, load_bank
from assessments.branding import LogoRejected, logo_reencode
from assessments.models import (
    AnswerState,
    Assessment,
    Branding,
    Client,
    Invitation,
    Membership,
    RoadmapEntry,
    Role,
    System,
    Workspace,
)
from assessments.models.workspaces import MAX_PEAK_RPS, MAX_USERS
from assessments.questionnaire import MAX_EVIDENCE_LINKS, AnswerInput
from checks.targets import InvalidTarget, parse_base_urls

MAX_IMPORT_BYTES = 1024 * 1024


class SignupForm(forms.Form):
    name = forms.CharField(max_length=150, required=False, label="Your name")
    email = forms.EmailField(max_length=254)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
    )

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if get_user_model().objects.filter(username=email).exists():
            raise forms.ValidationError(
                "An account with this e-mail already exists. Log in or reset your password."
            )
        return email

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = get_user_model()(
                username=cleaned.get("email", ""), email=cleaned.get("email", "")
            )
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class LoginForm(AuthenticationForm):
    """Log in with the e-mail address; accounts use it as their username."""

    username = forms.CharField(
        label="E-mail",
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name"]


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.workspace = workspace

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Client.objects.filter(workspace=self.instance.workspace, name__iexact=name)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("A client with this name already exists in this workspace.")
        return name


class SystemForm(forms.ModelForm):
    current_users = forms.IntegerField(
        label="Users today",
        min_value=0,
        max_value=MAX_USERS,
        help_text="Monthly active users, roughly.",
    )
    target_users = forms.IntegerField(
        label="Users you are aiming for",
        min_value=1,
        max_value=MAX_USERS,
        help_text="The scale this assessment judges readiness for.",
    )
    peak_rps = forms.IntegerField(
        label="Peak requests per second (optional)",
        min_value=1,
        max_value=MAX_PEAK_RPS,
        required=False,
        help_text="Peak requests per second today, if you know it.",
    )
    base_urls = forms.CharField(
        label="Base URLs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://app.example.com"}),
        help_text="One per line, e.g. your web app and your API. Probes run against these.",
    )

    class Meta:
        model = System
        fields = [
            "name",
            "client",
            "description",
            "current_users",
            "target_users",
            "peak_rps",
            "requests_per_user_per_minute",
            "peak_factor",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "requests_per_user_per_minute": "Requests per online user per minute (optional)",
            "peak_factor": "Peak factor (optional)",
        }

    def __init__(self, *args, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.workspace = workspace
        self.fields["client"].queryset = Client.objects.filter(workspace=workspace)
        self.fields["client"].empty_label = "No client"
        self.fields["client"].required = False
        if self.instance.pk and not self.is_bound:
            self.initial["base_urls"] = "\n".join(t.url for t in self.instance.targets.all())

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_base_urls(self):
        try:
            return parse_base_urls(
                self.cleaned_data["base_urls"],
                allow_loopback=settings.SCALEREADY_ALLOW_LOOPBACK_TARGETS,
            )
        except InvalidTarget as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        cleaned = super().clean()
        current, target = cleaned.get("current_users"), cleaned.get("target_users")
        if current and target and target < current:
            self.add_error(
                "target_users",
                "Aim for at least the users you have today "
                f"({current:,}); readiness is judged at the target.",
            )
        return cleaned


class InvitationForm(forms.ModelForm):
    """Invite someone to the whole workspace (owners) or, as client staff, to one client or
    one assessment with the areas they are to answer (owners and consultants)."""

    areas = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Areas to assign (with an assessment)",
        help_text="Assigned to this person when they accept; replaces a current assignee.",
    )

    class Meta:
        model = Invitation
        fields = ["email", "role", "client", "assessment", "areas"]
        labels = {
            "email": "E-mail (optional)",
            "client": "Limit to client",
            "assessment": "Limit to assessment",
        }
        help_texts = {
            "email": "We send the link there too; you can also copy it yourself.",
            "client": "They see only this client's systems and assessments.",
            "assessment": "They see only this assessment.",
        }

    def __init__(self, *args, workspace: Workspace, allow_unlimited: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.workspace = workspace
        self.allow_unlimited = allow_unlimited
        client = self.fields["client"]
        client.queryset = Client.objects.filter(workspace=workspace)
        client.empty_label = "Whole workspace" if allow_unlimited else "No client"
        client.error_messages["invalid_choice"] = "Choose one of this workspace's clients."
        assessment = self.fields["assessment"]
        assessment.queryset = Assessment.objects.filter(system__workspace=workspace).select_related(
            "system", "bank_version"
        )
        assessment.label_from_instance = lambda a: f"{a.system.name} — {a.title}"
        assessment.empty_label = "No single assessment"
        assessment.error_messages["invalid_choice"] = "Choose one of this workspace's assessments."
        self.fields["areas"].choices = [(area.id, area.title) for area in load_bank().areas]
        if not allow_unlimited:
            self.fields["role"].choices = [
                (role.value, role.label) for role in Role if role in LIMITED_ROLES
            ]

    def clean(self):
        cleaned = super().clean()
        client, assessment = cleaned.get("client"), cleaned.get("assessment")
        role, areas = cleaned.get("role"), cleaned.get("areas") or []
        if client and assessment:
            self.add_error("assessment", "Limit to a client or to an assessment, not both.")
        elif not (client or assessment) and not self.allow_unlimited:
            self.add_error(
                "client",
                "Consultants invite client staff: choose the client or the assessment "
                "this person may see. Only owners invite people to the whole workspace.",
            )
        if (client or assessment) and role and role not in LIMITED_ROLES:
            self.add_error(
                "role", "People limited to a client or an assessment are contributors or viewers."
            )
        if areas and not assessment:
            self.add_error("areas", "Areas are assigned in one assessment: choose the assessment.")
        elif areas and role != Role.CONTRIBUTOR:
            self.add_error("areas", "Only contributors answer areas: choose Contributor.")
        elif areas and assessment:
            known = {area["id"] for area in assessment.bank_version.areas}
            if unknown := [area for area in areas if area not in known]:
                self.add_error("areas", f"Not areas of this assessment: {', '.join(unknown)}.")
        return cleaned


class MembershipRoleForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]


ROLE_DESCRIPTIONS = {
    Role.OWNER: "Everything, including members and deleting the workspace.",
    Role.CONSULTANT: "Create and edit clients, systems and assessments.",
    Role.CONTRIBUTOR: "Answer the questionnaire areas assigned to them.",
    Role.VIEWER: "Read everything, change nothing.",
}


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = ["title", "band"]
        help_texts = {
            "band": "Set from the system's target users; change it to judge against another scale."
        }


class AnswerForm(forms.Form):
    """One question's answer; ``base_version`` is the version the person was looking at."""

    choice = forms.ChoiceField(
        widget=forms.RadioSelect, error_messages={"required": "Pick an answer."}
    )
    na_reason = forms.CharField(required=False, max_length=1000, label="Why it does not apply")
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea)
    evidence_links = forms.CharField(
        required=False,
        max_length=5000,
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
        if len(links) > MAX_EVIDENCE_LINKS:
            raise forms.ValidationError(f"At most {MAX_EVIDENCE_LINKS} links.")
        validate = URLValidator(schemes=["http", "https"])
        for link in links:
            try:
                validate(link)
            except forms.ValidationError:
                raise forms.ValidationError(f"“{link[:80]}” is not an http(s) link.") from None
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
            return json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise forms.ValidationError(f"This file is not valid JSON ({exc}).") from None


class CustomQuestionForm(forms.Form):
    """A workspace's own question: five maturity levels, required levels, one recommendation."""

    LEVEL_CHOICES = [(level, str(level)) for level in range(5)]

    area = forms.ChoiceField()
    text = forms.CharField(max_length=500, label="Question")
    help = forms.CharField(
        max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Why it matters at scale"
    )
    weight = forms.TypedChoiceField(
        choices=[(1, "1 — minor"), (2, "2 — normal"), (3, "3 — major")], coerce=int, initial=2
    )
    critical = forms.BooleanField(required=False, help_text="A gap here caps the verdict.")
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
            "text": data["text"].strip(),
            "help": data["help"].strip(),
            "weight": data["weight"],
            "critical": data["critical"],
            "option_labels": [data[f"option_{level}"].strip() for level in range(5)],
            "required": {band: data[f"required_{band}"] for band in BANDS},
            "rec_title": data["rec_title"].strip(),
            "rec_why": data["rec_why"].strip(),
            "rec_how": [line.strip() for line in data["rec_how"].splitlines() if line.strip()],
            "rec_effort": data["rec_effort"],
            "rec_impact": data["rec_impact"],
            "rec_phase": data["rec_phase"],
        }


class RoadmapEntryForm(forms.ModelForm):
    class Meta:
        model = RoadmapEntry
        fields = ["status", "owner", "target_date", "hidden", "hidden_reason"]
        widgets = {"target_date": forms.DateInput(attrs={"type": "date"})}
        labels = {"hidden": "Hide from the plan", "hidden_reason": "Why hide it"}

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


class BrandingForm(forms.ModelForm):
    logo = forms.FileField(
        required=False,
        help_text="PNG or JPEG, at most 1 MB. Shown on report covers.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )

    class Meta:
        model = Branding
        fields = ["logo", "primary_colour", "footer_text", "page_size"]
        labels = {"primary_colour": "Primary colour", "footer_text": "Footer text"}
        help_texts = {
            "primary_colour": "A colour like #1d4ed8, for the band on report covers.",
            "footer_text": "Printed at the foot of every PDF page, e.g. your company name.",
        }

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not logo or logo == self.instance.logo:
            return logo
        try:
            return logo_reencode(logo)
        except LogoRejected as exc:
            raise forms.ValidationError(str(exc)) from exc


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


# --- Consultant notes, severity overrides, the audit log ------------------------------------


class ConsultantNotesForm(forms.Form):
    consultant_notes = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


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
        from assessments.overrides import OVERRIDE_SEVERITIES

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
        from assessments.models import AuditEvent

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
        self.fields["person"].label_from_instance = lambda u: u.get_full_name() or u.email

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "“To” must be on or after “From”.")
        return cleaned

    def filters(self) -> dict:
        """Keyword arguments for ``audit.events_for`` (an empty filter when invalid)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


# --- Engagement flow: client, system and assessment in one form ------------------------------


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
