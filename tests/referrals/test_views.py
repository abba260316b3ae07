"""The staff workspace over HTTP: pages, actions, refusals, ownership and query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from audit.models import AuditEvent
from members.scoping import member_scope
from referrals.models import (
    Application,
    CaseNote,
    Referral,
    ReferralContact,
    ReferralStatus,
    Resident,
)
from tests.factories import staff_create
from tests.referrals.conftest import fresh, make_referral, route

pytestmark = pytest.mark.django_db
S = ReferralStatus


@pytest.fixture
def referral_at_a(member_a: Any, service: Any, offers: Any) -> Referral:
    """A's own resident, consenting to A only: routed to A. Member B is not a party."""
    return route(make_referral(member_a, service, [member_a]))


def url(name: str, referral: Referral | None = None) -> str:
    return reverse(f"referrals:{name}", args=[referral.pk] if referral else [])


# --- the caseworker's journey --------------------------------------------------------------------


def test_caseworker_accepts_contacts_records_outcome_and_closes(
    client: Any, referral_to_b: Any, charlie: Any
) -> None:
    client.force_login(charlie)
    page = client.get(url("detail", referral_to_b))
    assert page.status_code == 200
    assert b"Accept referral" in page.content
    assert b"shown once your association accepts" in page.content

    response = client.post(url("accept", referral_to_b), follow=True)
    assert b"Referral accepted" in response.content
    with member_scope(referral_to_b.member_id):
        name = ReferralContact.objects.get(referral=referral_to_b).full_name
    assert escape(name).encode() in response.content  # a name such as O'Connor is escaped

    client.post(url("record_contact", referral_to_b), {"note": "Phoned"})
    client.post(url("start", referral_to_b))
    form = client.get(url("record_outcome", referral_to_b))
    assert form.status_code == 200
    response = client.post(
        url("record_outcome", referral_to_b),
        {
            "type": "job_started",
            "achieved_on": timezone.localdate().isoformat(),
            "hours_per_week": "16",
        },
    )
    assert response.status_code == 302
    response = client.post(url("close", referral_to_b), follow=True)
    assert b"Referral closed" in response.content
    r = fresh(referral_to_b)
    assert r.status == S.CLOSED and r.first_contact_at is not None


