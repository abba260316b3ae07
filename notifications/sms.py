"""Text messages: the backends that send them, and how long a text is.

Two backends, chosen by settings.SMS_BACKEND (from the environment):

- "notify": GOV.UK Notify, through its official client (`notifications-python-client`). Notify
  holds ONE template whose whole body is `((body))`; the portal renders each text itself, in the
  resident's language, and sends it as that personalisation. A template per kind and language
  would have to be kept in step by hand in Notify's web interface, with no review and no tests.
- "file": one file per text under settings.SMS_FILE_PATH (var/sms/ by default), for the demo and
  the tests, as the email file backend writes var/mail/.

A send ends in one of four ways, and the callers treat each differently:

- it is accepted (returns the provider's id for the log);
- SmsTemporaryFailure: the network, a timeout, Notify's 5xx or its 429 rate limit. Try again
  later: the task retries, and the outbox sends it again if the retries run out;
- SmsPermanentFailure: Notify refused the phone number itself (400 ValidationError on
  `phone_number`: not a mobile, not a valid number). Trying again cannot help: it is recorded
  on the resident, the caseworker is told to call, and the email fallback goes instead;
- SmsConfigurationError: anything else Notify refuses (403 bad key, 400 template not found or a
  trial-mode service sending to a number outside its team). The portal's fault, not the
  resident's: nothing is recorded on the resident and the message stays in the outbox, sent
  again with a growing wait until an operator fixes the set-up.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone

# --- how long a text is --------------------------------------------------------------------------

# The GSM 03.38 default alphabet: a text written only in these is 160 characters a message.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two characters (an escape and the character).
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class TextLength:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # in that encoding's units (GSM-7 septets, UTF-16 code units)
    fragments: int  # how many SMS the network sends (and Notify bills)


def text_length(body: str) -> TextLength:
    """What the network makes of `body`: GSM-7 when every character is in its alphabet (160 a
    message, 153 each when split), otherwise UCS-2 (70 a message, 67 each when split). One
    character outside GSM-7 (an Arabic letter, a Polish ł) turns the whole text to UCS-2."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in body):
        septets = sum(2 if c in GSM7_EXTENDED else 1 for c in body)
        return TextLength("GSM-7", septets, 1 if septets <= 160 else math.ceil(septets / 153))
    units = len(body.encode("utf-16-le")) // 2
    return TextLength("UCS-2", units, 1 if units <= 70 else math.ceil(units / 67))


# --- numbers -----------------------------------------------------------------------------------


def phone_normalised(phone: str) -> str:
    """'+44 7700 900123', '07700-900-123' -> '07700900123': for comparing numbers only (what is
    sent is the number as stored; Notify accepts either form)."""
    digits = re.sub(r"\D", "", phone or "")
    if phone.strip().startswith("+44") or (digits.startswith("44") and len(digits) in (12, 13)):
        digits = "0" + digits[2:]
    return digits


def same_number(a: str, b: str) -> bool:
    return bool(a) and bool(b) and phone_normalised(a) == phone_normalised(b)


def is_uk_mobile(phone: str) -> bool:
    """UK mobile numbers start 07 (after +44 is turned into 0): a landline cannot take a text."""
    digits = phone_normalised(phone)
    return len(digits) == 11 and digits.startswith("07")


# --- errors --------------------------------------------------------------------------------------


class SmsError(Exception):
    """A text was not sent. `reason` is a short code, safe to log and store (never the number)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class SmsTemporaryFailure(SmsError):
    """Try again later: the network, a timeout, Notify's 5xx or its rate limit (429)."""


class SmsPermanentFailure(SmsError):
    """The number itself was refused (Notify's 400 ValidationError on phone_number): never retry."""


class SmsConfigurationError(SmsError):
    """The portal's set-up was refused (key, template, trial mode): not the resident's fault."""


# Notify's words for a refused number (its 400 ValidationError messages start "phone_number"),
# and the reason code the portal stores and shows the caseworker.
NOT_A_MOBILE = "not_a_mobile"
INVALID_NUMBER = "invalid_number"


# --- backends ------------------------------------------------------------------------------------


