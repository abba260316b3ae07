"""The inbox's rows: names of services and members from the per-process catalogue cache, the
residents' names from one prepared statement, and what that costs in queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import Member
from members.scoping import member_scope
from referrals import selectors
from referrals.models import ReferralContact
from tests.referrals.conftest import actor_of, as_member
from tests.referrals.test_views import bulk_referrals, url

pytestmark = pytest.mark.django_db


def page(client: Any, query: str = "") -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url("inbox") + query)
    assert response.status_code == 200
    return response.content.decode(), len(captured.captured_queries)


def test_rows_print_the_service_the_landlord_and_the_resident(
    client: Any, member_a: Any, member_b: Any, service: Any, charlie: Any
) -> None:
    bulk_referrals(member_a, member_b, service, 3)
    client.force_login(charlie)
    content, _ = page(client)
    assert service.name in content
    assert member_a.short_name in content
    assert all(f"Resident {i}" in content for i in range(3))


def test_a_cold_name_cache_costs_two_queries_once(
    client: Any, member_a: Any, member_b: Any, service: Any, charlie: Any
) -> None:
    bulk_referrals(member_a, member_b, service, 3)
    client.force_login(charlie)
    page(client)
    _, warm = page(client)
    selectors.MEMBER_NAMES.clear()
    selectors.SERVICE_NAMES.clear()
    content, cold = page(client)
    assert cold == warm + 2
    assert service.name in content and member_a.short_name in content
    _, again = page(client)
    assert again == warm


def test_a_rename_shows_at_once_here_and_within_the_ttl_elsewhere(
    client: Any, member_a: Any, member_b: Any, service: Any, charlie: Any, monkeypatch: Any
) -> None:
    bulk_referrals(member_a, member_b, service, 2)
    client.force_login(charlie)
    page(client)
    # Saved in this process: the signal empties the cache.
    member_a.short_name = "Whitechapel"
    member_a.save()
    service.name = "Work coaching"
    service.save()
    content, _ = page(client)
    assert "Whitechapel" in content and "Work coaching" in content
    # Changed by another process (no signal here): shown once the copy is older than the TTL.
    Member.objects.filter(pk=member_a.pk).update(short_name="Shadwell")
    assert "Shadwell" not in page(client)[0]
    monkeypatch.setattr(selectors.MEMBER_NAMES, "ttl", 0.0)
    assert "Shadwell" in page(client)[0]


def test_a_new_member_is_named_at_once(member_a: Any, member_b: Any, service: Any) -> None:
    names = selectors.MEMBER_NAMES.names([member_a.pk])
    assert names[member_a.pk] == member_a.short_name
    newcomer = Member.objects.bulk_create(
        [Member(name="Newham Homes", short_name="Newham", slug="newham")]
    )[0]  # bulk_create: no signal, so only the unknown id makes the cache read again
    assert selectors.MEMBER_NAMES.names([newcomer.pk])[newcomer.pk] == "Newham"


def test_inbox_rows_name_the_other_party_on_each_tab(
    member_a: Any, member_b: Any, service: Any, alice: Any, charlie: Any
) -> None:
    bulk_referrals(member_a, member_b, service, 1)
    now = timezone.now()
    with as_member(charlie):
        listed = selectors.referral_inbox(actor=actor_of(charlie), tab="incoming", now=now)
        (incoming,) = selectors.inbox_rows(selectors.inbox_values(listed)[:50], member_b.pk, now)
    assert incoming.party == member_a.short_name and incoming.service == service.name
    assert incoming.name == "Resident 0"
    with as_member(alice):
        listed = selectors.referral_inbox(actor=actor_of(alice), tab="outgoing", now=now)
        (outgoing,) = selectors.inbox_rows(
            selectors.inbox_values(listed)[:50], member_a.pk, now, tab="outgoing"
        )
    assert outgoing.party == member_b.short_name
    # The landlord sees its own resident's name.
    assert outgoing.name == "Resident 0"


def test_the_prepared_statement_survives_a_rolled_back_transaction(
    member_a: Any, member_b: Any, service: Any, charlie: Any
) -> None:
    bulk_referrals(member_a, member_b, service, 2)
    now = timezone.now()

    def names() -> set[str]:
        with as_member(charlie):
            listed = selectors.referral_inbox(actor=actor_of(charlie), tab="incoming", now=now)
            rows = selectors.inbox_rows(selectors.inbox_values(listed)[:50], member_b.pk, now)
        return {row.name for row in rows}

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            assert names() == {"Resident 0", "Resident 1"}
            raise Undo
    except Undo:
        pass
    assert names() == {"Resident 0", "Resident 1"}


def test_the_provider_gets_no_names_before_accepting(
    client: Any, referral_to_b: Any, charlie: Any
) -> None:
    with member_scope(referral_to_b.member_id):
        name = ReferralContact.objects.get(referral=referral_to_b).full_name
    client.force_login(charlie)
    assert name not in page(client)[0]
    client.post(url("accept", referral_to_b))
    assert name in page(client)[0]


@pytest.mark.parametrize("open_only", [True, False])
def test_a_tabs_own_list_read_with_a_prepared_statement_is_the_orms(
    member_a: Any, member_b: Any, service: Any, alice: Any, charlie: Any, open_only: bool
) -> None:
    bulk_referrals(member_a, member_b, service, 60)
    bulk_referrals(member_b, member_a, service, 3)
    now = timezone.now()
    seen = 0
    for user in (alice, charlie):
        for tab in selectors.Tab.ALL:
            with as_member(user):
                actor = actor_of(user)
                listed = selectors.referral_inbox(
                    actor=actor, tab=tab, now=now, open_only=open_only
                )
                prepared = selectors.inbox_values(listed)
                assert isinstance(prepared, selectors.InboxPage)
                orm = listed.all().values(*selectors.INBOX_COLUMNS)
                assert prepared[3:3] == []
                for start, stop in ((0, 50), (50, 100), (0, 1)):
                    with CaptureQueriesContext(connection) as captured:
                        rows = prepared[start:stop]
                    assert rows == list(orm[start:stop]), (user, tab, start)
                    assert any("EXECUTE inbox_" in q["sql"] for q in captured.captured_queries)
                    seen += len(rows)
    assert seen > 100


def test_a_filtered_or_sorted_list_is_read_with_the_orm(charlie: Any) -> None:
    with as_member(charlie):
        listed = selectors.referral_inbox(actor=actor_of(charlie), tab="incoming")
        assert isinstance(selectors.inbox_values(listed), selectors.InboxPage)
        for changed in (listed.filter(area="E1"), listed.order_by("reference"), listed.all()):
            assert not isinstance(selectors.inbox_values(changed), selectors.InboxPage)


def test_the_page_reads_its_tab_prepared_unless_filtered_or_sorted(
    client: Any, member_a: Any, member_b: Any, service: Any, charlie: Any
) -> None:
    bulk_referrals(member_a, member_b, service, 3)
    client.force_login(charlie)

    def prepared(query: str) -> bool:
        page(client, query)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("inbox") + query).status_code == 200
        return any("EXECUTE inbox_incoming" in q["sql"] for q in captured.captured_queries)

    assert prepared("") and prepared("?sort=newest") and prepared("?tab=incoming&page=1")
    assert not prepared("?sort=sla") and not prepared("?area=E1") and not prepared("?status=all")
    default, _ = page(client)
    assert all(f"Resident {i}" in default for i in range(3))


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_the_statements_again(
    client: Any, member_a: Any, member_b: Any, service: Any, charlie: Any
) -> None:
    bulk_referrals(member_a, member_b, service, 2)
    client.force_login(charlie)
    _, warm = page(client)
    _, warm = page(client)
    connection.close()  # the server forgets every prepared statement of the session
    content, fresh = page(client)
    assert "Resident 1" in content
    assert fresh > warm  # PREPAREd again
    assert page(client)[1] == warm


def test_due_dates_read_as_the_date_filter_would_print_them(settings: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from django.template import Context, Template
    from django.utils import translation

    template = Template("{{ due|date:'c' }}|{{ due|date:'j M, H:i' }}")
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # across a clock change in Europe/London
    dues = [start + timedelta(minutes=37 * i) for i in range(6)]
    dues += [datetime(2026, m, d, 23, 59, tzinfo=UTC) for m, d in ((1, 1), (10, 25), (12, 31))]
    for language, _ in settings.LANGUAGES:
        with translation.override(language):
            for due in dues:
                values = {
                    "id": 1,
                    "reference": "HC-X",
                    "status": "routed",
                    "area": "E1",
                    "language": "en",
                    "submitted_at": due,
                    "accepted_at": None,
                    "first_contact_at": None,
                    "sla_accept_due": due,
                    "sla_first_contact_due": None,
                    "member_id": 0,
                    "provider_id": 0,
                    "service_id": 0,
                    "assisted": False,
                }
                (row,) = selectors.inbox_rows([values], member_id=-1, now=due)
                expected = template.render(Context({"due": due}))
                assert f"{row.sla_due_iso}|{row.sla_due_text}" == expected, (language, due)


def test_assisted_referrals_are_marked_and_filtered_in_the_inbox(
    client: Any, alice: Any, member_a: Any, member_b: Any
) -> None:
    """A referral made by a caseworker with the resident is marked "Assisted"; the filter
    "How they applied" tells the two apart."""
    from tests.factories import ReferralFactory

    with member_scope(member_b.pk):
        online = ReferralFactory(member=member_b, provider=member_a, status="routed")
        assisted = ReferralFactory(
            member=member_b, provider=member_a, status="routed", assisted=True
        )
    client.force_login(alice)
    page = client.get("/referrals/").content.decode()
    assert f'{assisted.reference}</a> <span class="tag"' in page
    assert f'{online.reference}</a> <span class="tag"' not in page
    only = client.get("/referrals/?applied=assisted").content.decode()
    assert assisted.reference in only and online.reference not in only
    rest = client.get("/referrals/?applied=online").content.decode()
    assert online.reference in rest and assisted.reference not in rest
