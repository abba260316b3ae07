from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kernel.calendar import Quarter, current_quarter
from procurement.models import Contract, ContractStatus

MONEY_KW: dict[str, Any] = {
    "max_digits": 14,
    "decimal_places": 2,
    "min_value": Decimal("0"),
}


class DateInput(forms.DateInput):
    input_type = "date"


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = [
            "reference",
            "title",
            "description",
            "category",
            "supplier",
            "status",
            "start_date",
            "end_date",
        ]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date must be on or after the start date."))
        if data.get("status") in (ContractStatus.LIVE, ContractStatus.AWARDED) and not end:
            self.add_error("end_date", _("Enter the end date of an awarded or live contract."))
        return data


class ParticipationForm(forms.Form):
    baseline_annual_cost = forms.DecimalField(
        label=_("Baseline annual cost (£)"),
        help_text=_("What your association paid a year for the same goods or services before."),
        **MONEY_KW,
    )
    contracted_annual_cost = forms.DecimalField(
        label=_("Contracted annual cost (£)"),
        help_text=_("What your association pays a year under this contract."),
        **MONEY_KW,
    )
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(
        label=_("End date (optional)"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave blank while you take part."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date must be on or after the start date."))
        return data


class IntentForm(forms.Form):
    estimated_annual_spend = forms.DecimalField(
        label=_("Estimated annual spend (£, optional)"),
        required=False,
        help_text=_("Shared with the lead member to size the tender."),
        **MONEY_KW,
    )
    note = forms.CharField(
        label=_("Note to the lead member (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def quarter_choices(count: int = 8) -> list[tuple[str, str]]:
    return [(q.key, q.label) for q in reversed(current_quarter().last(count))]


class SpendForm(forms.Form):
    contract = forms.ModelChoiceField(queryset=Contract.objects.none(), label=_("Contract"))
    quarter = forms.ChoiceField(label=_("Quarter"), choices=())
    amount = forms.DecimalField(label=_("Amount spent (£)"), **MONEY_KW)

    def __init__(self, *args: Any, contracts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = contracts  # type: ignore[attr-defined]
        self.fields["quarter"].choices = quarter_choices(12)  # type: ignore[attr-defined]

    def clean_quarter(self) -> Quarter:
        try:
            return Quarter.from_key(self.cleaned_data["quarter"])
        except ValueError:
            raise forms.ValidationError(_("Choose a quarter.")) from None


class SpendImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spend file (CSV or XLSX)"),
        help_text=_(
            "First row: contract, quarter, amount. For example: JP-2026-001, 2026-27 Q1, 1234.56"
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a CSV or XLSX file."))
        return upload


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, DOCX, XLSX or CSV, up to %(mb)s MB.")
        % {"mb": max(settings.MAX_UPLOAD_BYTES // (1024 * 1024), 1)},
    )
