"""Thin Celery entry points of the resident journey."""

from __future__ import annotations

from applications.services import status_codes_purge
from members.task_scope import consortium_task


@consortium_task("applications.purge_status_codes")
def purge_status_codes() -> int:
    """Housekeeping across every member's codes; safe to run twice."""
    return status_codes_purge()
