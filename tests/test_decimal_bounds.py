"""Issue 14, finding 3b, the class: every decimal that arrives from input is bounded.

Every Django form field and DRF serializer field that reads a decimal, in every form and
serializer class of the portal's apps, declares max_digits and decimal_places (an unbounded
one let `1E+30` through to the database adapter, which raised InvalidOperation); a model form's
fields inherit the model's. The import row parsers are covered by tests/consortium/test_decimals.py
and the upload forms by tests/test_form_fuzz.py.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from django import forms
from django.apps import apps
from django.db import models
from rest_framework import serializers

APPS = (
    "accounts", "api", "applications", "audit", "dataprotection", "learning", "members",
    "notifications", "outbox", "procurement", "referrals", "reports", "services",
)  # fmt: skip


def portal_modules() -> list[Any]:
    modules = []
    for name in APPS:
        package = importlib.import_module(name)
        modules.append(package)
        for info in pkgutil.walk_packages(package.__path__, f"{name}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            modules.append(importlib.import_module(info.name))
    return modules


def classes(base: type) -> list[type]:
    found = {}
    for module in portal_modules():
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, base) and value.__module__.split(".")[0] in APPS:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def test_every_decimal_form_field_is_bounded() -> None:
    unbounded = []
    checked = 0
    for form_class in classes(forms.BaseForm):
        try:
            fields = form_class.base_fields  # type: ignore[attr-defined]
        except AttributeError:
            continue
        for name, field in fields.items():
            if isinstance(field, forms.DecimalField):
                checked += 1
                if field.max_digits is None or field.decimal_places is None:
                    unbounded.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
    assert checked >= 8, "the walk found too few decimal fields: is it still finding forms?"
    assert unbounded == []


def test_every_decimal_serializer_field_is_bounded() -> None:
    unbounded = []
    checked = 0
    for serializer_class in classes(serializers.Serializer):
        if inspect.isabstract(serializer_class):
            continue
        try:
            fields = serializer_class().fields
        except Exception:  # noqa: BLE001, S112 (needs context to build: its declared fields do)
            fields = getattr(serializer_class, "_declared_fields", {})
        for name, field in fields.items():
            if isinstance(field, serializers.DecimalField):
                checked += 1
                if field.max_digits is None or field.decimal_places is None:
                    unbounded.append(
                        f"{serializer_class.__module__}.{serializer_class.__name__}.{name}"
                    )
    assert checked >= 3, "the walk found too few decimal fields: is it still finding serializers?"
    assert unbounded == []


def test_every_decimal_model_field_is_bounded() -> None:
    """What the form and serializer bounds come from (Django requires max_digits for
    PostgreSQL numeric columns only when it builds them; this says it of every one)."""
    unbounded = [
        f"{model.__name__}.{field.name}"
        for model in apps.get_models()
        if model.__module__.split(".")[0] in APPS
        for field in model._meta.get_fields()
        if isinstance(field, models.DecimalField)
        and (field.max_digits is None or field.decimal_places is None)
    ]
    assert unbounded == []
