"""Email kinds and how to build their context from ids.

The outbox carries ids only (never names or addresses). When the email is sent, the consumer runs
inside the member scope of the message, calls the builder registered for the kind to load what
the template needs, and renders it in the recipient's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str = "en"
    name: str = ""


@dataclass(frozen=True)
class EmailContent:
    recipients: list[Recipient]
    context: dict[str, Any]


Builder = Callable[..., EmailContent]
_builders: dict[str, Builder] = {}


def email_kind(name: str) -> Callable[[Builder], Builder]:
    """Register a builder: `@email_kind("referral_new") def build(*, referral_id): ...`.

    Templates live at templates/emails/<name>_subject.txt and <name>.txt (and optionally
    <name>.html)."""

    def decorator(builder: Builder) -> Builder:
        if name in _builders and _builders[name] is not builder:
            raise ValueError(f"email kind {name!r} is registered twice")
        _builders[name] = builder
        return builder

    return decorator


def builder_for(name: str) -> Builder:
    try:
        return _builders[name]
    except KeyError:
        raise LookupError(f"no email kind {name!r} is registered") from None