class SmsBackend(Protocol):
    def send(self, *, phone: str, body: str, reference: str) -> str:
        """Send one text; returns the provider's id for it. Raises an SmsError."""
        ...


class FileSmsBackend:
    """One file per text in `path`: what the demo and the tests send."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def send(self, *, phone: str, body: str, reference: str) -> str:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SmsTemporaryFailure("file_backend", type(exc).__name__) from exc
        message_id = str(uuid.uuid4())
        length = text_length(body)
        safe_reference = re.sub(r"[^A-Za-z0-9_.-]", "-", reference)[:80]
        name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{safe_reference}.txt"
        content = (
            f"To: {phone}\n"
            f"Reference: {reference}\n"
            f"Id: {message_id}\n"
            f"Length: {length.characters} {length.encoding} characters, "
            f"{length.fragments} fragment(s)\n"
            f"\n{body}\n"
        )
        try:
            (self.path / name).write_text(content, encoding="utf-8")
        except OSError as exc:
            raise SmsTemporaryFailure("file_backend", type(exc).__name__) from exc
        return message_id


class NotifySmsBackend:
    """GOV.UK Notify: `send_sms_notification` with the one ((body)) template."""

    def __init__(self, *, api_key: str, template_id: str, base_url: str, timeout: int = 10) -> None:
        self.api_key = api_key
        self.template_id = template_id
        self.base_url = base_url
        self.timeout = timeout

    def send(self, *, phone: str, body: str, reference: str) -> str:
        # Imported here: only a process that sends through Notify needs the client.
        from notifications_python_client import NotificationsAPIClient
        from notifications_python_client.errors import APIError

        # A client per text: it holds a requests.Session and is not thread-safe (its docs).
        try:
            client = NotificationsAPIClient(
                self.api_key, base_url=self.base_url, timeout=self.timeout
            )
        except AssertionError as exc:  # the client asserts the key's shape
            raise SmsConfigurationError("notify_bad_key") from exc
        try:
            response = client.send_sms_notification(
                phone_number=phone,
                template_id=self.template_id,
                personalisation={"body": body},
                reference=reference,
            )
        except APIError as exc:
            raise _classify(exc) from exc
        except (OSError, ValueError) as exc:  # a broken connection the client did not wrap
            raise SmsTemporaryFailure("network", type(exc).__name__) from exc
        return str((response or {}).get("id", ""))


def _notify_errors(exc: Any) -> list[dict[str, Any]]:
    try:
        payload = exc.response.json()
    except (AttributeError, TypeError, ValueError):
        return []
    errors = payload.get("errors") if isinstance(payload, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _classify(exc: Any) -> SmsError:
    """Notify's answer as one of the three failures (see the module's docstring)."""
    status = int(getattr(exc, "status_code", 503) or 503)
    errors = _notify_errors(exc)
    if status == 400:
        for error in errors:
            message = str(error.get("message", ""))
            if error.get("error") == "ValidationError" and message.startswith("phone_number"):
                reason = NOT_A_MOBILE if "mobile" in message.lower() else INVALID_NUMBER
                return SmsPermanentFailure(reason, message[:200])
    if status == 429 or status >= 500:
        return SmsTemporaryFailure(f"notify_{status}")
    detail = "; ".join(str(e.get("error", "")) for e in errors)[:200]
    return SmsConfigurationError(f"notify_{status}", detail)


def sms_backend() -> SmsBackend:
    """The backend the settings choose, built per send (settings may change in tests)."""
    if settings.SMS_BACKEND == "notify":
        if not settings.NOTIFY_API_KEY or not settings.NOTIFY_SMS_TEMPLATE_ID:
            # consortium.E004 says so at start-up (check --deploy); a send fails the same way.
            raise SmsConfigurationError("notify_not_configured")
        return NotifySmsBackend(
            api_key=settings.NOTIFY_API_KEY,
            template_id=settings.NOTIFY_SMS_TEMPLATE_ID,
            base_url=settings.NOTIFY_BASE_URL or "https://api.notifications.service.gov.uk",
            timeout=settings.NOTIFY_TIMEOUT_SECONDS,
        )
    return FileSmsBackend(settings.SMS_FILE_PATH)
