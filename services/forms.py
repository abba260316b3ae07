"""Forms of the catalogue: the search filters, the eligibility check and a member's offer."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from applications.forms import choice_field
from applications.validation import clean_text, normalise_uk_postcode, postcode_district
from services.hours import Session, hours_format, hours_parse
from services.models import DeliveryMode, Offer, OpeningHours, Service, ServiceKind, ServiceStatus
from services.selectors import EMPLOYMENT_STATUSES, CatalogueFilters


def postcode_district_parse(raw: str) -> str:
    """The postcode district of a full UK postcode ('e1 6an' -> 'E1'), or a district alone
    ('b10'), which is enough to filter by area. ValidationError for anything else."""
    compact = re.sub(r"\s+", "", clean_text(raw)).upper()
    if re.fullmatch(r"[A-Z]{1,2}[0-9][0-9A-Z]?", compact):
        return compact
    return postcode_district(normalise_uk_postcode(raw))


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    kind = forms.ChoiceField(label=_("Type of help"), required=False)
    language = forms.ChoiceField(label=_("Staff who speak"), required=False)
    mode = forms.ChoiceField(label=_("How you get help"), required=False)
    postcode = forms.CharField(
        label=_("Your postcode"),
        required=False,
        max_length=20,
        error_messages={"max_length": _("Enter a full UK postcode, like E1 6AN")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "kind").choices = [("", _("All types"))] + [
            (k.slug, k.name) for k in ServiceKind.objects.all()
        ]
        choice_field(self, "language").choices = [("", _("Any language"))] + [
            (code, settings.LANGUAGE_NATIVE_NAMES.get(code, name))
            for code, name in settings.LANGUAGES
        ]
        choice_field(self, "mode").choices = [("", _("Any way"))] + list(DeliveryMode.choices)

    def clean_q(self) -> str:
        return clean_text(self.cleaned_data.get("q", ""))[:100]

    def clean_postcode(self) -> str:
        raw = self.cleaned_data.get("postcode", "")
        if not clean_text(raw):
            return ""
        return postcode_district_parse(raw)

    def filters(self) -> CatalogueFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return CatalogueFilters(
            query=data.get("q", ""),
            kind=data.get("kind", ""),
            language=data.get("language", ""),
            delivery_mode=data.get("mode", ""),
            district=data.get("postcode", ""),
        )


class EligibilityCheckForm(forms.Form):
    """The stand-alone "can I use this service?" check on a service's page."""

    tenant = forms.ChoiceField(
        label=_("Do you rent your home from one of the member housing associations?"),
        choices=[("yes", _("Yes")), ("no", _("No")), ("not_sure", _("I'm not sure"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select yes, no or I'm not sure")},
    )
    age = forms.IntegerField(
        label=_("How old are you?"),
        help_text=_("Your age in years, for example 34."),
        min_value=0,
        max_value=120,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "input--short"}),
        error_messages={
            "required": _("Enter your age"),
            "invalid": _("Enter your age as a number, like 34"),
            "min_value": _("Age must be 0 or more"),
            "max_value": _("Age must be 120 or less"),
        },
    )
    employment_status = forms.ChoiceField(
        label=_("Which of these describes you best?"),
        choices=EMPLOYMENT_STATUSES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select what describes you best")},
    )

    def __init__(self, *args: Any, asks: dict[str, bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not asks.get("tenant_of_member"):
            del self.fields["tenant"]
        if not asks.get("age"):
            del self.fields["age"]
        if not asks.get("employment_status"):
            del self.fields["employment_status"]


_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")


class OfferForm(forms.ModelForm):
    areas_text = forms.CharField(
        label=_("Areas served"),
        help_text=_(
            "Postcode districts separated by commas, like E1, E2, B10. "
            "Leave empty if you serve anywhere."
        ),
        required=False,
        max_length=500,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages your staff can work in"),
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Select at least one language")},
    )
    delivery_modes = forms.MultipleChoiceField(
        label=_("How you deliver it"),
        choices=DeliveryMode.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Select at least one way you deliver it")},
    )
    opening_hours_text = forms.CharField(
        label=_("Opening hours"),
        help_text=_(
            "One line for each day or run of days, in 24-hour UK time, like "
            "“Monday to Friday 09:00-17:00” or “Saturday 10:00-12:30, 13:30-16:00”. "
            "Leave empty if you have no fixed hours."
        ),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("Enter 2,000 characters or fewer")},
    )
    # Where in-person sessions happen. Bounds: the UK, Shetland and the Scillies included, so a
    # longitude with the wrong sign (London is west of Greenwich) is caught.
    latitude = forms.DecimalField(
        label=_("Latitude of where you meet people in person"),
        help_text=_("In decimal degrees, like 51.5155. Leave both empty if you do not know."),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("49.8"),
        max_value=Decimal("60.9"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "input--short"}),
        error_messages={
            "invalid": _("Enter the latitude as a number, like 51.5155"),
            "max_decimal_places": _("Enter the latitude with 6 decimal places or fewer"),
            "min_value": _("Enter a latitude in the UK, between 49.8 and 60.9"),
            "max_value": _("Enter a latitude in the UK, between 49.8 and 60.9"),
        },
    )
    longitude = forms.DecimalField(
        label=_("Longitude of where you meet people in person"),
        help_text=_("In decimal degrees, negative west of Greenwich, like -0.0722."),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("-8.7"),
        max_value=Decimal("1.8"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "input--short"}),
        error_messages={
            "invalid": _("Enter the longitude as a number, like -0.0722"),
            "max_decimal_places": _("Enter the longitude with 6 decimal places or fewer"),
            "min_value": _("Enter a longitude in the UK, between -8.7 and 1.8"),
            "max_value": _("Enter a longitude in the UK, between -8.7 and 1.8"),
        },
    )

    class Meta:
        model = Offer
        fields = ["service", "capacity_per_month", "languages", "delivery_modes", "is_active"]
        labels = {
            "service": _("Service"),
            "capacity_per_month": _("Places per month"),
            "is_active": _("Taking referrals"),
        }
        error_messages = {
            "capacity_per_month": {
                "required": _("Enter how many places you have each month"),
                "invalid": _("Enter the places per month as a whole number, like 20"),
                "min_value": _("Places per month must be 0 or more"),
            },
            "service": {"required": _("Select the service")},
        }

    def __init__(self, *args: Any, member_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member_id = member_id
        choice_field(self, "languages").choices = [
            (code, settings.LANGUAGE_NATIVE_NAMES.get(code, name))
            for code, name in settings.LANGUAGES
        ]
        services = Service.objects.filter(status=ServiceStatus.OPEN)
        if self.instance.pk:
            # The service of an existing offer does not change: make a new offer instead.
            del self.fields["service"]
        else:
            taken = Offer.objects.for_member(member_id).values("service_id")
            self.fields["service"].queryset = services.exclude(pk__in=taken)  # type: ignore[attr-defined]
            self.fields["service"].empty_label = None  # type: ignore[attr-defined]
        self.fields["capacity_per_month"].max_value = 10000  # type: ignore[attr-defined]
        self.initial.setdefault("areas_text", ", ".join(self.instance.areas or []))
        if self.instance.pk:
            self.initial.setdefault("latitude", self.instance.latitude)
            self.initial.setdefault("longitude", self.instance.longitude)
            rows = OpeningHours.objects.for_member(member_id).filter(offer=self.instance)
            self.initial.setdefault(
                "opening_hours_text",
                hours_format([Session(r.weekday, r.opens_at, r.closes_at) for r in rows]),
            )

    def clean_areas_text(self) -> list[str]:
        raw = clean_text(self.cleaned_data.get("areas_text", ""))
        districts = [d.strip().upper() for d in re.split(r"[,\s]+", raw) if d.strip()]
        bad = [d for d in districts if not _DISTRICT.match(d)]
        if bad:
            raise ValidationError(
                _("%(bad)s is not a postcode district. Enter districts like E1, B10 or SW9")
                % {"bad": bad[0][:12]}
            )
        if len(districts) > 100:
            raise ValidationError(_("Enter 100 districts or fewer"))
        return sorted(set(districts))

    def clean_opening_hours_text(self) -> list[Session]:
        raw = self.cleaned_data.get("opening_hours_text", "")
        return hours_parse(clean_text(raw, multiline=True))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_latitude = data.get("latitude") is not None
        has_longitude = data.get("longitude") is not None
        entered_badly = self.has_error("latitude") or self.has_error("longitude")
        if has_latitude != has_longitude and not entered_badly:
            missing = "longitude" if has_latitude else "latitude"
            self.add_error(missing, _("Enter both the latitude and the longitude, or neither"))
        return data
