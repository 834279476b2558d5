"""The portfolio's filters."""

from django import forms

from assessments.bank.domain.bank import BAND_TITLES, BANDS
from assessments.portfolio.selectors import PortfolioFilters


class PortfolioFilterForm(forms.Form):
    client = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    band = forms.ChoiceField(
        required=False,
        label="Target scale",
        choices=[("", "All scales")] + [(band, BAND_TITLES[band]) for band in BANDS],
    )
    date_from = forms.DateField(
        required=False,
        label="Created from",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a start date as YYYY-MM-DD."},
    )
    date_to = forms.DateField(
        required=False,
        label="Created until",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter an end date as YYYY-MM-DD."},
    )

    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = [("", "All clients")] + [
            (str(pk), name) for pk, name in clients
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(
                "The start date is after the end date: swap them or clear one."
            )
        return data

    def filters(self) -> PortfolioFilters:
        """The filters that are valid; an invalid field is ignored (its error is shown)."""
        data = self.cleaned_data if self.is_valid() else self._valid_part()
        return PortfolioFilters(
            client_id=data.get("client"),
            band=data.get("band") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

    def _valid_part(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        if "__all__" in self.errors:  # a reversed range: keep neither end
            data.pop("date_from", None)
            data.pop("date_to", None)
        return data
