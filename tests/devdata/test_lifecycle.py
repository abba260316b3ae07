"""The demo writes referral histories in bulk (devdata/seeds/lifecycle.py) instead of calling the
referral services step by step. Here the same paths go through the real services and through the
writer, and the rows they leave must have the same shape: the status changes and other events,
the routing decisions and the engine's reasons, the audit rows, the outbox messages and which of
the referral's step fields are filled in."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from applications.services import ApplicationInput, application_submit, application_withdraw
from audit.models import AuditAction, AuditEvent
from dataprotection.selectors import sharing_record_load
from devdata.seeds.lifecycle import Lifecycle, Story
from devdata.seeds.referrals import Applicant, Applications
from members.models import Member
from members.scoping import consortium_scope, member_scope
from outbox.models import OutboxMessage
from referrals import services
from referrals.models import Referral, ReferralEvent, RoutingDecision
from services.models import Offer, Service
from services.selectors import service_candidate_members
from tests.factories import OfferFactory, ServiceFactory
from tests.referrals.conftest import actor_of, as_member

pytestmark = pytest.mark.django_db

STEP_FIELDS = [
    "status", "provider_id", "routed_at", "unrouted_since", "accepted_at", "accepted_by_id",
    "declined_at", "declined_by_id", "decline_count", "first_contact_at", "in_progress_at",
    "outcome_recorded_at", "closed_at", "closed_by_id", "withdrawn_at", "sla_accept_due",
    "sla_first_contact_due", "sla_accept_breached", "sla_first_contact_breached",
]  # fmt: skip


def _role(member_id: int | None, referral: Referral, members: dict[int, str]) -> str:
    if member_id is None:
        return "-"
    if member_id == referral.member_id:
        return "landlord"
    return members[member_id]


def _ids_out(text: str) -> str:
    """Ids and counts differ between the two databases' rows; the words must not."""
    return re.sub(r"\d+(\.\d+)?", "#", text)


def shape(referral_id: int, members: dict[int, str]) -> dict[str, Any]:
    with consortium_scope(reason="test: read both referrals"):
        referral = Referral.objects.get(pk=referral_id)
        fields = {
            name: (
                getattr(referral, name)
                if name in ("status", "decline_count", "sla_accept_breached")
                or name == "sla_first_contact_breached"
                else _role(getattr(referral, name), referral, members)
                if name == "provider_id"
                else getattr(referral, name) is not None
            )
            for name in STEP_FIELDS
        }
        events = [
            (e.kind, e.from_status, e.to_status, e.reason, _role(e.provider_id, referral, members),
             e.actor_id is not None, bool(e.note))
            for e in ReferralEvent.objects.filter(referral=referral).order_by("at", "pk")
        ]  # fmt: skip
        decisions = [
            (
                _role(d.provider_id, referral, members),
                d.decided_by_id is not None,
                _ids_out(d.note),
                [
                    (
                        _role(r["member_id"], referral, members),
                        r["rule"],
                        r["verdict"],
                        _ids_out(r["text"]),
                    )
                    for r in d.reasons
                ],
            )  # fmt: skip
            for d in RoutingDecision.objects.filter(referral=referral).order_by("decided_at", "pk")
        ]
        objects = {str(referral.pk), str(referral.application_id)}
        audit = [
            (a.object_type, a.action, _ids_out(a.reason), _role(a.member_id, referral, members),
             a.actor_id is not None)
            for a in AuditEvent.unscoped_objects.filter(object_id__in=objects)
            .exclude(action=AuditAction.CONSORTIUM_SCOPE)
            .filter(object_type__in=["referral", "application"])
            .order_by("at", "pk")
        ]  # fmt: skip
    ids = {str(referral.pk), str(referral.application_id)}
    outbox = sorted(
        (m.task_name, m.kwargs.get("kind", ""), sorted(m.kwargs.get("ids", m.kwargs)),
         _ids_out(m.dedupe_key or ""))
        for m in OutboxMessage.objects.all()
        if ids & {str(v) for v in (m.kwargs.get("ids") or m.kwargs).values()}
    )  # fmt: skip
    return {
        "fields": fields,
        "events": events,
        "decisions": decisions,
        "audit": audit,
        "outbox": outbox,
    }


