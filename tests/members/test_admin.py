"""Django admin: behind allauth's sign-in (with MFA), consortium administrators only, every
request in an audited consortium scope."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from members.scoping import consortium_scope
from services.models import Service, ServiceKind
from tests.accounts.helpers import consortium_admin_create
from tests.factories import OfferFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def test_admin_sign_in_goes_through_allauth(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    response = client.get(reverse("admin:login") + "?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=%2Fadmin%2F" in response["Location"]


@pytest.mark.parametrize("who", ["alice", "bob", "coordinator", "resident_user"])
def test_admin_refused_to_non_administrators(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/members/member/").status_code == 403


@pytest.mark.ownership("admin:index")
def test_it_checks_ownership_admin(client, charlie, member_a):
    OfferFactory(member=member_a)
    client.force_login(charlie)
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/services/offer/").status_code == 403
    assert client.get("/admin/members/membership/").status_code == 403


def test_administrator_needs_is_staff_too(client, db):
    admin = consortium_admin_create()
    admin.is_staff = False
    admin.save()
    client.force_login(admin)
    assert client.get("/admin/").status_code == 403


def test_administrator_sees_every_member_in_an_audited_scope(client, member_a, member_b):
    offer_a = OfferFactory(member=member_a)
    OfferFactory(member=member_b, service=offer_a.service)
    admin = consortium_admin_create()
    client.force_login(admin)
    response = client.get("/admin/services/offer/")
    assert response.status_code == 200
    assert "2 offers" in response.content.decode()
    with consortium_scope(reason="test"):
        assert AuditEvent.objects.filter(
            actor=admin, action=AuditAction.CONSORTIUM_SCOPE, reason="django admin"
        ).exists()


def test_administrator_adds_a_service_without_code_changes(client, db):
    kind = ServiceKind.objects.create(slug="learning", name="Learning")
    admin = consortium_admin_create()
    client.force_login(admin)
    response = client.post(
        "/admin/services/service/add/",
        {
            "kind": kind.pk,
            "slug": "digital-skills",
            "name": "Digital skills",
            "summary": "Learn to use a computer.",
            "description": "Short courses.",
            "eligibility": "{}",
            "status": Service._meta.get_field("status").default,
            "sla_accept_days": 2,
            "sla_first_contact_days": 5,
            "routing_rules": "[]",
            "created_at_0": "2026-01-01",
            "created_at_1": "00:00:00",
            "questions-TOTAL_FORMS": 0,
            "questions-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Service.objects.filter(slug="digital-skills").exists()


def test_referrals_are_read_only_in_the_admin(client, member_a):
    referral = ReferralFactory(member=member_a)
    admin = consortium_admin_create()
    client.force_login(admin)
    assert client.get("/admin/referrals/referral/").status_code == 200
    assert client.get(f"/admin/referrals/referral/{referral.pk}/change/").status_code == 200
    assert client.get("/admin/referrals/referral/add/").status_code == 403
    assert client.post(f"/admin/referrals/referral/{referral.pk}/delete/").status_code == 403
