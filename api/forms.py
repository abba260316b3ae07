from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

LIFETIMES = [(30, _("30 days")), (90, _("90 days")), (180, _("180 days")), (365, _("1 year"))]


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        help_text=_("What the token is for, like “Housing system referral sync”."),
        max_length=100,
        error_messages={"required": _("Enter a name for the token")},
    )
    days = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=LIFETIMES,
        coerce=int,
        initial=90,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose when the token expires")},
    )


class ConfirmForm(forms.Form):
    """An empty form: the POST itself is the confirmation (with its CSRF token)."""
