"""The same correction run by two workers at the same moment, on two real connections (a
redelivered message while the first is still working, or a double submit): one new version."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from members.scoping import consortium_scope
from reports.models import Report, ReportKind
from reports.services import report_generate, report_publish
from reports.tasks import correct_published
from tests.reports.conftest import Q1

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_two_workers_correcting_at_once_make_one_correction(
    member_a: Any, coordinator: Any, monkeypatch: Any
) -> None:
    import reports.render

    monkeypatch.setattr(reports.render, "render_pdf", lambda report: b"%PDF-1.7 stand-in")
    with consortium_scope(reason="test"):
        original = report_publish(
            report=report_generate(
                scope_member_id=member_a.pk, period=Q1, kind=ReportKind.QUARTERLY
            )
        )
    kwargs = {"report_id": original.pk, "note": "Late outcomes.", "user_id": coordinator.pk}
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(correct_published(**kwargs))
        except Exception as exc:  # noqa: BLE001 - the assertion below shows what went wrong
            results.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    with consortium_scope(reason="test"):
        corrections = list(Report.objects.filter(corrects=original).values_list("pk", flat=True))
    assert len(corrections) == 1
    assert results == [corrections[0], corrections[0]], results
