"""Celery entry points for reports. Each runs in an audited consortium scope (the decorator),
acknowledges late (a killed worker's message is delivered again), and is safe to run twice:
generation is guarded by an advisory lock and the unique constraint, and done in one
transaction, so a retry after a crash produces exactly one report."""

from __future__ import annotations

import logging
from datetime import date, datetime

from kernel.calendar import LONDON, Quarter, is_working_day, last_completed_quarter
from members.models import Member
from members.task_scope import consortium_task
from reports.models import Report, ReportKind, ReportStatus
from reports.services import report_generate_and_publish
from reports.task_names import (
    TASK_CATCH_UP,
    TASK_CORRECT_PUBLISHED,
    TASK_GENERATE_ON_DEMAND,
    TASK_GENERATE_QUARTERLY,
    TASK_QUARTER_END,
)

logger = logging.getLogger(__name__)

# How many past quarters the daily catch-up looks at (a year and a bit).
CATCH_UP_QUARTERS = 5


def first_working_day_after(quarter: Quarter) -> date:
    day = quarter.next().start
    while not is_working_day(day):
        day = date.fromordinal(day.toordinal() + 1)
    return day


@consortium_task(TASK_GENERATE_QUARTERLY)
def generate_quarterly(*, quarter: str, member_id: int | None = None) -> int:
    """Generate and publish one quarterly report (consortium when member_id is None)."""
    report = report_generate_and_publish(
        scope_member_id=member_id, quarter=Quarter.from_key(quarter)
    )
    return report.pk


def _missing(quarter: Quarter) -> list[int | None]:
    published = set(
        Report.objects.filter(
            kind=ReportKind.QUARTERLY,
            status=ReportStatus.PUBLISHED,
            period_start=quarter.start,
            period_end=quarter.end,
        ).values_list("member_id", flat=True)
    )
    scopes: list[int | None] = [None, *Member.objects.order_by("pk").values_list("pk", flat=True)]
    return [scope for scope in scopes if scope not in published]


@consortium_task(TASK_QUARTER_END)
def quarter_end(*, today: str | None = None) -> int:
    """Run daily by beat; acts on the first working day after a quarter ends (a bank holiday
    on 1 April or a weekend moves it on), queueing one report per scope."""
    day = date.fromisoformat(today) if today else datetime.now(LONDON).date()
    quarter = last_completed_quarter(day)
    if day != first_working_day_after(quarter):
        return 0
    return _queue(quarter, day)


@consortium_task(TASK_CATCH_UP)
def catch_up(*, today: str | None = None) -> int:
    """Daily: queue any quarterly report missing for the last few completed quarters (the
    quarter-end run failed, a member joined, a worker died and its message was lost)."""
    day = date.fromisoformat(today) if today else datetime.now(LONDON).date()
    latest = last_completed_quarter(day)
    if day < first_working_day_after(latest):
        latest = latest.previous()
    queued = 0
    for quarter in latest.last(CATCH_UP_QUARTERS):
        queued += _queue(quarter, day)
    return queued


def _queue(quarter: Quarter, day: date) -> int:
    from outbox.services import outbox_enqueue

    missing = _missing(quarter)
    for member_id in missing:
        # Through the outbox, after this transaction commits. The dedupe key allows one message
        # per scope and quarter a day: a second beat process queues nothing new, and a report
        # that failed today is tried again tomorrow.
        outbox_enqueue(
            task_name=TASK_GENERATE_QUARTERLY,
            kwargs={"quarter": quarter.key, "member_id": member_id},
            dedupe_key=f"report:{quarter.key}:{member_id or 'consortium'}:{day.isoformat()}",
        )
    if missing:
        logger.info("queued %s report(s) for %s", len(missing), quarter.key)
    return len(missing)


@consortium_task(TASK_GENERATE_ON_DEMAND)
def generate_on_demand(
    *, start: str, end: str, member_id: int | None = None, user_id: int | None = None
) -> int:
    """A coordinator's draft for any period (a new version each time it is asked for)."""
    from accounts.models import User
    from reports.services import report_generate

    actor = User.objects.filter(pk=user_id).first() if user_id else None
    report = report_generate(
        scope_member_id=member_id,
        period=(date.fromisoformat(start), date.fromisoformat(end)),
        kind=ReportKind.ON_DEMAND,
        actor=actor,
    )
    return report.pk


@consortium_task(TASK_CORRECT_PUBLISHED)
def correct_published(*, report_id: int, note: str, user_id: int | None = None) -> int | None:
    """A coordinator's correction of a published report, published at once (the board is
    emailed). Safe to run twice: a second run finds the correction the first made (the service
    serialises on the report's advisory lock). A refusal (the report was corrected meanwhile
    with another note) is final, so it is logged rather than retried."""
    from accounts.models import User
    from reports.services import ReportError, report_correct_and_publish

    actor = User.objects.filter(pk=user_id).first() if user_id else None
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        logger.warning("correction of report %s refused: no such report", report_id)
        return None
    try:
        corrected = report_correct_and_publish(report=report, note=note, actor=actor)
    except ReportError as exc:
        logger.warning("correction of report %s refused: %s", report_id, exc)
        return None
    return corrected.pk
