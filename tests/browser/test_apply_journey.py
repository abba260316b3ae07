"""A resident applies in real Chromium using only the keyboard, in English and in a
right-to-left language, on a desktop and at 320px; axe (WCAG 2.2 A/AA) runs on every page of the
journey, including a page with errors. Then the resident checks the application with the
reference and the emailed code, and withdraws it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Portal, axe_check

SERVICE = "job-search-cv"
MAX_TABS = 120


def tab_to(page: Any, selector: str) -> None:
    """Press Tab (only the keyboard) until the element matching `selector` has focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(
            "(s) => !!document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def press_enter_and_wait(page: Any) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def submit(page: Any) -> None:
    tab_to(page, "main form[method=post] button[type=submit]:not([name=skip])")
    press_enter_and_wait(page)


def check_page(page: Any, *, phone: bool) -> None:
    expect(page.locator("h1")).to_be_visible()
    axe_check(page)
    if phone:
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at 320px"


def choose_language(page: Any, language: str) -> None:
    """The language picker, with the keyboard: arrow keys on the select, then the button."""
    tab_to(page, "#language-select")
    for _ in range(10):
        if page.evaluate("document.getElementById('language-select').value") == language:
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.getElementById('language-select').value") == language
    tab_to(page, ".language-form button[type=submit]")
    press_enter_and_wait(page)


def fill_if_present(page: Any, selector: str, text: str) -> None:
    if page.locator(selector).count():
        tab_to(page, selector)
        page.keyboard.type(text)


def tick_first_if_present(page: Any, name: str) -> None:
    """Tab to a radio group or checkbox and press Space (Tab stops once per radio group)."""
    selector = f"input[name={name}]"
    if page.locator(selector).count() and not page.locator(f"{selector}:checked").count():
        tab_to(page, selector)
        page.keyboard.press("Space")


def apply(page: Any, *, language: str, phone: bool) -> str:
    page.goto("/services/")
    if language != "en":
        choose_language(page, language)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    check_page(page, phone=phone)
    tab_to(page, f"main a[href='/services/{SERVICE}/']")
    press_enter_and_wait(page)
    check_page(page, phone=phone)
    tab_to(page, f"main a[href='/apply/{SERVICE}/']")
    press_enter_and_wait(page)
    check_page(page, phone=phone)  # start page
    tab_to(page, "main a.button--start")
    press_enter_and_wait(page)

    # Landlord: the first association in the list (Aldgate and Bow Homes, area E1).
    assert page.url.endswith("/landlord/")
    check_page(page, phone=phone)
    tick_first_if_present(page, "landlord")
    submit(page)

    # Eligibility.
    assert page.url.endswith("/eligibility/")
    check_page(page, phone=phone)
    fill_if_present(page, "#id_age", "34")
    tick_first_if_present(page, "employment_status")
    submit(page)

    # The service's own questions.
    assert page.url.endswith("/questions/")
    check_page(page, phone=phone)
    fill_if_present(page, "#id_q_work_wanted", "Warehouse or retail work")
    tick_first_if_present(page, "q_has_cv")
    submit(page)

    # Contact details: first submitted empty, to see (and axe) the error summary.
    assert page.url.endswith("/contact/")
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    check_page(page, phone=phone)
    fill_if_present(page, "#id_full_name", "Amina Begum" if language == "en" else "أمينة بيغوم")
    fill_if_present(
        page, "#id_email", f"amina.{language}.{'phone' if phone else 'desk'}@example.org"
    )
    fill_if_present(page, "#id_postcode", "E1 6AN")
    submit(page)

    # Language and support needs: the language chosen on the site is already selected.
    assert page.url.endswith("/preferences/")
    check_page(page, phone=phone)
    expect(page.locator(f"input[name=preferred_language][value={language}]")).to_be_checked()
    submit(page)

    # Equality monitoring (optional): answer the first question.
    assert page.url.endswith("/equality/")
    check_page(page, phone=phone)
    tick_first_if_present(page, "ethnicity")
    submit(page)

    # Data sharing: the associations are named; agree.
    assert page.url.endswith("/sharing/")
    check_page(page, phone=phone)
    expect(page.locator("main")).to_contain_text("Aldgate and Bow Homes")
    tick_first_if_present(page, "consent")
    submit(page)

    # Check your answers, then send.
    assert page.url.endswith("/check/")
    check_page(page, phone=phone)
    expect(page.locator("#sharing-notice")).to_contain_text("Aldgate and Bow Homes")
    submit(page)

    assert page.url.endswith("/apply/done/")
    check_page(page, phone=phone)
    reference = page.locator("#reference").inner_text().strip()
    assert re.fullmatch(r"HC-[0-9A-Z]{4}-[0-9A-Z]{4}", reference), reference
    return reference


@pytest.mark.parametrize(
    ("language", "on_phone"),
    [("en", False), ("ar", False), ("ar", True)],
    ids=["english-desktop", "arabic-desktop", "arabic-320px"],
)
def test_a_resident_applies_with_the_keyboard_only(
    request: pytest.FixtureRequest, portal: Portal, language: str, on_phone: bool
) -> None:
    page = request.getfixturevalue("phone_page" if on_phone else "page")
    reference = apply(page, language=language, phone=on_phone)
    rows = portal.query(
        "SELECT a.language, r.status FROM referrals_application a "
        "JOIN referrals_referral r ON r.application_id = a.id WHERE a.reference = %s",
        [reference],
    )
    assert len(rows) == 1
    assert rows[0][0] == language


def test_a_resident_checks_status_with_the_emailed_code_and_withdraws(
    page: Any, portal: Portal
) -> None:
    reference = apply(page, language="en", phone=False)
    page.goto("/apply/status/")
    check_page(page, phone=False)
    tab_to(page, "#id_reference")
    page.keyboard.type(reference)
    submit(page)
    assert page.url.endswith("/apply/status/code/")
    check_page(page, phone=False)

    def code_email() -> Any:
        for message in reversed(portal.emails()):
            if reference in str(message["Subject"]):
                body = message.get_body(preferencelist=("plain",))
                match = re.search(r"\b(\d{6})\b", body.get_content() if body else "")
                if match and "code" in str(message["Subject"]).lower():
                    return match.group(1)
        return None

    code = portal.wait_for(code_email, timeout=20, what="the email with the status code")
    assert code
    tab_to(page, "#id_code")
    page.keyboard.type(code)
    submit(page)
    assert page.url.endswith("/apply/status/application/")
    check_page(page, phone=False)
    expect(page.locator("main")).to_contain_text(reference)
    tab_to(page, "main a[href='/apply/status/withdraw/']")
    press_enter_and_wait(page)
    check_page(page, phone=False)
    submit(page)
    assert page.url.endswith("/apply/status/application/")
    rows = portal.query(
        "SELECT withdrawn_at IS NOT NULL FROM referrals_application WHERE reference = %s",
        [reference],
    )
    assert rows == [(True,)]
