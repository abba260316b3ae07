"""PostgreSQL row-level security on every member-owned table (layer 5 of isolation).

Applied after every `migrate` (post_migrate), so a table added by a later feature gets its policy
without anyone remembering to write one: the policy is derived from the model's `party_fields`,
the same declaration the managers use. Each table gets ENABLE and FORCE (the owner is bound too),
and one policy whose settings, when unset or empty, match no row.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections, models
from django.db.backends.utils import truncate_name

from members.models import MemberOwnedModel

POLICY_NAME = "member_isolation"
PUBLIC_READ_POLICY = "public_read"
MEMBER_SETTING = "NULLIF(current_setting('app.member_id', true), '')::bigint"
CONSORTIUM_SETTING = "current_setting('app.consortium', true) = 'on'"


def member_owned_models() -> list[type[MemberOwnedModel]]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, MemberOwnedModel) and not model._meta.proxy
    ]


def _column(model: type[MemberOwnedModel], field_name: str) -> str:
    field = model._meta.get_field(field_name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{field_name} is not a concrete field")
    return str(field.column)


def policy_condition(model: type[MemberOwnedModel]) -> str:
    conditions = [f'"{_column(model, field)}" = {MEMBER_SETTING}' for field in model.party_fields]
    if model.rls_extra_condition:
        conditions.append(f"({model.rls_extra_condition})")
    conditions.append(CONSORTIUM_SETTING)
    return " OR ".join(conditions)


def rls_statements(model: type[MemberOwnedModel]) -> list[str]:
    table = model._meta.db_table
    condition = policy_condition(model)
    statements = [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"',
        f'DROP POLICY IF EXISTS {PUBLIC_READ_POLICY} ON "{table}"',
        f'CREATE POLICY {POLICY_NAME} ON "{table}" USING ({condition}) WITH CHECK ({condition})',
    ]
    if model.public_read:
        # Permissive policies are OR-ed: anyone may read, only the member may write.
        statements.append(
            f'CREATE POLICY {PUBLIC_READ_POLICY} ON "{table}" FOR SELECT USING (true)'
        )
    return statements


def _quote_role(role: str) -> str:
    return '"' + truncate_name(role, 63).replace('"', '""') + '"'


def grant_statements(app_role: str) -> list[str]:
    role = _quote_role(app_role)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # The application never changes the schema or the migration history.
        f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {role}",
    ]
    for model in apps.get_models():
        if getattr(model, "append_only", False):
            statements.append(f'REVOKE UPDATE, DELETE ON "{model._meta.db_table}" FROM {role}')
    return statements


def sync_row_level_security(using: str = "default") -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        for model in member_owned_models():
            for statement in rls_statements(model):
                cursor.execute(statement)
        app_role = settings.DATABASE_APP_ROLE
        if app_role and app_role != connection.settings_dict.get("USER"):
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_role])
            if cursor.fetchone():
                for statement in grant_statements(app_role):
                    cursor.execute(statement)


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # post_migrate is sent once per app after all migrations ran; act once, for this app.
    if sender.label == "members":
        sync_row_level_security(using)
