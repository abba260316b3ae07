"""Who sees and downloads which reports: a member's board its own and the consortium's; the
consortium board and coordinator all; nobody else. Files only through the access check."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.scoping import consortium_scope
from outbox.models import OutboxMessage
from reports.models import Report, ReportKind
from reports.services import report_generate, report_publish
from reports.task_names import TASK_GENERATE_ON_DEMAND
from tests.factories import UserFactory, consortium_role_grant
from tests.reports.conftest import Q1

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(member_a, member_b, monkeypatch):  # noqa: ANN001, ANN201
    # These tests are about access, not layout: a stand-in PDF keeps them fast (the PDF itself
    # is tested in test_services.py).
    import reports.render

    monkeypatch.setattr(reports.render, "render_pdf", lambda report: b"%PDF-1.7 stand-in")
    with consortium_scope(reason="test"):
        made = {
            scope: report_publish(
                report=report_generate(scope_member_id=pk, period=Q1, kind=ReportKind.QUARTERLY)
            )
            for scope, pk in (("a", member_a.pk), ("b", member_b.pk), ("consortium", None))
        }
        made["draft"] = report_generate(
            scope_member_id=member_a.pk, period=Q1, kind=ReportKind.ON_DEMAND
        )
    return made


def _download(client, report: Report, fmt: str = "pdf"):  # noqa: ANN001, ANN202
    return client.get(reverse("reports:download", args=[report.pk, fmt]))


@pytest.mark.ownership("reports:list", "reports:download")
def test_it_checks_ownership_charlie_cannot_list_or_download_member_a_reports(
    client, charlie, reports
) -> None:
    client.force_login(charlie)  # board member at member B
    page = client.get(reverse("reports:list")).content.decode()
    assert "Aldgate Homes" not in page
    assert "Brixton Housing Co-op" in page and "Consortium" in page
    for fmt in ("pdf", "csv", "xlsx"):
        assert _download(client, reports["a"], fmt).status_code == 404
        assert _download(client, reports["draft"], fmt).status_code == 404
    assert _download(client, reports["b"]).status_code == 200
    assert _download(client, reports["consortium"]).status_code == 200


@pytest.mark.ownership("reports:generate")
def test_it_checks_ownership_only_the_coordinator_generates_drafts(
    client, charlie, board_member, coordinator, member_a
) -> None:
    for user in (charlie, board_member):
        client.force_login(user)
        assert client.get(reverse("reports:generate")).status_code == 403
        response = client.post(
            reverse("reports:generate"), {"scope": "consortium", "quarter": Q1.key}
        )
        assert response.status_code == 403
    assert not OutboxMessage.objects.filter(task_name=TASK_GENERATE_ON_DEMAND).exists()
    client.force_login(coordinator)
    assert client.get(reverse("reports:generate")).status_code == 200
    response = client.post(
        reverse("reports:generate"), {"scope": str(member_a.pk), "quarter": Q1.key}
    )
    assert response.status_code == 302
    message = OutboxMessage.objects.get(task_name=TASK_GENERATE_ON_DEMAND)
    assert message.kwargs["member_id"] == member_a.pk
    assert message.kwargs["start"] == "2026-04-01"


def test_a_bad_draft_period_is_a_clear_error(client, coordinator) -> None:
    client.force_login(coordinator)
    response = client.post(
        reverse("reports:generate"),
        {"scope": "consortium", "start": "2026-05-01", "end": "2026-04-01"},
    )
    assert response.status_code == 200
    assert "The end date must be on or after the start date." in response.content.decode()
    assert not OutboxMessage.objects.filter(task_name=TASK_GENERATE_ON_DEMAND).exists()


def test_member_board_downloads_its_own_and_the_consortium_report(
    client, board_member, reports
) -> None:
    client.force_login(board_member)
    page = client.get(reverse("reports:list")).content.decode()
    assert "Aldgate Homes" in page and "Brixton Housing Co-op" not in page
    response = _download(client, reports["a"], "xlsx")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    assert _download(client, reports["b"]).status_code == 404
    assert _download(client, reports["draft"]).status_code == 404


def test_consortium_board_sees_every_published_report_but_no_drafts(client, reports) -> None:
    user = UserFactory(email="cboard@consortium.example")
    consortium_role_grant(user, "board")
    client.force_login(user)
    page = client.get(reverse("reports:list")).content.decode()
    assert "Aldgate Homes" in page and "Brixton Housing Co-op" in page
    assert _download(client, reports["b"], "csv").status_code == 200
    assert _download(client, reports["draft"]).status_code == 404


def test_coordinator_sees_drafts(client, coordinator, reports) -> None:
    client.force_login(coordinator)
    assert "on-demand draft" in client.get(reverse("reports:list")).content.decode()
    assert _download(client, reports["draft"]).status_code == 200


def test_staff_without_a_board_role_cannot_see_reports(client, alice, reports) -> None:
    client.force_login(alice)
    assert client.get(reverse("reports:list")).status_code == 403
    assert _download(client, reports["a"]).status_code == 404


def test_an_unknown_format_is_not_found(client, board_member, reports) -> None:
    client.force_login(board_member)
    assert _download(client, reports["a"], "docx").status_code == 404


@pytest.mark.parametrize("who", ["administrator", "resident"])
def test_a_user_with_no_member_gets_a_plain_404_for_any_download(
    client, reports, resident_user, who: str
) -> None:
    """Issue 14, finding 3a: the consortium administrator and a resident work for no member;
    their downloads raised MemberScopeMissing (a 500). A missing report and someone else's
    answer the same 404."""
    if who == "administrator":
        user = UserFactory(email="admin@consortium.example")
        consortium_role_grant(user, "administrator")
    else:
        user = resident_user
    client.force_login(user)
    for report in (reports["a"], reports["consortium"], reports["draft"]):
        for fmt in ("pdf", "csv", "xlsx"):
            response = _download(client, report, fmt)
            assert response.status_code == 404, (report, fmt, response.status_code)
    missing = client.get(reverse("reports:download", args=[987654321, "pdf"]))
    assert missing.status_code == 404
    # The same page (its words; the request id and nonces differ per response).
    for response in (missing, _download(client, reports["a"])):
        assert b"<title>Page not found" in response.content
