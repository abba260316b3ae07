"""The pages: the DPO reads and signs, the coordinator publishes and sees who signed, and the
banner on a gated member's staff pages says why and who must act. Another member's staff are
refused or see only their own member; query counts do not grow with the data."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dataprotection.models import AgreementSignature, SharingAgreement
from members.scoping import member_scope
from tests.dataprotection.conftest import TODAY, day, publish, sign
from tests.factories import MemberFactory, staff_create

pytestmark = pytest.mark.django_db

AGREEMENT = reverse("dataprotection:agreement")
CONSORTIUM = reverse("dataprotection:consortium")
PUBLISH = reverse("dataprotection:publish")


def sign_url(agreement: SharingAgreement) -> str:
    return reverse("dataprotection:sign", args=[agreement.pk])


def version_url(agreement: SharingAgreement) -> str:
    return reverse("dataprotection:version", args=[agreement.pk])


def signatures_of(member: Any) -> list[AgreementSignature]:
    with member_scope(member.pk):
        return list(AgreementSignature.objects.order_by("pk"))


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def queries(client: Client, url: str) -> int:
    client.get(url)  # warm: first-request work is not per page
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


# --- The DPO reads and signs ---------------------------------------------------------------------


def test_the_dpo_reads_the_version_in_force_and_signs_it(
    client: Client, dpo: Any, member_a: Any, coordinator: Any
) -> None:
    agreement = publish(coordinator, "v1", day(-2), text="Clause 1. We share little.")
    client.force_login(dpo)
    body = page(client, AGREEMENT)
    assert "Clause 1. We share little." in body
    assert "I have read version v1 of the data sharing agreement and sign it on behalf of " in body
    assert "Aldgate Homes" in body and "Not signed" in body

    missing_tick = client.post(sign_url(agreement), {})
    assert missing_tick.status_code == 400
    assert "Tick the box to confirm" in missing_tick.content.decode()
    assert signatures_of(member_a) == []

    done = client.post(sign_url(agreement), {"confirm": "on"}, follow=True)
    assert done.redirect_chain == [(AGREEMENT, 302)]
    text = done.content.decode()
    assert "Version v1 is signed for Aldgate Homes by Dana Patel" in text
    assert "Your association has signed version v1" in text
    [signature] = signatures_of(member_a)
    assert signature.signed_by == dpo

    # A second signature is a no-op: same page, same one signature.
    again = client.post(sign_url(agreement), {"confirm": "on"}, follow=True)
    assert "Version v1 is signed for Aldgate Homes by Dana Patel" in again.content.decode()
    assert [s.pk for s in signatures_of(member_a)] == [signature.pk]


def test_a_superseded_version_is_refused_on_the_page(
    client: Client, dpo: Any, member_a: Any, coordinator: Any
) -> None:
    v1 = publish(coordinator, "v1", day(-20))
    publish(coordinator, "v2", day(-1), grace_days=30, today=day(-3))
    client.force_login(dpo)
    body = page(client, AGREEMENT)
    assert f'action="{sign_url(v1)}"' not in body  # only v2 is offered
    refused = client.post(sign_url(v1), {"confirm": "on"})
    assert refused.status_code == 409
    assert "Version v1 has been replaced by version v2" in refused.content.decode()
    assert signatures_of(member_a) == []
    assert client.post(reverse("dataprotection:sign", args=[v1.pk + 99]), {}).status_code == 404


def test_the_dpo_sees_an_upcoming_version_and_the_history(
    client: Client, dpo: Any, member_a: Any, coordinator: Any
) -> None:
    v1 = publish(coordinator, "v1", day(-30))
    sign(dpo, v1, day(-29))
    v2 = publish(coordinator, "v2", day(10), grace_days=5, text="Second text.")
    client.force_login(dpo)
    body = page(client, AGREEMENT)
    assert "Version v2, taking effect on" in body and "Second text." in body
    assert f'action="{sign_url(v2)}"' in body and f'action="{sign_url(v1)}"' not in body
    assert "Your association has signed version v1" in body
    assert re.search(r"<td><a href=\"[^\"]+\">v1</a></td><td>Dana Patel</td>", body)


def test_the_version_in_force_and_an_upcoming_one_each_have_their_own_form(
    client: Client, dpo: Any, member_a: Any, coordinator: Any
) -> None:
    v1 = publish(coordinator, "v1", day(-1))
    v2 = publish(coordinator, "v2", day(9))
    client.force_login(dpo)
    body = page(client, AGREEMENT)
    ids = re.findall(r'<input type="checkbox" name="confirm" id="([^"]+)"', body)
    assert ids == [f"id_confirm_{v1.pk}", f"id_confirm_{v2.pk}"]
    refused = client.post(sign_url(v2), {}).content.decode()
    assert f'href="#id_confirm_{v2.pk}"' in refused
    client.post(sign_url(v2), {"confirm": "on"})
    assert [s.agreement_id for s in signatures_of(member_a)] == [v2.pk]  # v1 still to sign


def test_only_a_members_dpo_may_use_the_dpo_pages(
    client: Client, alice: Any, bob: Any, board_member: Any, coordinator: Any, resident_user: Any
) -> None:
    agreement = publish(coordinator, "v1", day(0))
    for user in (alice, bob, board_member, coordinator, resident_user):
        client.force_login(user)
        assert client.get(AGREEMENT).status_code == 403, user
        assert client.post(sign_url(agreement), {"confirm": "on"}).status_code == 403, user
    client.logout()
    assert client.get(AGREEMENT).status_code == 302  # to sign in
    assert not AgreementSignature.unscoped_objects.exists()
    client.force_login(alice)
    assert client.get(version_url(agreement)).status_code == 403
    assert client.get(AGREEMENT + "x/").status_code == 404


def test_the_version_page_shows_the_text_and_who_signed(
    client: Client, dpo: Any, coordinator: Any
) -> None:
    agreement = publish(coordinator, "v1", day(0), text="The whole text.")
    sign(dpo, agreement)
    client.force_login(dpo)
    body = page(client, version_url(agreement))
    assert "The whole text." in body and agreement.text_sha256 in body
    assert "Signed by Dana Patel" in body
    client.force_login(coordinator)
    body = page(client, version_url(agreement))
    assert "Members that signed it" in body and "<dd>1</dd>" in body
    missing = reverse("dataprotection:version", args=[agreement.pk + 99])
    assert client.get(missing).status_code == 404


@pytest.mark.ownership("dataprotection:agreement", "dataprotection:sign", "dataprotection:version")
def test_it_checks_ownership_charlie_signs_only_for_member_b_and_sees_only_its_signatures(
    client: Client, charlie: Any, dpo: Any, member_a: Any, member_b: Any, coordinator: Any
) -> None:
    agreement = publish(coordinator, "v1", day(0))
    sign(dpo, agreement)  # member A signed, by Dana Patel
    client.force_login(charlie)  # a DPO too, at member B
    body = page(client, AGREEMENT)
    assert "Dana Patel" not in body and "Aldgate" not in body
    assert "Brixton Housing Co-op" in body and "Not signed" in body
    version = page(client, version_url(agreement))
    assert "Dana Patel" not in version and "Not signed" in version
    # Whatever the form says about the member, the signature is charlie's own member's.
    forged = {"confirm": "on", "member": member_a.pk, "member_id": member_a.pk}
    assert client.post(sign_url(agreement), forged).status_code == 302
    assert [s.signed_by for s in signatures_of(member_a)] == [dpo]
    assert [s.signed_by for s in signatures_of(member_b)] == [charlie]


def test_the_dpo_page_costs_the_same_queries_with_more_versions_and_signatures(
    client: Client, dpo: Any, coordinator: Any
) -> None:
    v1 = publish(coordinator, "v1", day(-40))
    sign(dpo, v1, day(-40))
    client.force_login(dpo)
    one = queries(client, AGREEMENT)
    for n in range(2, 6):
        agreement = publish(coordinator, f"v{n}", day(-40 + n), today=day(-40 + n))
        sign(dpo, agreement, day(-40 + n))
    assert queries(client, AGREEMENT) == one


# --- The coordinator publishes and sees who signed ----------------------------------------------


def test_the_coordinator_publishes_a_version(client: Client, coordinator: Any) -> None:
    client.force_login(coordinator)
    form = page(client, PUBLISH)
    assert 'value="v1"' in form  # the suggested version
    bad = client.post(PUBLISH, {"version": "v 1", "effective_from": "2000-01-01", "text": ""})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "There is a problem" in body and "cannot be in the past" in body
    assert "Enter the text of the agreement." in body and "Enter the grace period" in body
    data = {
        "version": "v1",
        "effective_from": TODAY.isoformat(),
        "grace_days": "14",
        "text": "Clause 1.",
    }
    done = client.post(PUBLISH, data, follow=True)
    assert done.redirect_chain == [(CONSORTIUM, 302)]
    assert "Version v1 is published." in done.content.decode()
    agreement = SharingAgreement.objects.get()
    assert agreement.published_by == coordinator and agreement.grace_until == day(14)
    again = client.post(PUBLISH, {**data, "version": "v2"})
    assert again.status_code == 400 and "must take effect after it" in again.content.decode()
    assert 'value="v2"' in page(client, PUBLISH)


def test_the_coordinator_sees_who_signed_and_who_is_gated(
    client: Client, coordinator: Any, dpo: Any, member_a: Any, member_b: Any
) -> None:
    client.force_login(coordinator)
    assert "No agreement has been published, so nobody is gated" in page(client, CONSORTIUM)
    agreement = publish(coordinator, "v1", day(-1))
    sign(dpo, agreement, day(-1))
    body = page(client, CONSORTIUM)
    assert "Version v1 has been in force since" in body
    assert "1 member receives no referrals" in body
    assert "Brixton Housing Co-op: has not signed version v1" in body
    assert "Signed by Dana Patel" in body
    # The coordinator's console says so too.
    console = page(client, reverse("referrals:coordinator"))
    assert "Not receiving referrals: this member has not signed version v1" in console
    assert "Brixton" in console and CONSORTIUM in console


@pytest.mark.ownership("dataprotection:consortium", "dataprotection:publish")
def test_it_checks_ownership_only_the_coordinator_sees_every_member_or_publishes(
    client: Client, alice: Any, bob: Any, charlie: Any, dpo: Any, board_member: Any
) -> None:
    data = {"version": "v1", "effective_from": TODAY.isoformat(), "grace_days": "0", "text": "T"}
    for user in (alice, bob, charlie, dpo, board_member):
        client.force_login(user)
        assert client.get(CONSORTIUM).status_code == 403
        assert client.get(PUBLISH).status_code == 403
        assert client.post(PUBLISH, data).status_code == 403
    assert not SharingAgreement.objects.exists()


def test_the_coordinators_page_costs_the_same_queries_with_more_members(
    client: Client, coordinator: Any, dpo: Any
) -> None:
    agreement = publish(coordinator, "v1", day(-1))
    sign(dpo, agreement, day(-1))
    client.force_login(coordinator)
    few = queries(client, CONSORTIUM)
    for n in range(6):
        member = MemberFactory(slug=f"more-{n}")
        sign(staff_create(member, f"dpo@more-{n}.example", ["dpo"]), agreement)
    assert queries(client, CONSORTIUM) == few


# --- The banner ----------------------------------------------------------------------------------


def banner(body: str) -> str:
    match = re.search(r'<div class="notification-banner.*?</div>\s*</div>', body, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))) if match else ""


def test_a_gated_members_staff_see_why_and_who_must_act(
    client: Client, alice: Any, dpo: Any, coordinator: Any
) -> None:
    publish(coordinator, "v1", day(-3))
    client.force_login(alice)
    for url in (reverse("dashboard"), reverse("referrals:inbox")):
        text = banner(page(client, url))
        assert "receives no referrals and is not offered to residents" in text
        assert "has not signed version v1 of the data sharing agreement" in text
        assert "Who must act: your data protection officer, Dana Patel, signs it" in text
    client.force_login(dpo)
    body = page(client, reverse("dashboard"))
    assert f'href="{AGREEMENT}"' in body and "Read and sign version v1" in banner(body)


def test_staff_in_the_grace_period_see_the_deadline(
    client: Client, alice: Any, dpo: Any, coordinator: Any
) -> None:
    v1 = publish(coordinator, "v1", day(-30))
    sign(dpo, v1, day(-30))
    publish(coordinator, "v2", day(-2), grace_days=40, today=day(-3))
    client.force_login(alice)
    text = banner(page(client, reverse("dashboard")))
    deadline = day(38).strftime("%-d %B %Y")
    assert f"must sign version v2 of the data sharing agreement by {deadline}" in text
    assert "still receives referrals, because it signed version v1" in text


def test_staff_see_an_upcoming_version_and_no_banner_once_signed(
    client: Client, alice: Any, dpo: Any, coordinator: Any, member_a: Any
) -> None:
    v1 = publish(coordinator, "v1", day(-30))
    sign(dpo, v1, day(-30))
    client.force_login(alice)
    assert banner(page(client, reverse("dashboard"))) == ""
    v2 = publish(coordinator, "v2", day(20), grace_days=10)
    text = banner(page(client, reverse("dashboard")))
    effective, deadline = day(20).strftime("%-d %B %Y"), day(30).strftime("%-d %B %Y")
    assert f"Version v2 of the data sharing agreement takes effect on {effective}" in text
    assert f"must sign it by {deadline}" in text
    sign(dpo, v2)
    assert banner(page(client, reverse("dashboard"))) == ""


def test_a_member_without_a_dpo_is_told_who_must_give_the_role(
    client: Client, charlie: Any, member_b: Any, coordinator: Any
) -> None:
    publish(coordinator, "v1", day(-1))
    reader = staff_create(member_b, "reader@b.example", ["caseworker"])
    with member_scope(member_b.pk):
        from members.models import MembershipRole

        MembershipRole.objects.filter(membership__user=charlie, role="dpo").delete()
    client.force_login(reader)
    text = banner(page(client, reverse("dashboard")))
    assert "has no data protection officer in the portal" in text


def test_no_banner_for_residents_the_coordinator_or_anyone_when_nothing_is_in_force(
    client: Client, alice: Any, coordinator: Any, resident_user: Any
) -> None:
    client.force_login(alice)
    assert banner(page(client, reverse("dashboard"))) == ""  # nothing published
    publish(coordinator, "v1", day(-1))
    for user in (coordinator, resident_user):
        client.force_login(user)
        assert banner(page(client, reverse("dashboard"))) == "", user
    client.logout()
    assert banner(page(client, "/services/")) == ""


def test_the_banner_costs_the_same_queries_on_every_page_whatever_the_data(
    client: Client, alice: Any, dpo: Any, coordinator: Any
) -> None:
    client.force_login(alice)
    nothing = queries(client, reverse("dashboard"))
    v1 = publish(coordinator, "v1", day(-3))
    gated = queries(client, reverse("dashboard"))
    assert gated == nothing + 1  # the names of the member's DPOs, shown on the banner
    for n in range(2, 5):
        publish(coordinator, f"v{n}", day(n * 10))
    for n in range(4):
        staff_create(alice.membership.member, f"dpo{n}@a.example", ["dpo"])
    assert queries(client, reverse("dashboard")) == gated
    sign(dpo, v1)
    assert v1.pk  # signed v1; v2..v4 upcoming and unsigned: still a banner, same queries
    assert queries(client, reverse("dashboard")) == gated
