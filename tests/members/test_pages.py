"""The one guard for HTML staff pages (members/pages.py): who gets in, what the view receives,
and the rules it refuses to be declared with."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.views.decorators.http import require_GET

from members.actor import Actor, MemberActor, actor_of
from members.pages import PageRule, page_rule, staff_page
from members.permissions import Perm
from tests.members import pages_urls

pytestmark = [pytest.mark.urls("tests.members.pages_urls"), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _forget_what_was_seen() -> None:
    pages_urls.SEEN.clear()


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client) -> None:
    for url in ("/__pages__/member/1/", "/__pages__/consortium/", "/__pages__/hidden/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_a_member_page_gets_the_members_actor_in_the_members_scope(client, alice, member_a):
    client.force_login(alice)
    response = client.get("/__pages__/member/7/")
    assert response.status_code == 200
    actor = pages_urls.SEEN["actor"]
    assert isinstance(actor, MemberActor) and actor.member_id == member_a.pk
    assert actor.user_id == alice.pk
    assert pages_urls.SEEN["scope"].member_id == member_a.pk
    assert pages_urls.SEEN["pk"] == 7


def test_without_the_permission_the_answer_is_403(client, bob, resident_user) -> None:
    for user in (bob, resident_user):  # bob administers member A but reads no referrals
        client.force_login(user)
        assert client.get("/__pages__/member/1/").status_code == 403
        assert client.get("/__pages__/consortium/").status_code == 403
    assert pages_urls.SEEN == {}


def test_a_member_page_refuses_someone_who_works_for_no_member(client, coordinator) -> None:
    client.force_login(coordinator)
    assert client.get("/__pages__/member/1/").status_code == 403
    response = client.get("/__pages__/consortium/")
    assert response.status_code == 200
    assert type(pages_urls.SEEN["actor"]) is Actor


def test_any_one_of_several_permissions_opens_the_page(
    client, board_member, coordinator, alice
) -> None:
    for user in (board_member, coordinator):
        client.force_login(user)
        assert client.get("/__pages__/either/").status_code == 200
    client.force_login(alice)
    assert client.get("/__pages__/either/").status_code == 403


def test_refusal_404_looks_like_a_missing_page(client, alice, resident_user, board_member):
    for user in (alice, resident_user):
        client.force_login(user)
        assert client.get("/__pages__/hidden/").status_code == 404
    client.force_login(board_member)
    assert client.get("/__pages__/hidden/").status_code == 200


def test_the_rule_is_found_under_other_decorators() -> None:
    rule = page_rule(pages_urls.member_page)
    assert rule == PageRule(perms=(Perm.VIEW_REFERRALS,), member=True, refusal=403)
    assert page_rule(pages_urls.hidden_page).refusal == 404

    @require_GET
    def unguarded(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    assert page_rule(unguarded) is None


@pytest.mark.parametrize(
    ("perms", "member", "says"),
    [
        ((), True, "at least one permission"),
        # Only consortium roles route referrals: as a member page nobody could open it.
        ((Perm.ROUTE_REFERRALS,), True, "say member=False"),
        # Only member roles read referrals: the page belongs to a member, so it says so.
        ((Perm.VIEW_REFERRALS,), False, "say member=True"),
    ],
)
def test_a_rule_nobody_could_meet_is_refused_at_import(perms, member, says) -> None:
    with pytest.raises(TypeError, match=says):
        staff_page(*perms, member=member)


def test_a_request_that_skipped_the_middleware_has_no_actor() -> None:
    with pytest.raises(ImproperlyConfigured):
        actor_of(RequestFactory().get("/"))