def test_outcome_form_errors_are_listed_and_nothing_is_saved(
    client: Any, accepted_by_b: Any, charlie: Any
) -> None:
    client.force_login(charlie)
    response = client.post(
        url("record_outcome", accepted_by_b), {"type": "job_started", "achieved_on": "31/02/2026"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Enter a real date" in body
    assert fresh(accepted_by_b).status == S.ACCEPTED


def test_accepting_twice_shows_a_message_not_an_error_page(
    client: Any, accepted_by_b: Any, member_b: Any
) -> None:
    dora = staff_create(member_b, "dora@b.example", ["caseworker"], "Dora Dean")
    client.force_login(dora)
    response = client.post(url("accept", accepted_by_b), follow=True)
    assert response.status_code == 200
    assert b"already accepted by Charlie Clarke" in response.content


def test_closing_without_outcome_shows_a_message(
    client: Any, accepted_by_b: Any, charlie: Any
) -> None:
    client.force_login(charlie)
    response = client.post(url("close", accepted_by_b), follow=True)
    assert b"Record an outcome before closing" in response.content
    assert fresh(accepted_by_b).status == S.ACCEPTED


def test_decline_form_then_back_to_the_inbox(client: Any, referral_to_b: Any, charlie: Any) -> None:
    client.force_login(charlie)
    assert client.get(url("decline", referral_to_b)).status_code == 200
    response = client.post(url("decline", referral_to_b), {"reason": "other", "note": ""})
    assert response.status_code == 200 and b"Say why you are declining" in response.content
    response = client.post(url("decline", referral_to_b), {"reason": "no_capacity"})
    assert response.status_code == 302 and response["Location"] == url("inbox")
    assert fresh(referral_to_b).status == S.DECLINED


def test_landlord_outgoing_view_shows_status_not_the_envelope_or_timeline(
    client: Any, referral_to_b: Any, alice: Any
) -> None:
    client.force_login(alice)
    response = client.get(url("detail", referral_to_b))
    assert response.status_code == 200
    assert b"Sent to a provider" in response.content
    assert b"Timeline" not in response.content
    assert b"Accept referral" not in response.content
    outgoing = client.get(url("inbox") + "?tab=outgoing")
    assert referral_to_b.reference.encode() in outgoing.content


def test_notes_with_htmx_return_only_the_notes(
    client: Any, accepted_by_b: Any, charlie: Any
) -> None:
    client.force_login(charlie)
    response = client.post(
        url("add_note", accepted_by_b), {"body": "Left a voicemail"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b"Left a voicemail" in response.content
    assert b"<html" not in response.content
    empty = client.post(url("add_note", accepted_by_b), {"body": "  "}, HTTP_HX_REQUEST="true")
    assert b"Write the note" in empty.content
    # Without JavaScript: a normal post and redirect.
    plain = client.post(url("add_note", accepted_by_b), {"body": "Second"})
    assert plain.status_code == 302


def test_inbox_filters_and_htmx_partial(client: Any, referral_to_b: Any, charlie: Any) -> None:
    client.force_login(charlie)
    full = client.get(url("inbox"))
    assert full.status_code == 200
    assert referral_to_b.reference.encode() in full.content
    assert b"htmx.min.js" in full.content
    partial = client.get(url("inbox") + "?status=closed", HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content
    assert referral_to_b.reference.encode() not in partial.content
    searched = client.post(url("inbox_search"), {"q": referral_to_b.reference, "tab": "incoming"})
    assert searched.status_code == 302 and "q=" not in searched["Location"]
    by_ref = client.get(searched["Location"])
    assert referral_to_b.reference.encode() in by_ref.content
    for query in ("?sla=overdue", "?sort=sla", "?language=ur", "?area=e1", "?page=99", "?tab=x"):
        assert client.get(url("inbox") + query).status_code == 200


@pytest.mark.ownership("referrals:inbox_search")
def test_name_search_only_finds_referrals_seen_in_full(
    client: Any, referral_to_b: Any, charlie: Any
) -> None:
    with member_scope(referral_to_b.member_id):
        name = ReferralContact.objects.get(referral=referral_to_b).full_name
    client.force_login(charlie)
    # Before accepting, B may not see the name, so it cannot search by it either.
    client.post(url("inbox_search"), {"q": name})
    before = client.get(url("inbox"))
    assert referral_to_b.reference.encode() not in before.content
    client.post(url("accept", referral_to_b))
    after = client.get(url("inbox"))
    assert referral_to_b.reference.encode() in after.content
    assert b"Clear search" in after.content
    with member_scope(referral_to_b.provider_id):
        assert AuditEvent.objects.filter(
            object_type="referral_inbox", reason__contains="search by name"
        ).exists()


def test_the_search_term_never_reaches_a_url_and_clear_search_forgets_it(
    client: Any, accepted_by_b: Any, charlie: Any
) -> None:
    with member_scope(accepted_by_b.member_id):
        name = ReferralContact.objects.get(referral=accepted_by_b).full_name
    client.force_login(charlie)
    assert client.get(url("inbox_search")).status_code == 405  # no GET: a GET would log the name
    posted = client.post(
        url("inbox_search"), {"q": name, "tab": "incoming", "filters": "status=all&q=x&page=3"}
    )
    assert posted["Location"] == url("inbox") + "?status=all&tab=incoming"
    page = client.get(posted["Location"])
    assert accepted_by_b.reference.encode() in page.content
    assert f"q={name}" not in page.content.decode() and "q=x" not in page.content.decode()
    # A name typed into the URL by hand is ignored, not searched.
    client.post(url("inbox_search"), {"clear": "1", "tab": "incoming"})
    assert client.session.get(f"referrals.inbox_search.{accepted_by_b.provider_id}") is None
    by_url = client.get(url("inbox"), {"q": "no such resident zzz"})
    assert accepted_by_b.reference.encode() in by_url.content


def test_coordinator_sees_queues_and_routes_by_hand(
    client: Any, referral_to_b: Any, charlie: Any, coordinator: Any, member_a: Any
) -> None:
    client.force_login(charlie)
    client.post(url("decline", referral_to_b), {"reason": "no_capacity"})
    client.logout()
    route(referral_to_b)  # A does not speak Urdu, B declined: unrouted
    client.force_login(coordinator)
    queues = client.get(url("coordinator"))
    assert queues.status_code == 200
    assert referral_to_b.reference.encode() in queues.content
    page = client.get(url("coordinator_route", referral_to_b))
    assert page.status_code == 200
    assert b"declined this referral before" in page.content or b"Routing decisions" in page.content
    # B declined: it is not offered, and a forged id is refused as an invalid choice.
    forged = client.post(
        url("coordinator_route", referral_to_b),
        {"provider": str(referral_to_b.provider_id or charlie.membership.member_id), "reason": "x"},
    )
    assert forged.status_code == 400
    response = client.post(
        url("coordinator_route", referral_to_b),
        {"provider": str(member_a.pk), "reason": "A has an Urdu-speaking volunteer"},
    )
    assert response.status_code == 302
    r = fresh(referral_to_b)
    assert r.provider_id == member_a.pk and r.status == S.ROUTED


def test_dpo_searches_and_exports_their_members_audit_log(
    client: Any, accepted_by_b: Any, charlie: Any
) -> None:
    client.force_login(charlie)
    client.get(url("detail", accepted_by_b))  # audited view of contact details
    page = client.get(url("audit_log"), {"object_type": "referral_contact"})
    assert page.status_code == 200
    assert b"referral_contact" in page.content
    export = client.get(url("audit_export"), {"object_type": "referral_contact"})
    assert export["Content-Type"].startswith("text/csv")
    rows = export.content.decode().strip().splitlines()
    assert rows[0] == "at,actor,action,object_type,object_id,reason"
    assert len(rows) >= 2 and all("referral_contact" in r for r in rows[1:])
    with member_scope(accepted_by_b.provider_id):
        assert AuditEvent.objects.filter(object_type="audit_log", action="export").exists()


def test_a_caseworker_without_the_dpo_role_cannot_see_the_audit_log(
    client: Any, alice: Any
) -> None:
    client.force_login(alice)
    assert client.get(url("audit_log")).status_code == 403


# --- ownership: charlie (member B) is refused member A's referrals -------------------------------


@pytest.mark.ownership("referrals:detail")
def test_it_checks_ownership_of_the_referral_page(
    client: Any, referral_at_a: Any, charlie: Any
) -> None:
    client.force_login(charlie)
    response = client.get(url("detail", referral_at_a))
    assert response.status_code == 404
    assert referral_at_a.reference.encode() not in response.content


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.ownership(f"referrals:{name}"), id=name)
        for name in ["accept", "start", "close", "record_contact", "add_note"]
    ],
)
def test_it_checks_ownership_of_referral_actions(
    client: Any, referral_at_a: Any, charlie: Any, name: str
) -> None:
    client.force_login(charlie)
    response = client.post(url(name, referral_at_a), {"body": "forged", "note": "x"})
    assert response.status_code == 404
    r = fresh(referral_at_a)
    assert r.status == S.ROUTED and r.accepted_at is None
    with member_scope(referral_at_a.member_id):
        assert not CaseNote.objects.unscoped().filter(referral=referral_at_a).exists()


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.ownership(f"referrals:{name}"), id=name)
        for name in ["decline", "record_outcome"]
    ],
)
def test_it_checks_ownership_of_referral_forms(
    client: Any, referral_at_a: Any, charlie: Any, name: str
) -> None:
    client.force_login(charlie)
    assert client.get(url(name, referral_at_a)).status_code == 404
    response = client.post(
        url(name, referral_at_a),
        {"reason": "no_capacity", "type": "volunteering", "achieved_on": "2026-01-05"},
    )
    assert response.status_code == 404
    assert fresh(referral_at_a).status == S.ROUTED


