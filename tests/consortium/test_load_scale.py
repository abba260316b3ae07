"""The scale data loader (devdata/scale.py, `manage.py load_scale`)."""

from __future__ import annotations

import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from audit.models import AuditEvent
from devdata.scale import (
    REFERENCE_PREFIX,
    TARGETS,
    ScaleLoadError,
    load_scale,
    reference_for,
)
from kernel.calendar import LONDON, current_quarter
from members.scoping import consortium_scope, member_scope
from referrals.models import (
    Application,
    Outcome,
    Referral,
    ReferralContact,
    ReferralStatus,
    Resident,
    RoutingDecision,
)
from tests.factories import MemberFactory, OfferFactory, ServiceFactory, staff_create

N = 500


@pytest.fixture
def catalogue(db):  # noqa: ANN001, ANN201
    """Three members, three services (one offered by nobody: its referrals wait unrouted),
    and a caseworker at each member."""
    members = [MemberFactory(areas=[f"E{i}", f"N{i}"]) for i in range(1, 4)]
    job, course, orphan = ServiceFactory(), ServiceFactory(), ServiceFactory()
    OfferFactory(member=members[0], service=job)
    OfferFactory(member=members[1], service=job)
    OfferFactory(member=members[2], service=course)
    for index, member in enumerate(members):
        staff_create(member, f"caseworker{index}@scale.example", ["caseworker"])
    return members, [job, course, orphan]


def _scale_referrals() -> list[Referral]:
    with consortium_scope(reason="test"):
        return list(Referral.objects.filter(reference__startswith=REFERENCE_PREFIX))


def _schema() -> set[tuple[str, str, bool]]:
    """The indexes and foreign keys of the loaded tables, with whether each FK is validated."""
    tables = [model._meta.db_table for model in TARGETS.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid), true FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[])"
            " UNION ALL SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [tables, tables],
        )
        return set(cursor.fetchall())


@pytest.mark.parametrize("rebuild_indexes", [False, True], ids=["online", "rebuild-indexes"])
def test_load_scale_adds_rows_in_proportion(catalogue, rebuild_indexes) -> None:  # noqa: ANN001
    schema_before = _schema()
    result = load_scale(N, chunk=200, analyze=False, rebuild_indexes=rebuild_indexes)

    assert result.rebuilt_indexes is rebuild_indexes
    # Every index and foreign key is back, exactly as it was (and validated: see _schema).
    assert _schema() == schema_before
    with consortium_scope(reason="test"):
        counts = {
            "resident": Resident.objects.filter(email__endswith="@residents.scale.example").count(),
            "application": Application.objects.filter(reference__startswith="HS-").count(),
            "referral": Referral.objects.filter(reference__startswith="HS-").count(),
            "referral_contact": ReferralContact.objects.filter(
                referral__reference__startswith="HS-"
            ).count(),
            "routing_decision": RoutingDecision.objects.filter(
                referral__reference__startswith="HS-"
            ).count(),
            "outcome": Outcome.objects.filter(referral__reference__startswith="HS-").count(),
            "audit": AuditEvent.objects.filter(reason__startswith="Synthetic scale data").count(),
        }
    assert counts == result.counts
    assert counts["referral"] == counts["application"] == counts["routing_decision"] == N
    assert counts["referral_contact"] == N
    assert counts["audit"] == 2 * N
    assert 0.7 * N <= counts["resident"] <= 0.9 * N
    assert 0.1 * N <= counts["outcome"] <= 0.5 * N


def test_load_scale_rows_hang_together(catalogue) -> None:  # noqa: ANN001
    members, services = catalogue
    load_scale(N, chunk=150, analyze=False)
    member_ids = {m.pk for m in members}
    first_day = current_quarter().last(6)[0].start

    referrals = _scale_referrals()
    with consortium_scope(reason="test"):
        applications = {a.pk: a for a in Application.objects.filter(reference__startswith="HS-")}
        residents = {r.pk: r for r in Resident.objects.filter(member_id__in=member_ids)}
        decisions = Counter(
            RoutingDecision.objects.filter(referral__in=referrals).values_list(
                "referral_id", flat=True
            )
        )
        outcomes = list(Outcome.objects.filter(referral__in=referrals))
        contacts = {
            c.referral_id: c for c in ReferralContact.objects.filter(referral__in=referrals)
        }
    by_id = {r.pk: r for r in referrals}
    for referral in referrals:
        application = applications[referral.application_id]
        resident = residents[application.resident_id]
        # The resident, application and referral belong to the same member.
        assert referral.member_id == application.member_id == resident.member_id
        assert referral.reference == application.reference
        assert referral.service_id == application.service_id
        assert decisions[referral.pk] == 1
        contact = contacts[referral.pk]
        assert (contact.member_id, contact.email) == (referral.member_id, resident.email)
        assert referral.is_synthetic and resident.is_synthetic
        assert referral.submitted_at.astimezone(LONDON).date() >= first_day
        assert resident.created_at <= referral.submitted_at
        assert referral.member_id in application.shared_with_member_ids
        if referral.provider_id is not None:
            assert referral.provider_id in application.shared_with_member_ids
            assert referral.sla_accept_due is not None
            assert referral.sla_accept_due > referral.routed_at
        else:
            assert referral.service_id == services[2].pk or referral.unrouted_since is not None
        if referral.accepted_at is not None:
            assert referral.sla_accept_breached == (referral.accepted_at > referral.sla_accept_due)
            assert referral.accepted_by_id is not None
        if referral.status == ReferralStatus.CLOSED:
            assert referral.closed_at >= referral.outcome_recorded_at >= referral.accepted_at
    for outcome in outcomes:
        referral = by_id[outcome.referral_id]
        assert outcome.member_id == referral.member_id
        assert outcome.provider_id == referral.provider_id
        assert referral.status in (ReferralStatus.OUTCOME_RECORDED, ReferralStatus.CLOSED)
    # Statuses in realistic proportion: most are being worked or done, some wait or drop out.
    statuses = Counter(r.status for r in referrals)
    assert statuses[ReferralStatus.IN_PROGRESS] + statuses[ReferralStatus.CLOSED] > N / 2
    assert statuses[ReferralStatus.WITHDRAWN] > 0
    assert statuses[ReferralStatus.SUBMITTED] > 0  # the unrouted queue
    assert len({r.reference for r in referrals}) == N
    assert all(r.reference.startswith(REFERENCE_PREFIX) for r in referrals)


