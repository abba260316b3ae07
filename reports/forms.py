from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from consortium.periods import LONDON, Quarter, current_quarter
from members.models import Member


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