@pytest.mark.ownership("referrals:inbox")
def test_it_checks_ownership_of_the_inbox(client: Any, referral_at_a: Any, charlie: Any) -> None:
    client.force_login(charlie)
    for tab in ("incoming", "outgoing", "overdue"):
        response = client.get(url("inbox"), {"tab": tab, "q": referral_at_a.reference})
        assert response.status_code == 200
        assert url("detail", referral_at_a).encode() not in response.content
        assert b"0 referrals" in response.content


@pytest.mark.ownership("referrals:coordinator", "referrals:coordinator_route")
def test_it_checks_ownership_of_the_coordinator_pages(
    client: Any, referral_at_a: Any, charlie: Any
) -> None:
    client.force_login(charlie)
    assert client.get(url("coordinator")).status_code == 403
    assert client.get(url("coordinator_route", referral_at_a)).status_code == 403
    response = client.post(
        url("coordinator_route", referral_at_a),
        {"provider": str(charlie.membership.member_id), "reason": "mine"},
    )
    assert response.status_code == 403
    assert fresh(referral_at_a).provider_id == referral_at_a.member_id


@pytest.mark.ownership("referrals:audit_log", "referrals:audit_export")
def test_it_checks_ownership_of_the_audit_log(
    client: Any, referral_at_a: Any, charlie: Any, alice: Any, dpo: Any
) -> None:
    # Alice (member A) works the referral: A's audit log gets the entries.
    client.force_login(alice)
    client.post(url("accept", referral_at_a))
    client.get(url("detail", referral_at_a))
    client.logout()
    client.force_login(dpo)
    assert (
        str(referral_at_a.pk).encode()
        in client.get(url("audit_log"), {"object_id": str(referral_at_a.pk)}).content
    )
    client.logout()
    # Charlie is a DPO at B: none of A's entries, in the page or the export.
    client.force_login(charlie)
    page = client.get(url("audit_log"), {"object_id": str(referral_at_a.pk)})
    assert page.status_code == 200 and b"0 events" in page.content
    export = client.get(url("audit_export"), {"object_id": str(referral_at_a.pk)})
    assert export.content.decode().strip().splitlines()[1:] == []