def test_every_loaded_row_is_visible_only_to_its_members(catalogue) -> None:  # noqa: ANN001
    members, _ = catalogue
    load_scale(N, analyze=False)
    referrals = _scale_referrals()
    member_a = members[0].pk
    mine = {r.pk for r in referrals if member_a in (r.member_id, r.provider_id)}
    theirs = {r.pk for r in referrals} - mine
    assert mine and theirs

    with member_scope(member_a), connection.cursor() as cursor:
        # Raw SQL: row-level security itself, not the managers, decides what comes back.
        cursor.execute("SELECT id, member_id, provider_id FROM referrals_referral")
        seen = cursor.fetchall()
        cursor.execute("SELECT DISTINCT member_id FROM referrals_resident")
        resident_members = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT DISTINCT member_id FROM referrals_application")
        application_members = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT DISTINCT member_id FROM audit_auditevent")
        audit_members = {row[0] for row in cursor.fetchall()}
        # A provider reads the contact snapshot only of referrals it accepted.
        cursor.execute(
            "SELECT c.member_id, r.provider_id, r.accepted_at IS NOT NULL, r.status"
            " FROM referrals_referralcontact c JOIN referrals_referral r ON r.id = c.referral_id"
        )
        contacts = cursor.fetchall()
    assert all(member_a in (m, p) for _, m, p in seen)
    assert {pk for pk, _, _ in seen} >= mine
    assert not {pk for pk, _, _ in seen} & theirs
    assert resident_members == application_members == {member_a}
    assert audit_members <= {member_a}
    assert contacts
    for owner, provider, accepted, status in contacts:
        assert owner == member_a or (provider == member_a and accepted and status != "withdrawn")


def test_a_second_run_adds_more_with_new_references(catalogue) -> None:  # noqa: ANN001
    load_scale(50, analyze=False)
    load_scale(50, analyze=False)  # the same seed: ids, hence references, still differ
    references = [r.reference for r in _scale_referrals()]
    assert len(references) == len(set(references)) == 100


def test_reference_is_unique_per_id_and_cannot_look_like_a_portal_reference() -> None:
    seen = {reference_for(i) for i in range(0, 200_000, 7)}
    assert len(seen) == len(range(0, 200_000, 7))
    assert reference_for(1) == "HS-2222-2223"
    assert all(r.startswith("HS-") and len(r) == 12 for r in seen)
    with pytest.raises(ScaleLoadError):
        reference_for(30**8)


@pytest.mark.django_db
def test_load_scale_refuses_a_count_below_one() -> None:
    with pytest.raises(ScaleLoadError):
        load_scale(0)
    with pytest.raises(CommandError):
        call_command("load_scale", "0", "--online")


@pytest.mark.django_db
@override_settings(DEMO_MODE=False)
def test_load_scale_command_refuses_without_demo_mode() -> None:
    with pytest.raises(CommandError, match="DEMO_MODE"):
        call_command("load_scale", "10")
    with consortium_scope(reason="test"):
        assert not Referral.objects.filter(reference__startswith="HS-").exists()


def test_load_scale_command_loads_and_reports_the_counts(catalogue) -> None:  # noqa: ANN001
    """The command's own path: its count and --chunk reach the loader, the tables are
    analyzed, and the counts it prints are the rows that are there. In-process, so --online
    (the default reconnects as the owner, which would end the test's transaction)."""
    out = StringIO()
    call_command("load_scale", "120", "--chunk", "50", "--online", stdout=out)

    printed = dict(re.findall(r"^  (\w+)\s+([\d,]+)$", out.getvalue(), re.MULTILINE))
    with consortium_scope(reason="test"):
        referrals = Referral.objects.filter(reference__startswith=REFERENCE_PREFIX)
        assert printed["referral"] == str(referrals.count()) == "120"
        assert printed["application"] == str(
            Application.objects.filter(referral__in=referrals).count()
        )
        assert printed["audit"] == str(
            AuditEvent.objects.filter(reason__startswith="Synthetic scale data").count()
        )
    # Progress after each chunk: never more than --chunk referrals at a time, 120 in the end.
    done = [int(n) for n in re.findall(r"^  (\d+) / 120 referrals$", out.getvalue(), re.MULTILINE)]
    steps = [b - a for a, b in zip([0, *done], done, strict=False)]
    assert done[-1] == 120 and all(0 < step <= 50 for step in steps)
    assert "Loaded 120 synthetic referrals" in out.getvalue()
    assert "indexes rebuilt" not in out.getvalue()
    assert "not analyzed" not in out.getvalue()
