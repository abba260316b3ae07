"""Email and text kinds, and how to build their context from ids.

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


# --- text messages -------------------------------------------------------------------------------


class Channel:
    """The ways the portal reaches a resident by itself (a phone call is a person's job)."""

    EMAIL = "email"
    TEXT = "text"


@dataclass(frozen=True)
class Reach:
    """How one resident is reached: `channels` are the ones to use (referrals/channels.py decides,
    from the contact method), with the address and number for each."""

    channels: tuple[str, ...]
    email: str = ""
    phone: str = ""
    language: str = "en"
    # Whose record a refused number is written on, and in which member's scope.
    resident_id: int | None = None
    member_id: int | None = None


@dataclass(frozen=True)
class SmsRecipient:
    phone: str
    language: str = "en"
    resident_id: int | None = None
    member_id: int | None = None


@dataclass(frozen=True)
class SmsContent:
    """Who the notice is for and how to reach them (None: nobody, the record has gone), and
    what the text needs."""

    reach: Reach | None
    context: dict[str, Any]


SmsBuilder = Callable[..., SmsContent]
_sms_builders: dict[str, SmsBuilder] = {}


def sms_kind(name: str) -> Callable[[SmsBuilder], SmsBuilder]:
    """Register a text builder: `@sms_kind("referral_status") def build(*, referral_id, status)`.

    It runs in the landlord's scope and says how the resident is reached (referrals.channels)
    and what the text needs. The text is templates/sms/<name>.txt, rendered in the resident's
    language and put on one line. Keep it to the reference and what the resident needs: never
    a name or an address."""

    def decorator(builder: SmsBuilder) -> SmsBuilder:
        if name in _sms_builders and _sms_builders[name] is not builder:
            raise ValueError(f"text kind {name!r} is registered twice")
        _sms_builders[name] = builder
        return builder

    return decorator


def sms_builder_for(name: str) -> SmsBuilder:
    try:
        return _sms_builders[name]
    except KeyError:
        raise LookupError(f"no text kind {name!r} is registered") from None


# Told of every text's outcome, in the scope the text was sent in: `failure` is None when the
# number took it, else the reason the number was refused. The referrals app, which owns the
# resident's record, registers itself here (referrals/apps.py), so this app imports no model of
# the resident's.
SmsResultListener = Callable[..., None]
_sms_result_listeners: list[SmsResultListener] = []


def on_sms_result(listener: SmsResultListener) -> None:
    """Register `listener(recipient=SmsRecipient, failure=str | None)`; twice is a no-op."""
    if listener not in _sms_result_listeners:
        _sms_result_listeners.append(listener)


def sms_result_tell(*, recipient: SmsRecipient, failure: str | None) -> None:
    for listener in _sms_result_listeners:
        listener(recipient=recipient, failure=failure)