@pytest.fixture
def setting(member_a: Member, member_b: Member, alice: Any, charlie: Any) -> dict[str, Any]:
    service = ServiceFactory(
        slug="job-search",
        name="Job search support",
        sla_accept_days=2,
        sla_first_contact_days=5,
        routing_rules=["consent", "capacity", "area", "language", "own_landlord"],
    )
    OfferFactory(member=member_a, service=service, areas=["E1"], languages=["en"])
    OfferFactory(member=member_b, service=service, areas=["E1", "E2"], languages=["en"])
    return {"service": service, "members": {member_a.pk: "A", member_b.pk: "B"}}


def _offered(service: Service, landlord: Member, district: str) -> list[int]:
    """Every member the sharing page offers, all ticked (the journey's default)."""
    offered = service_candidate_members(
        service=service, district=district, language="en", landlord=landlord
    )
    return sorted(m.pk for m in offered)


def _submit(service: Service, landlord: Member, district: str, key: str) -> int:
    application = application_submit(
        data=ApplicationInput(
            service=service,
            landlord_id=landlord.pk,
            full_name="Amina Begum",
            email=f"{key}@residents.demo.example",
            postcode=f"{district} 6AN",
            contact_method="email",
            preferred_language="en",
            idempotency_key=f"{key}-0123456789abcdef",
            shared_with_member_ids=_offered(service, landlord, district),
            consent=True,
        )
    )
    with member_scope(landlord.pk):
        return Referral.objects.get(application=application).pk


def _writer(service: Service, landlord: Member, district: str) -> tuple[Lifecycle, Story]:
    with consortium_scope(reason="test: the writer reads the catalogue"):
        sharing = sharing_record_load()
        lifecycle = Lifecycle(
            offers=list(Offer.objects.all()),
            services=[service],
            members=list(Member.objects.all()),
            now=timezone.now() + timedelta(hours=2),
            sharing=sharing,
        )
    story = Applications(random.Random(1), sharing).build(
        Applicant(landlord, service, district, "en", timezone.now())
    )
    # The consent the real path gave: every member the sharing page offers.
    story.application.shared_with_member_ids = _offered(service, landlord, district)
    return lifecycle, story


def _save(lifecycle: Lifecycle) -> None:
    with consortium_scope(reason="test: write the histories"):
        lifecycle.save()


def test_decline_reroute_accept_work_outcome_close_leave_the_same_rows(
    setting: dict[str, Any], member_a: Member, alice: Any, charlie: Any
) -> None:
    service = setting["service"]
    # Through the services, as the web pages and the outbox's tasks call them.
    real = _submit(service, member_a, "E1", "real")
    with member_scope(member_a.pk):
        services.referral_route(referral_id=real)
    with as_member(alice):
        services.referral_decline(
            referral_id=real, actor=actor_of(alice), reason="no_capacity", note="Full."
        )
    with member_scope(member_a.pk):
        services.referral_route(referral_id=real)
    charlie_actor = actor_of(charlie)
    with as_member(charlie):
        services.referral_accept(referral_id=real, actor=charlie_actor)
        services.referral_record_contact(referral_id=real, actor=charlie_actor, note="Phoned.")
        services.referral_start(referral_id=real, actor=charlie_actor)
        services.referral_record_outcome(
            referral_id=real, actor=charlie_actor, type="training_completed",
            achieved_on=timezone.localdate(),
        )  # fmt: skip
        services.referral_close(referral_id=real, actor=charlie_actor)

    # Through the writer, a few minutes apart.
    lifecycle, story = _writer(service, member_a, "E1")
    t = timezone.now()
    lifecycle.submit(story, t)
    lifecycle.route(story, t + timedelta(seconds=5))
    lifecycle.decline(story, t + timedelta(minutes=1), alice, reason="no_capacity", note="Full.")
    lifecycle.route(story, t + timedelta(minutes=2))
    lifecycle.accept(story, t + timedelta(minutes=3), charlie)
    lifecycle.contact(story, t + timedelta(minutes=4), charlie, "Phoned.")
    lifecycle.start(story, t + timedelta(minutes=5), charlie)
    lifecycle.record_outcome(
        story, t + timedelta(minutes=6), charlie, type="training_completed",
        achieved_on=timezone.localdate(),
    )  # fmt: skip
    lifecycle.close(story, t + timedelta(minutes=7), charlie)
    lifecycle.sweep(story)
    _save(lifecycle)

    expected = shape(real, setting["members"])
    written = shape(story.referral.pk, setting["members"])
    assert written == expected
    # The path really went A (declined) -> B (accepted), with the engine's reasons.
    assert [d[0] for d in expected["decisions"]] == ["landlord", "B"]
    assert expected["fields"]["status"] == "closed"


