"""The rest of the journeys of issue 9, in real Chromium against the live portal: the resident's own
member follows its outgoing referral, a coordinator routes what no rule could, and a board member
downloads the quarter's report. axe (WCAG 2.2 AA) runs on every page visited.

A member administrator inviting a colleague is tests/accounts/test_browser_staff.py (same harness).
Each journey signs in people no other journey here signs in: allauth refuses a TOTP code twice, so
a second sign-in of the same person would wait for the next 30-second window.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
from playwright.sync_api import expect

from tests.browser.conftest import Portal, axe_check, sign_in, sign_out

# --- 1. the landlord follows its outgoing referral ------------------------------------------------


def _closed_referral_with_another_provider(portal: Portal) -> tuple[int, str, str, str, str]:
    """A closed referral with an outcome, from one member's resident, delivered by another."""
    rows = portal.query(
        "SELECT r.id, r.reference, landlord.slug, provider.slug, "
        "  (SELECT o.type FROM referrals_outcome o WHERE o.referral_id = r.id "
        "   ORDER BY o.id LIMIT 1) "
        "FROM referrals_referral r "
        "JOIN members_member landlord ON landlord.id = r.member_id "
        "JOIN members_member provider ON provider.id = r.provider_id "
        "WHERE r.member_id <> r.provider_id AND r.status = 'closed' "
        "  AND EXISTS (SELECT 1 FROM referrals_outcome o WHERE o.referral_id = r.id) "
        "ORDER BY r.id DESC LIMIT 1"
    )
    assert rows, "the demo seed should hold closed referrals delivered by another member"
    referral_id, reference, landlord, provider, outcome_type = rows[0]
    return int(referral_id), str(reference), str(landlord), str(provider), str(outcome_type)


def test_landlord_follows_its_outgoing_referral_without_the_providers_notes(
    page: Any, portal: Portal
) -> None:
    referral_id, reference, landlord, provider, outcome_type = (
        _closed_referral_with_another_provider(portal)
    )
    # OutcomeType's labels (referrals/models.py), as the page shows them in English.
    outcome_label = {
        "job_started": "Job started",
        "job_sustained_13": "Job sustained 13 weeks",
        "job_sustained_26": "Job sustained 26 weeks",
        "apprenticeship": "Apprenticeship started",
        "training_started": "Training started",
        "training_completed": "Training completed",
        "qualification": "Qualification gained",
        "volunteering": "Volunteering started",
        "no_outcome": "No outcome",
    }[outcome_type]
    provider_note = "Provider-only note: prefers morning calls"

    # The provider's service lead writes a case note: private to the provider.
    sign_in(page, f"lead.{provider}@demo.example")
    page.goto(f"/referrals/{referral_id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    page.get_by_label("Add a case note").fill(provider_note)
    page.get_by_role("button", name="Save note").click()
    expect(page.locator("#notes")).to_contain_text(provider_note)
    axe_check(page)
    sign_out(page)

    # The landlord's caseworker finds it among its outgoing referrals, by reference.
    sign_in(page, f"caseworker.{landlord}@demo.example")
    page.goto("/referrals/?tab=outgoing")
    expect(page.get_by_role("link", name=re.compile("Outgoing"))).to_have_attribute(
        "aria-current", "page"
    )
    axe_check(page)
    # The search is posted (a name never goes into the URL), then the filters apply to it.
    page.get_by_label("Reference or name").fill(reference)
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    assert "q=" not in page.url
    # Closed referrals are left out of the list by default (it shows the open ones).
    page.get_by_label("Status").select_option(label="Any, including closed")
    page.get_by_role("button", name="Apply").click()
    results = page.locator("#inbox-results")
    expect(results).to_contain_text("1 referral")
    row = results.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    expect(row).to_contain_text("Closed")
    axe_check(page)

    with page.expect_navigation():
        row.get_by_role("link", name=reference).click()
    assert page.url.endswith(f"/referrals/{referral_id}/")
    main = page.get_by_role("main")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.locator(".lead")).to_contain_text("Closed")
    expect(page.locator("section[aria-labelledby=outcomes-title]")).to_contain_text(outcome_label)
    # The sending member sees where it stands, not the provider's case file.
    expect(page.locator("#notes")).to_contain_text("No notes yet.")
    expect(main).not_to_contain_text(provider_note)
    expect(page.locator("#contact-title")).to_have_count(0)
    expect(page.get_by_role("button", name="Accept referral")).to_have_count(0)
    axe_check(page)


