"""The seeded demo tells the whole story (issue 22): every referral state at two or more members,
the coordinator's queue with something in it, applications that pass the journey's own forms,
the latest quarter's consortium pack with every figure showing, member packs that still suppress,
and a second run that changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Count
from django.utils import timezone

from applications.forms import ContactForm, EligibilityForm, PreferencesForm, QuestionsForm
from applications.models import EqualityMonitoring
from audit.models import AuditAction, AuditEvent
from devdata.demo import seed_demo
from devdata.seeds.referrals import STORY_MEMBERS
from kernel.calendar import LONDON, is_working_day, last_completed_quarter
from learning.models import Booking
from members.models import Member
from members.scoping import consortium_scope
from outbox.models import OutboxMessage
from referrals import selectors
from referrals.models import (
    Application,
    Outcome,
    OutcomeType,
    Referral,
    ReferralContact,
    ReferralEvent,
    ReferralStatus,
    Resident,
    RoutingDecision,
)
from reports.models import Report
from reports.snapshot import snapshot_build
from reports.suppression import PRIMARY, SECONDARY
from services.models import DeliveryMode, Offer, OpeningHours
from services.selectors import service_eligibility_asks, service_eligibility_check

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
S = ReferralStatus


def _suppressed(cell: object) -> bool:
    return cell in (PRIMARY, SECONDARY)


def counts() -> dict[str, int]:
    with consortium_scope(reason="test: count the demo"):
        return {
            "residents": Resident.objects.count(),
            "applications": Application.objects.count(),
            "referrals": Referral.objects.count(),
            "events": ReferralEvent.objects.count(),
            "decisions": RoutingDecision.objects.count(),
            "outcomes": Outcome.objects.count(),
            "contacts": ReferralContact.objects.count(),
            "equality": EqualityMonitoring.objects.count(),
            "bookings": Booking.objects.count(),
            "reports": Report.objects.count(),
            "outbox": OutboxMessage.objects.count(),
            "opening_hours": OpeningHours.objects.count(),
            # Entering the consortium scope is itself audited; everything else must not grow.
            "audit": AuditEvent.unscoped_objects.exclude(
                action=AuditAction.CONSORTIUM_SCOPE
            ).count(),
        }


def members_with(queryset: Any, field: str = "member_id") -> set[int]:
    return set(queryset.values_list(field, flat=True).distinct())


def test_the_demo_holds_every_situation_and_seeding_twice_changes_nothing() -> None:
    seed_demo(report_quarters=1, member_report_quarters=0)
    first = counts()
    now = timezone.now()
    today = timezone.localdate()

    with consortium_scope(reason="test: read the demo"):
        # The directory the Open Referral feed publishes: every offer has opening hours, every
        # in-person one a position, every member a public phone number.
        offers = list(Offer.objects.all())
        with_hours = set(OpeningHours.objects.values_list("offer_id", flat=True))
        assert offers and {o.pk for o in offers} == with_hours
        assert all(o.latitude for o in offers if DeliveryMode.IN_PERSON in o.delivery_modes)
        assert all(m.phone for m in Member.objects.filter(is_synthetic=True))

        referrals = Referral.objects.filter(is_synthetic=True)
        # Every state of the lifecycle, at two or more members (the resident's landlord).
        for status in S.values:
            assert len(members_with(referrals.filter(status=status))) >= 2, status

        # The coordinator's queue, through the selector the console reads it with: both ways
        # a referral ends up there, each at two or more members.
        queue = list(selectors.unrouted_queue())
        assert queue
        every_declined = [r for r in queue if r.decline_count > 0]
        nobody_near = [
            r
            for r in queue
            if r.decline_count == 0
            and any(
                reason.get("rule") == "area"
                for d in RoutingDecision.objects.filter(referral=r)
                for reason in d.reasons
            )
        ]
        assert len({r.member_id for r in every_declined}) >= 2
        assert len({r.member_id for r in nobody_near}) >= 2

        # Applications made by a caseworker with the resident, at two or more members, each
        # with who assisted (a worker of the landlord), how, and the notice read.
        assisted = referrals.filter(assisted=True)
        assert len(members_with(assisted)) >= 2
        for referral in assisted.select_related("application")[:20]:
            application = referral.application
            assert application.assisted_channel and application.notice_read_at
            assert application.assisted_by_member_id == referral.member_id
            assert application.assisted_by_id is not None
        assert referrals.filter(assisted=False).count() > assisted.count()

        # Declined, then re-routed to another member, with the decline's reason.
        rerouted = referrals.filter(decline_count__gt=0, status=S.ROUTED)
        assert len(members_with(rerouted)) >= 2
        # The three members the README names have one of each, whatever the date.
        story = set(Member.objects.filter(slug__in=STORY_MEMBERS).values_list("pk", flat=True))
        assert len(story) == 3
        assert story <= {r.member_id for r in every_declined}
        assert story <= {r.member_id for r in nobody_near}
        assert story <= members_with(rerouted)
        for status in (S.ROUTED, S.ACCEPTED, S.IN_PROGRESS, S.OUTCOME_RECORDED):
            assert story <= members_with(referrals.filter(status=status), "provider_id"), status
        for referral in rerouted[:5]:
            steps = list(ReferralEvent.objects.filter(referral=referral).order_by("at", "pk"))
            declined = [e for e in steps if e.to_status == S.DECLINED]
            assert declined and all(e.reason for e in declined)
            assert steps[-1].to_status == S.ROUTED or steps[-1].kind != "transition"
            assert referral.provider_id not in {e.provider_id for e in declined}

        # Overdue across members (the console's second table), and due today on a working day.
        overdue = selectors.overdue_across_members(now)
        assert story <= members_with(overdue, "provider_id")
        if is_working_day(today):
            due_today = [
                r
                for r in referrals.filter(status=S.ROUTED, sla_accept_due__isnull=False)
                if r.sla_accept_due.astimezone(LONDON).date() == today
            ]
            assert story <= {r.provider_id for r in due_today}

        # Sustainment checks due: a job start 13 (or 26) weeks old with no sustained job yet.
        checks = ((13, OutcomeType.JOB_SUSTAINED_13), (26, OutcomeType.JOB_SUSTAINED_26))
        for weeks, sustained in checks:
            due = (
                Outcome.objects.filter(
                    type=OutcomeType.JOB_STARTED, achieved_on__lte=today - timedelta(weeks=weeks)
                )
                .exclude(referral__outcomes__type=sustained)
                .filter(achieved_on__gte=today - timedelta(weeks=weeks + 8))
            )
            assert story <= members_with(due, "provider_id"), weeks

        # Withdrawn by the resident: the referral's step and the application's.
        withdrawn = referrals.filter(status=S.WITHDRAWN).select_related("application")
        assert all(r.application.withdrawn_at == r.withdrawn_at for r in withdrawn)
        assert ReferralEvent.objects.filter(to_status=S.WITHDRAWN, reason="resident").count() == (
            withdrawn.count()
        )

        # Residents as varied as real ones.
        residents = Resident.objects.filter(is_synthetic=True)
        assert set(residents.values_list("preferred_language", flat=True)) == {
            "en", "ar", "bn", "pl", "so", "ur",
        }  # fmt: skip
        assert set(residents.values_list("contact_method", flat=True)) == {"email", "phone", "text"}
        assert Application.objects.exclude(accessibility_needs="").count() > 100
        equality = EqualityMonitoring.objects.all()
        for field in ("ethnicity", "disability", "sex"):
            answers = dict(equality.values_list(field).annotate(n=Count("id")))
            assert answers.get("prefer_not", 0) >= 10, field
            assert len(answers) >= 3, field
        assert equality.count() < Application.objects.count()  # some skipped the page

        applications = list(
            Application.objects.select_related("service", "resident").prefetch_related(
                "service__questions"
            )
        )
    assert len(applications) == first["applications"]
    for application in applications:
        _assert_valid_as_submitted(application)

    _assert_the_data_sharing_gate_shows()

    # The latest quarter's consortium pack: every figure has something to show.
    quarter = last_completed_quarter(today)
    with consortium_scope(reason="test: read the report"):
        report = Report.objects.get(member__isnull=True, period_start=quarter.start)
        member_snapshot = snapshot_build(
            member_id=queue[0].member_id, period_start=quarter.start, period_end=quarter.end
        )
    for figure in report.snapshot["figures"]:
        current = figure["current"]
        assert current not in (None, 0) and not _suppressed(current), figure["key"]
        for row in figure["rows"]:
            if row["people"] and figure["key"] != "balance":
                assert not _suppressed(row["values"][-1]), (figure["key"], row["label"])
    # A member's pack still hides its small numbers.
    member_cells = [
        cell for f in member_snapshot["figures"] for row in f["rows"] for cell in row["values"]
    ]
    assert any(_suppressed(cell) for cell in member_cells)

    seed_demo(report_quarters=1, member_report_quarters=0)
    assert counts() == first


def _assert_the_data_sharing_gate_shows() -> None:
    """One illustrative agreement, signed by every DPO but Hyson Green's, whose grace period
    ended two weeks ago: Hyson Green is gated now, and the history agrees day by day."""
    from dataprotection.models import AgreementSignature, SharingAgreement
    from dataprotection.selectors import sharing_gate

    [agreement] = SharingAgreement.objects.all()
    assert agreement.text.startswith("ILLUSTRATIVE TEXT") and "not legal advice" in agreement.text
    hyson = Member.objects.get(slug="hyson-green")
    assert agreement.grace_until is not None and agreement.grace_until < timezone.localdate()
    with consortium_scope(reason="test: the demo's signatures"):
        signed = set(AgreementSignature.objects.values_list("member_id", flat=True))
        assert signed == set(Member.objects.exclude(pk=hyson.pk).values_list("pk", flat=True))
        gate = sharing_gate()
        assert gate.blocked == {hyson.pk: "has not signed data sharing agreement v1"}
        gated_since = agreement.grace_until + timedelta(days=1)
        referrals = Referral.objects.filter(is_synthetic=True)
        # Before the gate Hyson Green received referrals; since, none was routed to it, and
        # decisions say why; no resident's sharing page offered it since.
        assert referrals.filter(provider=hyson, routed_at__date__lt=gated_since).exists()
        assert not RoutingDecision.objects.filter(
            provider=hyson, decided_at__date__gte=gated_since
        ).exists()
        said = [
            r["text"]
            for d in RoutingDecision.objects.filter(decided_at__date__gte=gated_since)
            for r in d.reasons
            if r["member_id"] == hyson.pk
        ]
        assert said and set(said) == {
            "Hyson Green: not offered: has not signed data sharing agreement v1."
        }
        late = Application.objects.filter(submitted_at__date__gte=gated_since).exclude(member=hyson)
        assert late.exists()
        assert not [a for a in late if hyson.pk in a.shared_with_member_ids]


def _assert_valid_as_submitted(application: Application) -> None:
    """The journey's own forms accept what the demo stored, and clean it to the same values."""
    service = application.service
    answers = dict(application.answers)
    eligibility = answers.pop("_eligibility", None)
    questions = QuestionsForm(
        {f"q_{key}": value for key, value in answers.items()}, service=service, translations={}
    )
    assert questions.is_valid(), (application.reference, questions.errors)
    assert {k.removeprefix("q_"): v for k, v in questions.cleaned_data.items()} == answers
    asks = service_eligibility_asks(service)
    if asks["age"] or asks["employment_status"]:
        form = EligibilityForm(eligibility, asks=asks)
        assert form.is_valid(), (application.reference, form.errors)
        assert form.cleaned_data == eligibility
        verdict = service_eligibility_check(
            service=service,
            age=form.cleaned_data.get("age"),
            employment_status=form.cleaned_data.get("employment_status"),
            tenant_of_member=True,
        )
        assert verdict.eligible, verdict.reasons
    else:
        assert eligibility is None
    resident = application.resident
    contact = ContactForm(
        {
            "full_name": resident.full_name,
            "email": resident.email,
            "phone": resident.phone,
            "postcode": resident.postcode,
            "contact_method": resident.contact_method,
        }
    )
    assert contact.is_valid(), (application.reference, contact.errors)
    assert contact.cleaned_data["postcode"] == resident.postcode
    assert contact.cleaned_data["phone"] == resident.phone
    preferences = PreferencesForm(
        {
            "preferred_language": resident.preferred_language,
            "accessibility_needs": application.accessibility_needs,
        }
    )
    assert preferences.is_valid(), (application.reference, preferences.errors)
    assert preferences.cleaned_data["accessibility_needs"] == application.accessibility_needs
    assert application.resident.member_id in application.shared_with_member_ids
    assert application.data_sharing_text
