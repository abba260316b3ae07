from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dataprotection.services import MAX_DAYS_AHEAD, MAX_GRACE_DAYS, VERSION_PATTERN

# A generous bound: an agreement runs to a few thousand words, never to megabytes.
MAX_TEXT_CHARS = 100_000


class PublishForm(forms.Form):
    version = forms.CharField(
        label=_("Version"),
        max_length=20,
        help_text=_("For example v2. Members' staff see it on their banner and on this page."),
        error_messages={"required": _("Enter the version, such as v2.")},
    )
    effective_from = forms.DateField(
        label=_("Takes effect on"),
        help_text=_(
            "Today or later (within two years), and after every version already published."
        ),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Enter the date the version takes effect."),
            "invalid": _("Enter the date the version takes effect as a real date."),
        },
    )
    grace_days = forms.IntegerField(
        label=_("Grace period in days"),
        min_value=0,
        max_value=MAX_GRACE_DAYS,
        initial=30,
        help_text=_(
            "Members that signed the previous version keep receiving referrals for this many "
            "days after it takes effect. After that, only members that signed this version do. "
            "0 means no grace period."
        ),
        error_messages={
            "required": _("Enter the grace period in days (0 for none)."),
            "invalid": _("Enter the grace period as a whole number of days."),
            "min_value": _("The grace period cannot be negative."),
            "max_value": _("The grace period is at most %(limit_value)s days."),
        },
    )
    text = forms.CharField(
        label=_("Text of the agreement"),
        max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 20, "class": "textarea--wide"}),
        help_text=_("Published exactly as written here. It cannot be changed afterwards."),
        error_messages={"required": _("Enter the text of the agreement.")},
    )

    def clean_version(self) -> str:
        version = str(self.cleaned_data["version"]).strip()
        if not VERSION_PATTERN.match(version):
            raise forms.ValidationError(
                _("Give the version as up to 20 letters, digits, dots or dashes, such as v2.")
            )
        return version

    def clean_effective_from(self) -> Any:
        value = self.cleaned_data["effective_from"]
        today = timezone.localdate()
        if value < today:
            raise forms.ValidationError(_("The date it takes effect cannot be in the past."))
        if value > today + timedelta(days=MAX_DAYS_AHEAD):
            raise forms.ValidationError(_("The date it takes effect must be within two years."))
        return value


class SignForm(forms.Form):
    confirm = forms.BooleanField(
        error_messages={
            "required": _("Tick the box to confirm you have read the agreement and sign it.")
        },
    )

    def __init__(
        self, *args: Any, agreement_id: int, version: str, member_name: str, **kwargs: Any
    ) -> None:
        # One form per version on the page (the one in force and an upcoming one): ids apart.
        kwargs.setdefault("auto_id", f"id_%s_{agreement_id}")
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = _(
            "I have read version %(version)s of the data sharing agreement and sign it on "
            "behalf of %(member)s"
        ) % {"version": version, "member": member_name}
