"""A caseworker works a referral in real Chromium: signs in with MFA, accepts a referral routed
to their association, records first contact and an outcome, and closes it."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Portal, axe_check, sign_in


def _routed_referral(portal: Portal) -> tuple[int, str, str]:
    # The demo seed leaves its most recent referrals waiting for their provider.
    portal.manage(
        "shell",
        "-c",
        "from devdata.seeds.referrals import seed_referrals_demo; seed_referrals_demo()",
    )
    rows = portal.query(
        "SELECT r.id, r.reference, m.slug FROM referrals_referral r "
        "JOIN members_member m ON m.id = r.provider_id "
        "WHERE r.status = 'routed' ORDER BY r.id DESC LIMIT 1"
    )
    assert rows, "the demo seed should leave at least one referral waiting to be accepted"
    referral_id, reference, slug = rows[0]
    return int(referral_id), str(reference), str(slug)


def test_caseworker_accepts_a_referral_and_records_an_outcome(page: Any, portal: Portal) -> None:
    referral_id, reference, slug = _routed_referral(portal)
    sign_in(page, f"caseworker.{slug}@demo.example")

    page.goto("/referrals/")
    expect(page.get_by_role("heading", name="Referrals", level=1)).to_be_visible()
    axe_check(page)

    page.goto(f"/referrals/{referral_id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    main = page.get_by_role("main")
    expect(main).to_contain_text("shown once your association accepts")
    axe_check(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Accept referral").click()
    expect(main).to_contain_text("Referral accepted")
    expect(page.locator("#contact-title")).to_be_visible()
    expect(main).not_to_contain_text("shown once your association accepts")

    page.get_by_label("How did you contact the resident?").fill("Phoned, left a message")
    with page.expect_navigation():
        page.get_by_role("button", name="Record first contact").click()
    expect(main).to_contain_text("Contact recorded")
    with page.expect_navigation():
        page.get_by_role("button", name="Start work").click()
    expect(main).to_contain_text("Work has started")

    # A case note goes in without a page load (htmx) and stays after one.
    page.get_by_label("Add a case note").fill("Interested in warehouse work")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator("#notes")).to_contain_text("Interested in warehouse work")

    page.get_by_role("link", name="Record an outcome").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record an outcome")
    axe_check(page)
    # Submitting with nothing chosen lists the problems and keeps the page.
    page.get_by_role("button", name="Save outcome").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose the kind of outcome")
    page.get_by_label("Job started").check()
    page.get_by_label("Date of the outcome").fill(date.today().isoformat())  # noqa: DTZ011
    page.get_by_label("Hours per week (for a job start)").fill("35")
    with page.expect_navigation():
        page.get_by_role("button", name="Save outcome").click()
    expect(main).to_contain_text("Outcome recorded")
    expect(main).to_contain_text(re.compile(r"35(\.0)? hours a week \(full time\)"))

    with page.expect_navigation():
        page.get_by_role("button", name="Close referral").click()
    expect(main).to_contain_text("Referral closed")
    expect(page.locator(".lead")).to_contain_text("Closed")
    axe_check(page)

    status, outcomes = portal.query(
        "SELECT r.status, (SELECT count(*) FROM referrals_outcome o WHERE o.referral_id = r.id) "
        "FROM referrals_referral r WHERE r.id = %s",
        [referral_id],
    )[0]
    assert status == "closed"
    assert outcomes == 1


def test_another_members_caseworker_gets_not_found(page: Any, portal: Portal) -> None:
    referral_id, _, slug = _routed_referral(portal)
    other = portal.query("SELECT slug FROM members_member WHERE slug <> %s LIMIT 1", [slug])[0][0]
    landlord = portal.query(
        "SELECT m.slug FROM referrals_referral r JOIN members_member m ON m.id = r.member_id "
        "WHERE r.id = %s",
        [referral_id],
    )[0][0]
    if other == landlord:
        other = portal.query(
            "SELECT slug FROM members_member WHERE slug NOT IN (%s, %s) LIMIT 1", [slug, landlord]
        )[0][0]
    sign_in(page, f"caseworker.{other}@demo.example")
    response = page.goto(f"/referrals/{referral_id}/")
    assert response is not None and response.status == 404
