"""The data sharing agreement in real Chromium, on the seeded demo (Hyson Green has not signed
v1): its staff see the banner, the coordinator sees who is gated and the publish form, and
Hyson Green's DPO signs, after which the banner is gone. Every page passes axe at 1280 and at
320 CSS pixels, without sideways scrolling, and is saved as a screenshot at both widths in
test-artifacts/dataprotection/ (look at them when the pages change).

Hyson Green's DPO signs in the last test, so the tests before it see the gate; nothing else in
the browser suite depends on Hyson Green."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, Portal, axe_check, sign_in

SHOTS = ARTIFACTS / "dataprotection"
WIDTHS = ((1280, 800), (320, 640))


def at_both_widths(page: Any, name: str) -> None:
    """axe, no sideways scrolling and a full-page screenshot, at desktop and phone widths."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        axe_check(page)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {width}px"
    page.set_viewport_size({"width": 1280, "height": 800})


def test_a_gated_members_staff_see_the_banner_on_every_page(
    page: Any, portal: Portal, browser: Any
) -> None:
    sign_in(page, "caseworker.hyson-green@demo.example")
    for path in ("/referrals/", "/dashboard/"):
        page.goto(path)
        banner = page.get_by_role("region", name="Data sharing agreement")
        expect(banner).to_contain_text(
            "Your association receives no referrals and is not offered to residents: it has "
            "not signed version v1 of the data sharing agreement."
        )
        expect(banner).to_contain_text("Who must act: your data protection officer, Demo Dpo")
    # On the dashboard: the inbox's filters scroll sideways at 320px with or without a banner.
    at_both_widths(page, "banner-caseworker")
    # A member that signed sees none (another browser: no shared cookies).
    context = browser.new_context(base_url=portal.url, locale="en-GB")
    try:
        other = context.new_page()
        sign_in(other, "caseworker.brixton@demo.example")
        expect(other.get_by_role("heading", level=1)).to_have_text("Your work")
        expect(other.get_by_role("region", name="Data sharing agreement")).to_have_count(0)
    finally:
        context.close()


def test_the_coordinator_sees_who_signed_and_the_publish_form(page: Any, portal: Portal) -> None:
    sign_in(page, "coordinator@demo.example")
    page.goto("/dashboard/")
    with page.expect_navigation():
        page.get_by_role("link", name="Data sharing agreement: versions and who has signed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Data sharing agreement: who has signed"
    )
    gated = page.get_by_role("status").filter(has_text="receives no referrals")
    expect(gated).to_contain_text("Hyson Green Housing: has not signed version v1")
    row = page.get_by_role("row", name=re.compile("^Hyson Green Housing"))
    expect(row).to_contain_text("Gated: receives no referrals")
    expect(page.get_by_role("row", name=re.compile("^Brixton Community Housing"))).to_contain_text(
        "Signed by Demo Dpo (Brixton CH)"
    )
    at_both_widths(page, "coordinator-signatures")

    page.goto("/referrals/coordinator/")
    expect(page.get_by_role("main")).to_contain_text(
        "Not receiving referrals: this member has not signed version v1"
    )

    page.goto("/data-protection/consortium/publish/")
    expect(page.get_by_label("Version")).to_have_value("v2")
    at_both_widths(page, "coordinator-publish")
    page.get_by_label("Version").fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="Publish this version").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Enter the version, such as v2.")
    expect(summary).to_contain_text("Enter the text of the agreement.")
    at_both_widths(page, "coordinator-publish-errors")
    summary.get_by_role("link", name="Enter the text of the agreement.").click()
    expect(page.locator("#id_text")).to_be_focused()
    rows = portal.query("SELECT count(*) FROM dataprotection_sharingagreement")
    assert rows == [(1,)]  # nothing published by the tests


def test_the_dpo_reads_and_signs_and_the_banner_goes(page: Any, portal: Portal) -> None:
    sign_in(page, "dpo.hyson-green@demo.example")
    banner = page.get_by_role("region", name="Data sharing agreement")
    with page.expect_navigation():
        banner.get_by_role("link", name="Read and sign version v1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data sharing agreement")
    main = page.get_by_role("main")
    expect(main).to_contain_text("ILLUSTRATIVE TEXT FOR THE DEMONSTRATION PORTAL")
    expect(main).to_contain_text("not legal advice")
    expect(main).to_contain_text("Your association has not signed any version yet.")
    at_both_widths(page, "dpo-agreement")

    # Without the tick: the error is listed, linked to the box, and nothing is signed.
    with page.expect_navigation():
        page.get_by_role("button", name="Sign version v1").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Tick the box to confirm")
    at_both_widths(page, "dpo-agreement-error")
    summary.get_by_role("link").first.click()
    box = page.get_by_label(
        "I have read version v1 of the data sharing agreement and sign it on behalf of "
        "Hyson Green Housing"
    )
    expect(box).to_be_focused()

    box.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign version v1").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Version v1 is signed for Hyson Green Housing by Demo Dpo (Hyson Green)"
    )
    expect(page.get_by_role("region", name="Data sharing agreement")).to_have_count(0)
    history = page.get_by_role("table", name="Your association's signatures")
    expect(history).to_contain_text("Demo Dpo (Hyson Green)")
    at_both_widths(page, "dpo-signed")
    signed = portal.query(
        "SELECT count(*) FROM dataprotection_agreementsignature s JOIN members_member m "
        "ON m.id = s.member_id WHERE m.slug = 'hyson-green'"
    )
    assert signed == [(1,)]
