"""Thin Celery entry points of the resident journey."""

from __future__ import annotations

from applications.services import status_codes_purge
from applications.task_names import TASK_PURGE_STATUS_CODES
from members.task_scope import consortium_task


@consortium_task(TASK_PURGE_STATUS_CODES)
def purge_status_codes() -> int:
    """Housekeeping across every member's codes; safe to run twice."""
    return status_codes_purge()