# --- 2. the coordinator routes what no rule could ------------------------------------------------

# An application whose area no offer of its service covers, from a tenant of one of its providers
# who agreed to share with their landlord only (what the sharing page offers there): the routing
# engine leaves it in the coordinator's queue. Submitted through the same service the apply
# pages call, so the outbox, the worker and the engine run exactly as for a resident.
_UNROUTABLE_APPLICATION = """
import json, uuid
from applications.services import ApplicationInput, application_submit
from services.models import Offer, Service, ServiceStatus
from services.selectors import service_eligibility_check

offers = {}
for offer in Offer.objects.public().filter(is_active=True):
    offers.setdefault(offer.service_id, []).append(offer)
service = next(
    s for s in Service.objects.filter(status=ServiceStatus.OPEN, pk__in=offers).order_by("pk")
    if len(offers[s.pk]) >= 2 and all(o.areas and "ZZ9" not in o.areas for o in offers[s.pk])
    and service_eligibility_check(
        service=s, age=30, employment_status="unemployed", tenant_of_member=True
    ).eligible
)
landlord = min(o.member_id for o in offers[service.pk])
application = application_submit(data=ApplicationInput(
    service=service,
    landlord_id=landlord,
    full_name="Journey Unrouted",
    email=f"unrouted.{uuid.uuid4().hex[:10]}@residents.demo.example",
    postcode="ZZ9 9ZZ",
    contact_method="email",
    preferred_language="en",
    idempotency_key=f"browser-journey-{uuid.uuid4()}",
    shared_with_member_ids=[landlord],
    consent=True,
    age=30,
    employment_status="unemployed",
))
print(json.dumps({"reference": application.reference}))
"""


def test_coordinator_routes_an_unrouted_referral_by_hand(page: Any, portal: Portal) -> None:
    output = portal.manage("shell", "-c", _UNROUTABLE_APPLICATION).stdout
    reference = json.loads(output.strip().splitlines()[-1])["reference"]

    def unrouted() -> Any:
        rows = portal.query(
            "SELECT id FROM referrals_referral WHERE reference = %s "
            "AND provider_id IS NULL AND unrouted_since IS NOT NULL",
            [reference],
        )
        return rows[0][0] if rows else None

    referral_id = int(portal.wait_for(unrouted, timeout=60, what=f"{reference} left unrouted"))

    sign_in(page, "coordinator@demo.example")
    page.goto("/referrals/coordinator/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consortium referrals")
    unrouted_table = page.locator("#unrouted + .table-wrap")
    expect(unrouted_table).to_contain_text(reference)
    axe_check(page)

    with page.expect_navigation():
        unrouted_table.get_by_role("link", name=f"Route {reference}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Route referral {reference}")
    # The engine's decision is shown with its reasons: nobody serves the area.
    expect(page.get_by_role("main")).to_contain_text("does not serve ZZ9")
    axe_check(page)

    # Without a choice or a reason: the problems are listed, linked to their fields.
    with page.expect_navigation():
        page.get_by_role("button", name="Send referral").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Choose a member.")
    expect(summary).to_contain_text("Say why you are routing this referral by hand.")
    axe_check(page)

    provider_select = page.get_by_label("Send to")
    options = provider_select.locator("option:not([value=''])")
    provider_id = int(options.first.get_attribute("value") or "0")
    provider_name = (options.first.text_content() or "").strip()
    provider_select.select_option(str(provider_id))
    reason = "Serves the neighbouring district; the resident can travel there"
    page.get_by_label("Why are you routing it by hand?").fill(reason)
    with page.expect_navigation():
        page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_role("main")).to_contain_text(f"Referral {reference} routed.")
    expect(page.locator("#unrouted + .table-wrap, #unrouted + p").first).not_to_contain_text(
        reference
    )
    axe_check(page)

    status, routed_to = portal.query(
        "SELECT status, provider_id FROM referrals_referral WHERE id = %s", [referral_id]
    )[0]
    assert (status, routed_to) == ("routed", provider_id)
    decisions = portal.query(
        "SELECT d.note, d.reasons::text, u.email FROM referrals_routingdecision d "
        "JOIN accounts_user u ON u.id = d.decided_by_id "
        "WHERE d.referral_id = %s AND d.provider_id = %s",
        [referral_id, provider_id],
    )
    assert len(decisions) == 1
    note, reasons, decided_by = decisions[0]
    assert note == reason
    assert reason in reasons and provider_name in reasons
    assert decided_by == "coordinator@demo.example"


