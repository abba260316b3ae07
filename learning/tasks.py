"""Thin Celery entry points for learning and development."""

from __future__ import annotations

from learning import emails  # noqa: F401  (registers the email kinds in the worker)
from learning.services import session_waitlist_promote, sessions_with_expired_offers
from learning.task_names import TASK_EXPIRE_OFFERS, TASK_PROMOTE_WAITING_LIST
from members.task_scope import consortium_task, member_task
from outbox.services import outbox_enqueue


@member_task(TASK_PROMOTE_WAITING_LIST)
def promote_waiting_list(*, member_id: int, session_id: int) -> int:
    # member_id is the provider: its scope sees every booking of its sessions.
    return len(session_waitlist_promote(session_id=session_id))


@consortium_task(TASK_EXPIRE_OFFERS)
def expire_offers() -> int:
    """Hands each expired offer's session to its provider's scope; safe to run twice (an offer
    already expired and re-offered is not found again)."""
    sessions = sessions_with_expired_offers()
    for session_id, provider_id in sessions:
        outbox_enqueue(
            task_name=TASK_PROMOTE_WAITING_LIST,
            kwargs={"session_id": session_id},
            member_id=provider_id,
        )
    return len(sessions)
