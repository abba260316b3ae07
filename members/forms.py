"""Forms for managing staff. They validate what was sent; the services decide who may do it.

No form takes a member id from a member administrator: their member is the one they work for.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import ConsortiumRole, Member, MemberRole


class InviteStaffForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("The invitation link is sent here. It must be their work address."),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=MemberRole.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose every role they need."),
        error_messages={"required": _("Choose at least one role.")},
    )


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=MemberRole.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one role, or deactivate the account instead.")
        },
    )


class ConsortiumInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    member = forms.ModelChoiceField(
        label=_("Member administrator of"),
        queryset=Member.objects.none(),
        required=False,
        empty_label=_("No association (consortium role only)"),
        help_text=_("Choose an association to invite its member administrator."),
    )
    consortium_roles = forms.MultipleChoiceField(
        label=_("Consortium roles"),
        choices=ConsortiumRole.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Members are not member-owned rows: the consortium administrator may pick any of them.
        self.fields["member"].queryset = Member.objects.order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("member") and not cleaned.get("consortium_roles"):
            raise forms.ValidationError(
                _("Choose an association, a consortium role, or both."), code="no_role"
            )
        return cleaned


class ConfirmForm(forms.Form):
    """A POST with nothing else in it: the object comes from the URL, through an access helper."""