def test_unrouted_then_routed_by_hand_then_withdrawn_leave_the_same_rows(
    setting: dict[str, Any], member_a: Member, coordinator: Any
) -> None:
    service = setting["service"]
    # E3: only B serves it, and B has no capacity left; the coordinator sends it to B anyway,
    # then the resident withdraws.
    b = next(pk for pk, name in setting["members"].items() if name == "B")
    with consortium_scope(reason="test: B is full in E3"):
        Offer.objects.filter(member_id=b, service=service).update(
            areas=["E1", "E2", "E3"], capacity_per_month=0
        )
    real = _submit(service, member_a, "E3", "real")
    with member_scope(member_a.pk):
        services.referral_route(referral_id=real)
    coordinator_actor = actor_of(coordinator)
    with consortium_scope(reason="test: coordinator", user_id=coordinator.pk):
        services.referral_reroute(
            referral_id=real, provider_id=b, actor=coordinator_actor, reason="Phone is fine."
        )
    with member_scope(member_a.pk):
        application = Referral.objects.get(pk=real).application
    application_withdraw(application=application)

    lifecycle, story = _writer(service, member_a, "E3")
    t = timezone.now()
    lifecycle.submit(story, t)
    assert lifecycle.route(story, t + timedelta(seconds=5)) is None
    assert lifecycle.route_choices(story, t + timedelta(minutes=1)) == sorted(setting["members"])
    lifecycle.route_by_hand(
        story, t + timedelta(minutes=1), provider_id=b, coordinator=coordinator,
        reason="Phone is fine.",
    )  # fmt: skip
    lifecycle.withdraw(story, t + timedelta(minutes=2))
    lifecycle.sweep(story)
    _save(lifecycle)

    expected = shape(real, setting["members"])
    assert shape(story.referral.pk, setting["members"]) == expected
    assert expected["decisions"][0][0] == "-"  # the engine found nobody first
    assert expected["fields"]["status"] == "withdrawn"


def test_a_member_gated_by_the_data_sharing_agreement_is_passed_by_the_same_way(
    setting: dict[str, Any], member_a: Member, member_b: Member, coordinator: Any
) -> None:
    """Landlord A has not signed the agreement in force, B has: both paths route to B, and the
    decisions give A the same reason."""
    from tests.dataprotection.conftest import day, publish, sign
    from tests.factories import staff_create

    agreement = publish(coordinator, "v1", day(-1))
    sign(staff_create(member_b, "dpo@b.example", ["dpo"]), agreement, day(-1))
    service = setting["service"]
    real = _submit(service, member_a, "E1", "real")
    with member_scope(member_a.pk):
        services.referral_route(referral_id=real)

    lifecycle, story = _writer(service, member_a, "E1")
    t = timezone.now()
    lifecycle.submit(story, t)
    assert lifecycle.route(story, t + timedelta(seconds=5)) == member_b.pk
    lifecycle.sweep(story)
    _save(lifecycle)

    expected = shape(real, setting["members"])
    assert shape(story.referral.pk, setting["members"]) == expected
    [decision] = expected["decisions"]
    assert decision[0] == "B"
    reason = "Aldgate: not offered: has not signed data sharing agreement v#."
    assert ("landlord", "sharing_agreement", "excluded", reason) in decision[3]