def test_signed_out_visitors_are_sent_to_sign_in(client: Any, referral_at_a: Any) -> None:
    response = client.get(url("detail", referral_at_a))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- query counts --------------------------------------------------------------------------------


def bulk_referrals(landlord: Any, provider: Any, service: Any, count: int) -> None:
    """Accepted referrals from landlord to provider, written in bulk (fast, same shape)."""
    now = timezone.now()
    with member_scope(landlord.pk):
        residents = Resident.objects.bulk_create(
            [
                Resident(member=landlord, full_name=f"Resident {i}", postcode_district="E1")
                for i in range(count)
            ]
        )
        applications = Application.objects.bulk_create(
            [
                Application(
                    member=landlord,
                    service=service,
                    resident=r,
                    idempotency_key=f"bulk-{r.pk}",
                    lawful_basis="consent",
                    data_sharing_text="x",
                    shared_with_member_ids=[landlord.pk, provider.pk],
                )
                for r in residents
            ]
        )
        referrals = Referral.objects.bulk_create(
            [
                Referral(
                    member=landlord,
                    provider=provider,
                    application=a,
                    reference=a.reference,
                    service=service,
                    status=S.ACCEPTED,
                    area="E1",
                    routed_at=now,
                    accepted_at=now,
                    sla_first_contact_due=now,
                )
                for a in applications
            ]
        )
        ReferralContact.objects.bulk_create(
            [
                ReferralContact(member=landlord, referral=r, full_name=f"Resident {i}")
                for i, r in enumerate(referrals)
            ]
        )


def inbox_queries(client: Any, query: str = "") -> int:
    # Once first: a new member or service is read into the per-process name cache
    # (selectors.CatalogueNames), and a page's statements are PREPAREd on the connection, the
    # first time; neither is per page.
    assert client.get(url("inbox") + query).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url("inbox") + query)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_inbox_query_count_does_not_grow_with_page_size(
    client: Any, member_a: Any, member_b: Any, service: Any, charlie: Any
) -> None:
    client.force_login(charlie)
    bulk_referrals(member_a, member_b, service, 5)
    five = inbox_queries(client)
    bulk_referrals(member_a, member_b, service, 45)
    fifty = inbox_queries(client)
    assert five == fifty
    assert client.get(url("inbox")).content.count(b"Resident ") >= 50


def test_inbox_query_count_does_not_grow_with_data_size(
    client: Any, member_a: Any, member_b: Any, service: Any, charlie: Any
) -> None:
    client.force_login(charlie)
    bulk_referrals(member_a, member_b, service, 10)
    small = inbox_queries(client, "?sort=sla")
    bulk_referrals(member_a, member_b, service, 190)
    large = inbox_queries(client, "?sort=sla")
    assert small == large
    assert inbox_queries(client, "?sort=sla&page=4") == large


def test_dashboard_links_to_the_workspace(client: Any, charlie: Any, coordinator: Any) -> None:
    client.force_login(charlie)
    page = client.get(reverse("dashboard")).content.decode()
    assert url("inbox") in page and url("audit_log") in page
    assert url("coordinator") not in page
    client.force_login(coordinator)
    assert url("coordinator") in client.get(reverse("dashboard")).content.decode()


def test_inbox_shows_open_work_by_default_and_closed_on_request(
    client: Any, accepted_by_b: Any, charlie: Any
) -> None:
    from referrals import services
    from tests.referrals.conftest import actor_of, as_member

    with as_member(charlie):
        actor = actor_of(charlie)
        services.referral_record_outcome(
            referral_id=accepted_by_b.pk,
            actor=actor,
            type="volunteering",
            achieved_on=timezone.localdate(),
        )
        services.referral_close(referral_id=accepted_by_b.pk, actor=actor)
    client.force_login(charlie)
    link = url("detail", accepted_by_b).encode()
    assert link not in client.get(url("inbox")).content
    assert link in client.get(url("inbox"), {"status": "all"}).content
    assert link in client.get(url("inbox"), {"status": "closed"}).content
