"""The watch form: how often to re-probe a system, and where to send a signed webhook."""

from django import forms
from django.conf import settings

from assessments.watch.models import SystemWatch
from checks.engine.targets import InvalidTarget, normalize_base_url


class WatchForm(forms.Form):
    period = forms.ChoiceField(
        label="Watch this system",
        choices=SystemWatch.Period.choices,
        help_text="The probes run again when the last run is older than this, and every run "
        "is compared with the one before.",
    )
    run_burst = forms.BooleanField(
        label="Include the capacity burst (verified base URLs only)", required=False
    )
    webhook_url = forms.CharField(
        label="Webhook (optional)",
        required=False,
        max_length=2000,
        help_text="An https:// address that receives a JSON summary of each regression, "
        "signed with HMAC-SHA256 (header ScaleReady-Signature).",
    )
    new_secret = forms.BooleanField(
        label="Make a new signing secret (the old one stops working)", required=False
    )

    def __init__(self, data=None, *, watch: SystemWatch):
        """Bound to ``data`` (a POST) or not; starts from ``watch`` as it is."""
        initial = {
            "period": watch.period,
            "run_burst": watch.run_burst,
            "webhook_url": watch.webhook_url,
        }
        super().__init__(data, initial=initial)
        if not watch.webhook_secret:  # nothing to replace until a webhook has been set
            del self.fields["new_secret"]

    def clean(self):
        cleaned = super().clean()
        cleaned.setdefault("new_secret", False)
        return cleaned

    def clean_webhook_url(self) -> str:
        raw = self.cleaned_data["webhook_url"].strip()
        if not raw:
            return ""
        if not raw.lower().startswith("https://"):
            raise forms.ValidationError(
                "Use an https:// address: the summary tells what got worse on your system, "
                "and the signature does not hide it from anyone on the way."
            )
        try:
            return normalize_base_url(
                raw, allow_loopback=settings.SCALEREADY_ALLOW_LOOPBACK_TARGETS
            )
        except InvalidTarget as exc:
            raise forms.ValidationError(
                f"This address cannot receive the webhook: {exc}."
            ) from None
