"""A caseworker applies with a resident who has only a phone and speaks Somali, in real Chromium
against the live portal, at 320 px (a caseworker on a phone at a visit) and at 1,280 px; axe on
every page, no sideways scrolling on the phone. The referral then shows as assisted."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, Portal, axe_check, sign_in

SERVICE = "job-search-cv"
SHOTS = ARTIFACTS / "assisted"


def looked_at(page: Any, name: str, *, phone: bool) -> None:
    expect(page.locator("h1")).to_be_visible()
    axe_check(page)
    if phone:
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at 320px"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{320 if phone else 1280}.png"), full_page=True)


def continue_(page: Any) -> None:
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]:not([name=skip])").first.click()


@pytest.mark.parametrize(
    ("who", "phone"),
    [("caseworker.sparkbrook", True), ("caseworker.moss-side", False)],
)
def test_a_caseworker_applies_with_a_phone_only_resident_in_somali(
    request: Any, who: str, phone: bool, portal: Portal
) -> None:
    page = request.getfixturevalue("phone_page" if phone else "page")
    sign_in(page, f"{who}@demo.example")
    page.get_by_role("link", name="Apply with a resident (phone, visit or video call)").click()
    looked_at(page, "start", phone=phone)
    continue_(page)  # nothing chosen: the problems are listed
    expect(page.locator(".error-summary")).to_contain_text("Select a service")
    page.get_by_label("Which service is the resident applying for?").select_option(SERVICE)
    page.get_by_label("By phone").check()
    page.get_by_label("Soomaali").check()
    page.get_by_label("An interpreter is helping").check()
    continue_(page)

    assert page.url.endswith(f"/apply/{SERVICE}/landlord/")
    expect(page.locator("#assisted-banner")).to_contain_text("You are applying with a resident.")
    looked_at(page, "landlord", phone=phone)
    page.locator("input[name=landlord]").first.check()  # a tenant of the first association
    continue_(page)
    if page.url.endswith("/eligibility/"):
        page.get_by_label("How old are you?").fill("41")
        continue_(page)
    if page.url.endswith("/questions/"):
        page.locator("textarea").first.fill("Care work near home")
        page.locator("input[name=q_has_cv]").first.check()
        continue_(page)

    assert page.url.endswith("/contact/")
    page.get_by_label("Full name").fill("Hodan Warsame (browser test)")
    page.get_by_label("Phone number (optional)").fill("07700 900 777")
    page.get_by_label("Postcode").fill("E1 6AN")
    page.get_by_label("Text message").check()
    looked_at(page, "contact", phone=phone)
    continue_(page)

    assert page.url.endswith("/preferences/")
    expect(page.locator("input[name=preferred_language][value=so]")).to_be_checked()
    continue_(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Skip these questions").click()
    assert page.url.endswith("/sharing/")
    page.get_by_label(
        "The resident agrees to share their application with the housing associations selected"
    ).check()
    looked_at(page, "sharing", phone=phone)
    continue_(page)

    assert page.url.endswith("/check/")
    notice = page.locator("#sharing-notice")
    expect(notice).to_have_attribute("lang", "so")
    expect(notice).to_contain_text("Codsigaaga")
    looked_at(page, "check", phone=phone)
    with page.expect_navigation():
        page.get_by_role("button", name="Accept and send").click()
    expect(page.locator(".error-summary")).to_contain_text("Read the notice to the resident")
    page.get_by_label("I have read this notice to the resident and they agreed to it").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Accept and send").click()

    reference = page.locator("#reference").inner_text().strip()
    expect(page.locator("main")).to_contain_text("Tell the resident their reference")
    looked_at(page, "done", phone=phone)
    page.get_by_role("link", name="Print a letter for the resident with their reference").click()
    expect(page.locator("#reference")).to_have_text(reference)
    looked_at(page, "letter", phone=phone)

    # The caseworker's inbox tells assisted referrals apart, and its filters fit a phone.
    page.goto("/referrals/?applied=assisted")
    expect(page.locator("#inbox-results .tag").first).to_have_text("Assisted")
    looked_at(page, "inbox", phone=phone)

    [(channel, language, interpreter, read, assisted, email)] = portal.query(
        "SELECT a.assisted_channel, a.assisted_language, a.interpreter_used, "
        "a.notice_read_at IS NOT NULL, r.assisted, a.contact_email "
        "FROM referrals_application a JOIN referrals_referral r ON r.application_id = a.id "
        "WHERE a.reference = %s",
        [reference],
    )
    assert (channel, language, interpreter, read, assisted, email) == (
        "phone",
        "so",
        True,
        True,
        True,
        "",
    )
