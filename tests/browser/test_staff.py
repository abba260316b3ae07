"""A member administrator manages staff in real Chromium: the pages pass axe, errors are linked
to their fields, and an invitation goes out."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Portal, axe_check, sign_in

pytestmark = pytest.mark.browser


def test_member_admin_invites_a_caseworker(page: Any, portal: Portal) -> None:
    page.goto("/accounts/login/")
    axe_check(page)
    sign_in(page, "admin.aldgate-bow@demo.example")

    page.goto("/members/staff/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Staff of")
    axe_check(page)

    page.get_by_role("link", name="Invite a member of staff").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Send invitation").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    axe_check(page)
    summary.get_by_role("link").first.click()
    expect(page.locator("#id_email")).to_be_focused()

    page.get_by_label("Email address").fill("new.caseworker@demo.example")
    page.get_by_label("Caseworker").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("main")).to_contain_text("Invitation sent")
    expect(page.get_by_role("main")).to_contain_text("new.caseworker@demo.example")
