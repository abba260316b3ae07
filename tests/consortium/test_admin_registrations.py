"""Each app owns its admin: a model is registered in its own app's admin.py (or by the library
that ships it), never in another app's."""

from __future__ import annotations

from django.contrib import admin

PORTAL_APPS = {
    "accounts", "api", "applications", "audit", "consortium", "dataprotection", "learning",
    "members", "notifications", "outbox", "procurement", "referrals", "reports", "services",
}  # fmt: skip


def test_every_model_is_registered_by_its_own_app() -> None:
    misplaced = []
    for model, model_admin in admin.site._registry.items():
        registered_in = type(model_admin).__module__.split(".")[0]
        owner = model._meta.app_label
        if registered_in in PORTAL_APPS and registered_in != owner:
            misplaced.append(f"{owner}.{model.__name__} registered in {registered_in}/admin.py")
    assert misplaced == []
    assert any(m._meta.app_label == "referrals" for m in admin.site._registry)  # the walk is real
