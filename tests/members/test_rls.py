"""Row-level security, tested the way an attacker would meet it: connected to PostgreSQL as the
application role itself, with committed rows for two members."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from members.rls import member_owned_models
from members.scoping import consortium_scope, member_scope
from tests.factories import (
    MemberFactory,
    OfferFactory,
    ReferralFactory,
    ResidentFactory,
    ServiceFactory,
    staff_create,
)

pytestmark = [pytest.mark.django_db(transaction=True)]


def app_role_connection(**settings_overrides: Any) -> Any:
    params = connection.settings_dict
    conn = psycopg2.connect(
        dbname=params["NAME"],
        user=settings.DATABASE_APP_ROLE,
        host=params.get("HOST") or "127.0.0.1",
        port=params.get("PORT") or 5432,
        password=settings.DATABASES["default"].get("PASSWORD") or None,
    )
    conn.autocommit = False
    return conn


def set_scope(cursor: Any, member_id: int | None = None, consortium: bool = False) -> None:
    cursor.execute(
        "SELECT set_config('app.member_id', %s, true), set_config('app.consortium', %s, true)",
        ["" if member_id is None else str(member_id), "on" if consortium else ""],
    )


def tables_with_member_key() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'member_id' ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def two_members_data() -> Iterator[dict[str, Any]]:
    a = MemberFactory(slug="rls-a", name="RLS A", short_name="RLSA")
    b = MemberFactory(slug="rls-b", name="RLS B", short_name="RLSB")
    c = MemberFactory(slug="rls-c", name="RLS C", short_name="RLSC")
    service = ServiceFactory()
    staff_create(a, "staff@rls-a.example", ["caseworker"])
    staff_create(b, "staff@rls-b.example", ["caseworker"])
    OfferFactory(member=a, service=service)
    ResidentFactory(member=a)
    # A referral owned by A whose provider is C: B is no party to it.
    ReferralFactory(member=a, provider=c, service=service)
    ReferralFactory(member=b, service=service)
    with consortium_scope(reason="test: audit rows for both members"):
        from audit.services import audit_record

        audit_record(actor_id=None, member_id=a.pk, action="view", reason="rls test")
        audit_record(actor_id=None, member_id=b.pk, action="view", reason="rls test")
    # Each member's signature of the data sharing agreement (the agreement is the consortium's).
    from dataprotection.models import AgreementSignature, SharingAgreement
    from tests.factories import UserFactory

    signer = UserFactory(email="signer@rls.example")
    agreement = SharingAgreement.objects.create(
        version="rls", text="T", text_sha256="0" * 64, effective_from="2026-01-01",
        published_by=signer,
    )  # fmt: skip
    for member in (a, b):
        with member_scope(member.pk):
            AgreementSignature.objects.create(
                member=member, agreement=agreement, signed_by=signer, signer_name="Signer"
            )
    yield {"a": a, "b": b, "c": c}


def test_every_table_with_a_member_key_has_forced_rls_and_a_policy() -> None:
    tables = tables_with_member_key()
    assert "referrals_referral" in tables  # the query really finds member-keyed tables
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relname = ANY(%s)",
            [tables],
        )
        rows = {name: (enabled, forced, policies) for name, enabled, forced, policies in cursor}
    missing = [t for t in tables if rows.get(t, (False, False, 0)) != (True, True, rows[t][2])]
    without_policy = [t for t in tables if rows[t][2] < 1]
    assert missing == [], f"tables with a member key but no ENABLE+FORCE RLS: {missing}"
    assert without_policy == [], f"tables with a member key but no policy: {without_policy}"


def test_every_table_with_a_member_key_belongs_to_a_member_owned_model() -> None:
    owned = {model._meta.db_table for model in member_owned_models()}
    assert set(tables_with_member_key()) <= owned


def test_the_application_role_neither_owns_the_tables_nor_bypasses_rls() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s",
            [settings.DATABASE_APP_ROLE],
        )
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s",
            [settings.DATABASE_APP_ROLE],
        )
        assert cursor.fetchone() == (0,)


def test_with_no_member_set_every_member_owned_table_returns_zero_rows(
    two_members_data: dict[str, Any],
) -> None:
    conn = app_role_connection()
    try:
        with conn.cursor() as cursor:
            populated = []
            for table in tables_with_member_key():
                set_scope(cursor, consortium=True)
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - catalogue names
                if cursor.fetchone()[0] > 0:
                    populated.append(table)
                conn.rollback()
                set_scope(cursor)  # nothing set: empty settings
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE member_id IS NOT NULL')
                visible = cursor.fetchone()[0]
                conn.rollback()
                public = table == "services_offer"  # public_read: the directory is public
                assert public or visible == 0, f"{table}: {visible} rows visible with no scope"
            # The test is not vacuous: the main tables really hold rows.
            assert {
                "referrals_referral",
                "referrals_resident",
                "referrals_application",
                "members_membership",
                "audit_auditevent",
                "dataprotection_agreementsignature",
            } <= set(populated)
    finally:
        conn.close()


def test_with_member_b_set_no_row_of_member_a_is_visible(
    two_members_data: dict[str, Any],
) -> None:
    a, b = two_members_data["a"].pk, two_members_data["b"].pk
    models = {m._meta.db_table: m for m in member_owned_models()}
    conn = app_role_connection()
    try:
        with conn.cursor() as cursor:
            for table in tables_with_member_key():
                model = models[table]
                if model.public_read:
                    continue
                parties = [model._meta.get_field(f).column for f in model.party_fields]
                set_scope(cursor, member_id=b)
                not_b = " AND ".join(f'("{col}" IS DISTINCT FROM %s)' for col in parties)
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE {not_b}',
                    [b] * len(parties),
                )
                assert cursor.fetchone()[0] == 0, f"{table}: rows of another member visible to B"
                conn.rollback()
            set_scope(cursor, member_id=b)
            cursor.execute("SELECT count(*) FROM referrals_referral WHERE member_id = %s", [a])
            assert cursor.fetchone()[0] == 0
    finally:
        conn.close()


def test_with_member_b_set_inserting_or_changing_a_row_of_member_a_fails(
    two_members_data: dict[str, Any],
) -> None:
    a, b = two_members_data["a"].pk, two_members_data["b"].pk
    conn = app_role_connection()
    try:
        with conn.cursor() as cursor:
            set_scope(cursor, member_id=b)
            with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
                cursor.execute(
                    "INSERT INTO referrals_resident (member_id, full_name, email, phone, postcode,"
                    " postcode_district, preferred_language, contact_method, is_synthetic,"
                    " created_at)"
                    " VALUES (%s, 'Forged', '', '', '', '', 'en', 'email', true, now())",
                    [a],
                )
            conn.rollback()
            set_scope(cursor, member_id=b)
            cursor.execute(
                "UPDATE referrals_resident SET full_name = 'Changed' WHERE member_id = %s", [a]
            )
            assert cursor.rowcount == 0
            cursor.execute("DELETE FROM referrals_referral WHERE member_id = %s", [a])
            assert cursor.rowcount == 0
            conn.rollback()
            # Public-read rows can be read but not written by another member.
            set_scope(cursor, member_id=b)
            cursor.execute(
                "UPDATE services_offer SET capacity_per_month = 0 WHERE member_id = %s", [a]
            )
            assert cursor.rowcount == 0
            conn.rollback()
    finally:
        conn.close()


def test_the_application_role_cannot_change_or_delete_audit_rows(
    two_members_data: dict[str, Any],
) -> None:
    a = two_members_data["a"].pk
    conn = app_role_connection()
    try:
        with conn.cursor() as cursor:
            set_scope(cursor, member_id=a)
            cursor.execute("SELECT count(*) FROM audit_auditevent")
            assert cursor.fetchone()[0] >= 1
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute("UPDATE audit_auditevent SET reason = 'tampered'")
            conn.rollback()
            set_scope(cursor, member_id=a)
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute("DELETE FROM audit_auditevent")
            conn.rollback()
    finally:
        conn.close()


def test_a_provider_sees_a_referral_it_is_party_to_but_a_third_member_does_not(
    two_members_data: dict[str, Any],
) -> None:
    a, b, c = (two_members_data[k].pk for k in "abc")
    conn = app_role_connection()
    try:
        with conn.cursor() as cursor:
            for member, expected in ((a, 1), (c, 1), (b, 0)):
                set_scope(cursor, member_id=member)
                cursor.execute(
                    "SELECT count(*) FROM referrals_referral"
                    " WHERE member_id = %s AND provider_id = %s",
                    [a, c],
                )
                assert cursor.fetchone()[0] == expected, member
                conn.rollback()
    finally:
        conn.close()
