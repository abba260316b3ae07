from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kernel.calendar import LONDON, Quarter, current_quarter
from members.models import Member
from reports.models import TargetDirection
from reports.services import SOCIAL_VALUE_MAX_BYTES
from services.models import Service


def quarter_choices(count: int = 12) -> list[tuple[str, str]]:
    return [(q.key, q.label) for q in reversed(current_quarter().last(count))]


class GenerateDraftForm(forms.Form):
    scope = forms.ChoiceField(label=_("Report for"))
    quarter = forms.ChoiceField(
        label=_("Quarter"), required=False, help_text=_("Or leave empty and give dates below.")
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = Member.objects.order_by("name").values_list("pk", "name")
        scope_choices = [("consortium", _("The consortium"))] + [
            (str(pk), name) for pk, name in members
        ]
        self.fields["scope"].choices = scope_choices  # type: ignore[attr-defined]
        quarters = [("", _("Choose dates instead")), *quarter_choices()]
        self.fields["quarter"].choices = quarters  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        quarter, start, end = data.get("quarter"), data.get("start"), data.get("end")
        if quarter:
            q = Quarter.from_key(quarter)
            data["period"] = (q.start, q.end)
        elif start and end:
            if end < start:
                self.add_error("end", _("The end date must be on or after the start date."))
            elif end > datetime.now(LONDON).date():
                self.add_error("end", _("The period cannot end in the future."))
            elif (end - start).days > 366 * 2:
                self.add_error("end", _("A draft covers at most two years."))
            data["period"] = (start, end)
        else:
            self.add_error("quarter", _("Choose a quarter, or give both dates."))
        scope = data.get("scope")
        data["member_id"] = None if scope in (None, "consortium") else int(scope)
        return data


class PoundsField(forms.DecimalField):
    """Pounds and pence; accepts "£1,250.50" as people type it (a text input, as GOV.UK
    advises for amounts, so the browser does not reject the pound sign or commas)."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"})

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace("£", "").replace(",", "").strip()
        return super().to_python(value)


class DeliveryCostForm(forms.Form):
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.order_by("name"),
        empty_label=_("Choose a service"),
        error_messages={
            "required": _("Choose the service the cost is for."),
            "invalid_choice": _("Choose a service from the catalogue."),
        },
    )
    quarter = forms.ChoiceField(
        label=_("Quarter"),
        help_text=_("The financial-year quarter (April to March) the money was spent in."),
        error_messages={
            "required": _("Choose the quarter the cost is for."),
            "invalid_choice": _("Choose a quarter from the list."),
        },
    )
    amount = PoundsField(
        label=_("Amount in pounds"),
        help_text=_(
            "What delivering the service cost your association in that quarter, e.g. 12500.00."
        ),
        max_digits=12,
        decimal_places=2,
        error_messages={
            "required": _("Enter the amount in pounds."),
            "invalid": _("Enter the amount as a number of pounds, e.g. 12500.00."),
            "max_digits": _("The amount is too large."),
            "max_whole_digits": _("The amount is too large."),
            "max_decimal_places": _("Enter the amount to the nearest penny."),
        },
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=300,
        help_text=_("For example, what the cost includes."),
    )

    def __init__(self, *args: Any, extra_quarter: Quarter | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("Choose a quarter")), *quarter_choices()]
        if extra_quarter is not None and extra_quarter.key not in dict(choices):
            choices.append((extra_quarter.key, extra_quarter.label))
        self.fields["quarter"].choices = choices  # type: ignore[attr-defined]

    def clean_quarter(self) -> Quarter:
        try:
            return Quarter.from_key(self.cleaned_data["quarter"])
        except ValueError:
            raise forms.ValidationError(_("Choose a quarter from the list.")) from None

    def clean_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["amount"]
        if amount < 0:
            raise forms.ValidationError(_("The amount cannot be negative."))
        return amount


class SocialValueUploadForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the table"),
        max_length=200,
        help_text=_("For example, the publication and edition you licensed."),
        error_messages={"required": _("Enter the name of the table.")},
    )
    licence_note = forms.CharField(
        label=_("Source and licence"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Where the values come from and under what licence your association uses them."
        ),
        error_messages={"required": _("Say where the values come from and under what licence.")},
    )
    licence_held = forms.BooleanField(
        label=_("Our association holds a licence to use every value in this file"),
        error_messages={
            "required": _("Confirm that your association holds a licence for these values.")
        },
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "The first row names the columns: outcome_type, value_gbp, deadweight_percent, source."
        ),
        error_messages={
            "required": _("Choose the CSV file to upload."),
            "empty": _("The file is empty."),
        },
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(_("Upload a CSV file (its name ends in .csv)."))
        if upload.size > SOCIAL_VALUE_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 512 KB: is it the right one?"))
        return upload


class TargetForm(forms.Form):
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=TargetDirection.choices,
        error_messages={
            "required": _("Choose whether higher or lower is better."),
            "invalid_choice": _("Choose whether higher or lower is better."),
        },
    )
    green = forms.DecimalField(
        label=_("Green from"),
        help_text=_("At or beyond this value the figure is green."),
        max_digits=14,
        decimal_places=2,
        error_messages={
            "required": _("Enter the green threshold."),
            "invalid": _("Enter the green threshold as a number."),
        },
    )
    amber = forms.DecimalField(
        label=_("Amber from"),
        help_text=_("At or beyond this value (but short of green) it is amber; otherwise red."),
        max_digits=14,
        decimal_places=2,
        error_messages={
            "required": _("Enter the amber threshold."),
            "invalid": _("Enter the amber threshold as a number."),
        },
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        green, amber, direction = data.get("green"), data.get("amber"), data.get("direction")
        if green is None or amber is None or not direction:
            return data
        if direction == TargetDirection.HIGHER_IS_BETTER and green < amber:
            self.add_error("amber", _("When higher is better, amber must be at or below green."))
        elif direction == TargetDirection.LOWER_IS_BETTER and green > amber:
            self.add_error("amber", _("When lower is better, amber must be at or above green."))
        return data


class ReportCorrectionForm(forms.Form):
    note = forms.CharField(
        label=_("What changed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Shown beside the corrected version on the reports page and in the email to the "
            "board, e.g. “Two job outcomes for May were recorded late; the funnel and cost per "
            "outcome are recomputed.” Figures only: no names."
        ),
        error_messages={
            "required": _("Say what the correction changes."),
            "max_length": _("Keep the note to %(limit_value)s characters (it has %(show_value)s)."),
        },
    )
