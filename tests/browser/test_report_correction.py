"""The coordinator corrects a published report in real Chromium: from the reports page to the
form (axe on it, empty and filled in), through the outbox to the live Celery worker, and back to
the list showing both versions. The consortium's report is corrected, so the board member's
journey in test_journeys.py (a member's report) sees the same rows whichever runs first."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Portal, axe_check, sign_in

NOTE = "Two job outcomes were recorded late; the funnel and cost per outcome are recomputed."


def test_coordinator_corrects_the_consortium_report(page: Any, portal: Portal) -> None:
    rows = portal.query(
        "SELECT r.id, r.version FROM reports_report r WHERE r.member_id IS NULL "
        "AND r.status = 'published' AND NOT EXISTS "
        "(SELECT 1 FROM reports_report c WHERE c.corrects_id = r.id) "
        "ORDER BY r.period_end DESC LIMIT 1"
    )
    assert rows, "the demo seed should publish the consortium's latest quarter"
    report_id, version = int(rows[0][0]), int(rows[0][1])

    sign_in(page, "coordinator@demo.example")
    page.goto("/reports/")
    link = page.locator(f'a[href="/reports/{report_id}/correct/"]')
    expect(link).to_have_count(1)
    expect(link).to_contain_text("Correct this report")
    axe_check(page)

    with page.expect_navigation():
        link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Correct a published report")
    axe_check(page)

    # No note: the problem is listed and linked to the field, and nothing is queued.
    with page.expect_navigation():
        page.get_by_role("button", name="Publish the correction").click()
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("link", name="Say what the correction changes.")).to_have_count(1)
    axe_check(page)

    page.get_by_label("What changed").fill(NOTE)
    with page.expect_navigation():
        page.get_by_role("button", name="Publish the correction").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Value-for-money reports")
    expect(page.get_by_role("status")).to_contain_text("The correction is being generated.")

    def corrected() -> Any:
        found = portal.query(
            "SELECT id, version, correction_note FROM reports_report "
            "WHERE corrects_id = %s AND status = 'published'",
            [report_id],
        )
        return found[0] if found else None

    new_id, new_version, note = portal.wait_for(
        corrected, timeout=180, what="the correction generated and published by the worker"
    )
    assert (new_version, note) == (version + 1, NOTE)

    page.reload()
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"Version {version + 1}, corrects version {version}: {NOTE}")
    expect(main).to_contain_text(f"Superseded by version {version + 1}")
    # The superseded version stays downloadable; only the new one can be corrected now.
    expect(page.locator(f'a[href="/reports/{report_id}/pdf/"]')).to_have_count(1)
    expect(page.locator(f'a[href="/reports/{report_id}/correct/"]')).to_have_count(0)
    expect(page.locator(f'a[href="/reports/{new_id}/correct/"]')).to_have_count(1)
    axe_check(page)