# --- 4. a board member downloads the quarter's report ---------------------------------------------


def _text_of_pdf(path: Path) -> str:
    result = subprocess.run(  # noqa: S603 - a fixed tool on a file this test downloaded
        ["/usr/bin/pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return " ".join(result.stdout.split())


def _pdf_title(path: Path) -> str:
    result = subprocess.run(  # noqa: S603 - a fixed tool on a file this test downloaded
        ["/usr/bin/pdfinfo", str(path)], capture_output=True, text=True, timeout=30, check=True
    )
    match = re.search(r"^Title:\s*(.*)$", result.stdout, re.MULTILINE)
    return match.group(1).strip() if match else ""


def test_board_member_downloads_the_quarters_pdf_and_xlsx(
    page: Any, portal: Portal, tmp_path: Path
) -> None:
    rows = portal.query(
        "SELECT r.id, r.title, m.slug, m.name FROM reports_report r "
        "JOIN members_member m ON m.id = r.member_id "
        "WHERE r.status = 'published' ORDER BY r.period_end DESC, r.id LIMIT 1"
    )
    assert rows, "the demo seed should publish each member's latest quarter"
    report_id, title, slug, member_name = rows[0]

    sign_in(page, f"board.{slug}@demo.example")
    page.goto("/reports/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Value-for-money reports")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=member_name))
    expect(row).to_have_count(1)
    axe_check(page)

    downloads: dict[str, Path] = {}
    for fmt in ("pdf", "xlsx"):
        link = row.locator(f'a[href="/reports/{report_id}/{fmt}/"]')
        expect(link).to_have_count(1)
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert download.failure() is None
        assert download.suggested_filename.endswith(f".{fmt}")
        # Saved under the name the portal gave it (openpyxl goes by the extension).
        downloads[fmt] = tmp_path / download.suggested_filename
        download.save_as(downloads[fmt])

    pdf = downloads["pdf"]
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _text_of_pdf(pdf)
    assert "Value-for-money report" in text
    # The cover reads "Value-for-money report", the member, the quarter; the title is the same.
    period = str(title).rsplit(", ", 1)[-1]
    assert re.search(
        rf"Value-for-money report\s+{re.escape(member_name)}\s+{re.escape(period)}", text
    ), text[:300]
    assert _pdf_title(pdf) == title

    workbook = openpyxl.load_workbook(downloads["xlsx"], read_only=True)
    try:
        assert workbook.sheetnames
        first = workbook[workbook.sheetnames[0]]
        assert any(
            cell is not None
            for row_values in first.iter_rows(values_only=True)
            for cell in row_values
        )
    finally:
        workbook.close()

    # Each download is recorded against the file, with who downloaded it.
    recorded = portal.query(
        "SELECT f.format FROM audit_auditevent a "
        "JOIN reports_reportfile f ON a.object_id = f.id::text "
        "JOIN accounts_user u ON u.id = a.actor_id "
        "WHERE a.object_type = 'report_file' AND f.report_id = %s AND u.email = %s",
        [report_id, f"board.{slug}@demo.example"],
    )
    assert {fmt for (fmt,) in recorded} == {"pdf", "xlsx"}
