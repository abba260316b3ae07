"""Correcting a published report from the reports page: only the coordinator, only a published
report that has not been corrected already, a note saying what changed; the task that does it is
safe to run twice; the list shows both versions, the old one superseded and still downloadable."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from members.scoping import consortium_scope
from outbox.models import OutboxMessage
from reports.models import Report, ReportKind, ReportStatus
from reports.services import report_checksum, report_generate, report_publish
from reports.task_names import TASK_CORRECT_PUBLISHED
from reports.tasks import correct_published
from tests.factories import UserFactory, consortium_role_grant
from tests.reports.conftest import Q1

pytestmark = pytest.mark.django_db

NOTE = "Two job outcomes for May were recorded late; the funnel is recomputed."


@pytest.fixture
def reports(member_a, member_b, monkeypatch):  # noqa: ANN001, ANN201
    # About the correction path, not the PDF (tested in test_services.py): a stand-in is fast.
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


def _url(report: Report) -> str:
    return reverse("reports:correct", args=[report.pk])


def _corrections_of(report: Report) -> list[Report]:
    with consortium_scope(reason="test"):
        return list(Report.objects.filter(corrects=report).order_by("version"))


def _run_queued_correction() -> int | None:
    """What the worker does with the message the page queued (the outbox relays it after the
    request's transaction commits, which a test transaction never does)."""
    message = OutboxMessage.objects.get(task_name=TASK_CORRECT_PUBLISHED)
    result: int | None = correct_published(**message.kwargs)
    return result


@pytest.mark.ownership("reports:correct")
def test_it_checks_ownership_only_the_coordinator_corrects_reports(
    client, charlie, alice, board_member, reports
) -> None:
    consortium_board = UserFactory(email="cboard@consortium.example")
    consortium_role_grant(consortium_board, "board")
    # charlie is on member B's board and its administrator: not even B's own report.
    for user in (charlie, alice, board_member, consortium_board):
        client.force_login(user)
        for scope in ("a", "b", "consortium"):
            assert client.get(_url(reports[scope])).status_code == 403
            response = client.post(_url(reports[scope]), {"note": NOTE})
            assert response.status_code == 403
        page = client.get(reverse("reports:list"))
        assert "Correct this report" not in page.content.decode()
    assert not OutboxMessage.objects.filter(task_name=TASK_CORRECT_PUBLISHED).exists()
    assert _corrections_of(reports["b"]) == []


def test_the_coordinator_sees_the_form_with_the_report_it_corrects(
    client, coordinator, reports
) -> None:
    client.force_login(coordinator)
    response = client.get(_url(reports["a"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<label for="id_note">What changed</label>' in page
    assert reports["a"].title in page
    assert "published straight away as version 2" in page


def test_a_correction_is_queued_then_published_as_the_next_version_with_its_note(
    client, coordinator, board_member, reports
) -> None:
    original = reports["a"]
    client.force_login(coordinator)
    response = client.post(_url(original), {"note": f"  {NOTE}  "})
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:list")
    message = OutboxMessage.objects.get(task_name=TASK_CORRECT_PUBLISHED)
    assert message.kwargs == {"report_id": original.pk, "note": NOTE, "user_id": coordinator.pk}
    assert _corrections_of(original) == []  # nothing is computed in the request

    corrected_pk = _run_queued_correction()

    with consortium_scope(reason="test"):
        corrected = Report.objects.get(pk=corrected_pk)
        assert (corrected.version, corrected.corrects_id) == (2, original.pk)
        assert corrected.correction_note == NOTE
        assert corrected.status == ReportStatus.PUBLISHED
        assert corrected.published_by_id == corrected.created_by_id == coordinator.pk
        assert corrected.checksum == report_checksum(corrected)
        # The original is a snapshot: untouched.
        before = original.checksum
        original.refresh_from_db()
        assert original.status == ReportStatus.PUBLISHED and original.checksum == before
        audited = AuditEvent.objects.filter(
            object_type="report", object_id=str(original.pk), actor_id=coordinator.pk
        ).values_list("reason", flat=True)
        assert f"corrected by report {corrected.pk} (v2)" in set(audited)
        assert NOTE not in " ".join(audited)  # the audit log carries ids, never free text
    # The board is told through the publish email, which says what changed.
    email = OutboxMessage.objects.get(dedupe_key=f"report_published:{corrected.pk}")
    assert email.kwargs["ids"] == {"report_id": corrected.pk}
    from reports.emails import report_published

    with consortium_scope(reason="test"):  # as the email worker renders it
        content = report_published(report_id=corrected.pk)
    assert [r.email for r in content.recipients] == [board_member.email]
    assert content.context["is_correction"] is True
    assert content.context["correction_note"] == NOTE


@pytest.mark.parametrize("note", ["", "   \n  "])
def test_an_empty_note_keeps_the_coordinator_on_the_form(
    client, coordinator, reports, note
) -> None:
    client.force_login(coordinator)
    response = client.post(_url(reports["a"]), {"note": note})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert '<a href="#id_note">Say what the correction changes.</a>' in page
    assert "<title>Error:" in page
    assert not OutboxMessage.objects.filter(task_name=TASK_CORRECT_PUBLISHED).exists()


def test_a_note_that_is_too_long_is_a_clear_error(client, coordinator, reports) -> None:
    client.force_login(coordinator)
    response = client.post(_url(reports["a"]), {"note": "x" * 2001})
    assert response.status_code == 400
    assert "Keep the note to 2000 characters (it has 2001)." in response.content.decode()
    assert not OutboxMessage.objects.filter(task_name=TASK_CORRECT_PUBLISHED).exists()


def test_a_draft_is_refused_with_a_clear_message(client, coordinator, reports) -> None:
    client.force_login(coordinator)
    for response in (
        client.get(_url(reports["draft"])),
        client.post(_url(reports["draft"]), {"note": NOTE}),
    ):
        assert response.status_code == 409
        page = response.content.decode()
        assert "Only a published report can be corrected." in page
        assert '<form method="post" novalidate>' not in page
    assert not OutboxMessage.objects.filter(task_name=TASK_CORRECT_PUBLISHED).exists()


def test_a_superseded_version_is_refused_and_points_at_its_correction(
    client, coordinator, reports
) -> None:
    original = reports["consortium"]
    correct_published(report_id=original.pk, note=NOTE, user_id=coordinator.pk)
    (corrected,) = _corrections_of(original)
    client.force_login(coordinator)
    response = client.post(_url(original), {"note": "Another change."})
    assert response.status_code == 409
    page = response.content.decode()
    assert "This report has already been corrected by version 2." in page
    assert f'href="{_url(corrected)}"' in page
    assert not OutboxMessage.objects.filter(task_name=TASK_CORRECT_PUBLISHED).exists()
    # The correction itself can be corrected in turn.
    assert client.get(_url(corrected)).status_code == 200


def test_an_unknown_report_is_not_found(client, coordinator, reports) -> None:
    client.force_login(coordinator)
    assert client.get(reverse("reports:correct", args=[999999])).status_code == 404


def test_running_the_correction_task_twice_makes_one_correction(coordinator, reports) -> None:
    original = reports["a"]
    kwargs = {"report_id": original.pk, "note": NOTE, "user_id": coordinator.pk}
    first = correct_published(**kwargs)
    second = correct_published(**kwargs)
    assert first is not None and first == second
    corrections = _corrections_of(original)
    assert [c.pk for c in corrections] == [first]
    assert OutboxMessage.objects.filter(dedupe_key=f"report_published:{first}").count() == 1


def test_the_same_outbox_message_delivered_twice_is_processed_once(coordinator, reports) -> None:
    original = reports["b"]
    kwargs = {"report_id": original.pk, "note": NOTE, "user_id": coordinator.pk}
    message_id = "6f1c2c36-8d43-4d59-9a53-0d9d5e3b1a10"
    assert correct_published(outbox_message_id=message_id, **kwargs) is not None
    assert correct_published(outbox_message_id=message_id, **kwargs) is None
    assert len(_corrections_of(original)) == 1


def test_a_second_correction_with_another_note_is_refused_not_stacked(
    coordinator, reports, caplog
) -> None:
    original = reports["a"]
    first = correct_published(report_id=original.pk, note=NOTE, user_id=coordinator.pk)
    with caplog.at_level(logging.WARNING, logger="reports.tasks"):
        second = correct_published(
            report_id=original.pk, note="Something else.", user_id=coordinator.pk
        )
    assert second is None
    assert "already been corrected by version 2" in caplog.text
    assert [c.pk for c in _corrections_of(original)] == [first]


def test_the_list_shows_the_correction_and_keeps_the_superseded_version_downloadable(
    client, coordinator, board_member, reports
) -> None:
    original = reports["a"]
    corrected_pk = correct_published(report_id=original.pk, note=NOTE, user_id=coordinator.pk)

    client.force_login(board_member)
    page = client.get(reverse("reports:list")).content.decode()
    assert "Version 2, corrects version 1:" in page
    assert NOTE in page
    assert "Superseded by version 2" in page
    assert "Correct this report" not in page
    for pk in (original.pk, corrected_pk):
        response = client.get(reverse("reports:download", args=[pk, "csv"]))
        assert response.status_code == 200

    client.force_login(coordinator)
    page = client.get(reverse("reports:list")).content.decode()
    assert f'href="{reverse("reports:correct", args=[corrected_pk])}"' in page
    assert f'href="{_url(original)}"' not in page  # superseded: correct the new version
    assert f'href="{_url(reports["draft"])}"' not in page  # drafts are not corrected
    assert f'href="{_url(reports["b"])}"' in page
