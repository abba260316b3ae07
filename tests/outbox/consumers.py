"""A consumer used by the outbox tests: it counts its runs in the audit log."""

from members.task_scope import consortium_task

RUN_REASON = "outbox test consumer ran"


@consortium_task("tests.outbox.count_runs")
def count_runs(*, label: str) -> str:
    from audit.services import audit_record

    audit_record(actor_id=None, member_id=None, action="change", reason=f"{RUN_REASON}:{label}")
    return label
