"""The branding form (logo, colour, footer, page size) and the consultant summary."""

from django import forms
from django.core.files.base import ContentFile

from assessments.reports.domain.logo import MAX_LOGO_BYTES, LogoRejected, logo_reencode
from assessments.reports.models import MAX_CONSULTANT_SUMMARY, Branding


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
        if logo.size > MAX_LOGO_BYTES:  # refused before reading it into memory
            raise forms.ValidationError(f"The logo is {logo.size // 1024} KB; the limit is 1 MB.")
        try:
            pixels, name = logo_reencode(logo.read())
        except LogoRejected as exc:
            raise forms.ValidationError(str(exc)) from exc
        return ContentFile(pixels, name=name)


class ConsultantSummaryForm(forms.Form):
    text = forms.CharField(
        required=False,
        max_length=MAX_CONSULTANT_SUMMARY,
        widget=forms.Textarea,
        error_messages={
            "max_length": f"The summary is too long: keep it under {MAX_CONSULTANT_SUMMARY} "
            "characters (about a page)."
        },
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].replace("\r\n", "\n").strip()
        if "\x00" in text:
            raise forms.ValidationError("The summary contains a character that cannot be saved.")
        return text
