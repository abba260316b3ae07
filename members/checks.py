"""Checks that every member-owned model keeps the member key first (layer 1)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register


@register()
def check_member_key_leads(app_configs: Any, **kwargs: Any) -> list[Error]:
    from members.managers import MemberScopedManager
    from members.rls import member_owned_models

    errors: list[Error] = []
    for model in member_owned_models():
        meta = model._meta
        field_lists = [
            list(getattr(c, "fields", ())) for c in meta.constraints if getattr(c, "fields", None)
        ]
        field_lists += [list(i.fields) for i in meta.indexes if i.fields]
        field_lists += [list(u) for u in meta.unique_together]
        for fields in field_lists:
            if fields and fields[0].lstrip("-") not in model.party_fields:
                errors.append(
                    Error(
                        f"{meta.label}: constraint or index on {fields} must lead with 'member'.",
                        hint="Unique constraints and indexes on member-owned tables start with "
                        "the member key.",
                        obj=model,
                        id="members.E001",
                    )
                )
        if not isinstance(model._default_manager, MemberScopedManager):
            errors.append(
                Error(f"{meta.label}: default manager must fail closed.", id="members.E002")
            )
    return errors
