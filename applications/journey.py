"""The journey's state, kept in the (database-backed) session between steps.

Answers are kept per service, so a resident who looks at two services does not mix them up, and
survive errors: a step that fails validation keeps what was stored before and shows what was
typed.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from services.models import Service
from services.selectors import service_eligibility_asks

SESSION_KEY = "apply"
DONE_KEY = "apply_done"
ALL_STEPS = [
    "landlord",
    "eligibility",
    "questions",
    "contact",
    "preferences",
    "equality",
    "sharing",
]
# When these steps change, the list of members who may receive the application may change too,
# so the resident is asked again.
INVALIDATES_SHARING = {"landlord", "contact", "preferences"}


class Journey:
    def __init__(self, session: SessionBase, service: Service) -> None:
        self.session = session
        self.service = service
        store = session.get(SESSION_KEY) or {}
        self.state: dict[str, Any] = store.get(service.slug) or {"steps": {}}

    def _save(self) -> None:
        store = self.session.get(SESSION_KEY) or {}
        store[self.service.slug] = self.state
        self.session[SESSION_KEY] = store
        self.session.modified = True

    def steps(self) -> list[str]:
        asks = service_eligibility_asks(self.service)
        steps = []
        for step in ALL_STEPS:
            if step == "eligibility" and not (asks["age"] or asks["employment_status"]):
                continue
            if step == "questions" and not self.service.questions.exists():
                continue
            steps.append(step)
        return steps

    def data(self, step: str) -> dict[str, Any] | None:
        return self.state["steps"].get(step)

    def get(self, step: str, name: str, default: Any = None) -> Any:
        return (self.data(step) or {}).get(name, default)

    def save(self, step: str, data: dict[str, Any]) -> None:
        before = self.state["steps"].get(step)
        self.state["steps"][step] = data
        if step in INVALIDATES_SHARING and before is not None and before != data:
            self.state["steps"].pop("sharing", None)
        # Any change makes a new submission: a new key for the next "Check your answers".
        if before != data:
            self.state.pop("key", None)
        self._save()

    def forget(self, step: str) -> None:
        """The step is asked again."""
        self.state["steps"].pop(step, None)
        self.state.pop("key", None)
        self._save()

    def forget_all(self) -> None:
        self.state = {"steps": {}}
        self._save()

    def first_incomplete(self) -> str | None:
        for step in self.steps():
            if self.data(step) is None:
                return step
        return None

    def next_step(self, step: str) -> str | None:
        steps = self.steps()
        index = steps.index(step)
        return steps[index + 1] if index + 1 < len(steps) else None

    def previous_step(self, step: str) -> str | None:
        steps = self.steps()
        index = steps.index(step)
        return steps[index - 1] if index > 0 else None

    def idempotency_key(self) -> str:
        if not self.state.get("key"):
            self.state["key"] = secrets.token_urlsafe(24)
            self._save()
        return str(self.state["key"])

    def finish(self, *, key: str, reference: str, **shown: str | bool) -> None:
        """Forget the answers; remember the reference for this key (a repeat of the same POST
        shows the same confirmation)."""
        store = self.session.get(SESSION_KEY) or {}
        store.pop(self.service.slug, None)
        self.session[SESSION_KEY] = store
        done = self.session.get(DONE_KEY) or {}
        # `shown`: what the confirmation page needs to say how the reference reaches them.
        done[key] = {"reference": reference, "service": self.service.slug, **shown}
        # Keep the last few only: the session is not an archive.
        self.session[DONE_KEY] = dict(list(done.items())[-5:])
        self.session["apply_last"] = key
        self.session.modified = True


def done_for_key(session: SessionBase, key: str) -> dict[str, str] | None:
    return (session.get(DONE_KEY) or {}).get(key)
