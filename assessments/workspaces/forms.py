"""Forms for accounts, workspaces, members and invitations, clients and systems."""

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm

from assessments.bank.domain.loader import load_bank
from assessments.workspaces.access import LIMITED_ROLES
from assessments.workspaces.models import (
    MAX_PEAK_RPS,
    MAX_USERS,
    Assessment,
    Client,
    Invitation,
    Membership,
    Role,
    System,
    Workspace,
    normalise_email,
)
from checks.engine.targets import InvalidTarget, parse_base_urls


class SignupForm(forms.Form):
    name = forms.CharField(max_length=150, required=False, label="Your name")
    email = forms.EmailField(max_length=254)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
    )

    def clean_email(self):
        # Whether the address has an account is never said here: the e-mail tells its owner.
        return normalise_email(self.cleaned_data["email"])

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
    error_messages = {
        **AuthenticationForm.error_messages,
        # Django's own says "username": people log in with their e-mail address here.
        "invalid_login": "Enter a correct e-mail address and password "
        "(the password is case-sensitive).",
    }

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
            "email": "Their e-mail address",
            "client": "Limit to client",
            "assessment": "Limit to assessment",
        }
        help_texts = {
            "email": "Only an account with this address can accept the link. We e-mail it "
            "there; you see it once, to pass on yourself.",
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
        self.fields["email"].error_messages["required"] = (
            "Enter the address of the person you invite: the link works only for an account "
            "with that address."
        )
        self.fields["areas"].choices = [(area.id, area.title) for area in load_bank().areas]
        if not allow_unlimited:
            self.fields["role"].choices = [
                (role.value, role.label) for role in Role if role in LIMITED_ROLES
            ]

    def clean_email(self):
        email = normalise_email(self.cleaned_data["email"])
        members = Membership.objects.filter(
            workspace=self.instance.workspace, user__email__iexact=email
        )
        if members.exists():
            raise forms.ValidationError(f"{email} is already a member of this workspace.")
        return email

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
