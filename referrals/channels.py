"""How the portal reaches a resident by itself: by email, by text, or not at all. The one place
that decides it, for every notice a resident gets (the application received, its status
changes, the status-check code).

The rule, by the contact method the resident chose:

| contact method | goes by                                                                      |
|----------------|------------------------------------------------------------------------------|
| text           | text; email instead when there is no number or texts to it are known to fail  |
| email          | email; text instead when there is no address but a number                    |
| phone call     | email, as before texts existed (a call is the caseworker's, not automatic);  |
|                | with no address, a text to a UK mobile, so the resident has their reference  |
|                | (a landline cannot take one: then nothing, and the caseworker calls)         |
| letter         | email when there is an address; otherwise nothing automatic (the printable   |
|                | reference at /apply/done/letter/ and the caseworker's letters are the way)   |

Never both: a text carries the reference and what to do, the email the same at length, and
sending both would only repeat it. When a text is refused after all, the notice goes by email
(notifications.services.sms_send), so a resident with an address always hears.

The ContactMethod choices have no "do not contact me"; were one added, it would map to no
channel here, and nothing else would need to change.
"""

from __future__ import annotations

from notifications.registry import Channel, Reach
from notifications.sms import is_uk_mobile, same_number
from referrals.models import Application, ContactMethod, Resident


def channels_for(
    *, contact_method: str, email: str, phone: str, texts_fail: bool
) -> tuple[str, ...]:
    """The rule above, on plain values."""
    can_text = bool(phone) and not texts_fail
    if contact_method == ContactMethod.TEXT:
        if can_text:
            return (Channel.TEXT,)
        return (Channel.EMAIL,) if email else ()
    if contact_method == ContactMethod.PHONE:
        if email:
            return (Channel.EMAIL,)
        return (Channel.TEXT,) if can_text and is_uk_mobile(phone) else ()
    if contact_method == ContactMethod.POST:
        # A resident who asked for letters is not sent texts they did not ask for.
        return (Channel.EMAIL,) if email else ()
    # Email, and anything else.
    if email:
        return (Channel.EMAIL,)
    return (Channel.TEXT,) if can_text else ()


def texts_fail(resident: Resident, phone: str) -> bool:
    """Notify refused this number for this resident, and no text has gone through since."""
    return resident.sms_failed_at is not None and same_number(resident.sms_failed_phone, phone)


def application_reach(application: Application, resident: Resident | None = None) -> Reach:
    """For notices about one application (received, status changes): the contact method and
    number it was submitted with, which are what its provider uses too (the resident record
    takes them only once proven; demo rows without a snapshot use the record's)."""
    resident = resident or application.resident
    method = application.contact_method or resident.contact_method
    phone = application.contact_phone or resident.phone
    email = resident.email
    return Reach(
        channels=channels_for(
            contact_method=method,
            email=email,
            phone=phone,
            texts_fail=texts_fail(resident, phone),
        ),
        email=email,
        phone=phone,
        language=application.language or resident.preferred_language or "en",
        resident_id=resident.pk,
        member_id=resident.member_id,
    )


def status_code_reach(application: Application) -> Reach:
    """For the status-check code, which proves the resident may see the application and makes
    the details sent with it the resident's record: only a channel the record already holds.
    A text goes only to the record's own number, and only when the application was submitted
    with that same number; otherwise (someone else typed this address with their number) the
    code goes to the address, as before texts existed."""
    resident = application.resident
    phone = resident.phone
    submitted_with = application.contact_phone or resident.phone
    same = same_number(phone, submitted_with)
    channels = channels_for(
        contact_method=resident.contact_method,
        email=resident.email,
        phone=phone if same else "",
        texts_fail=texts_fail(resident, phone),
    )
    return Reach(
        channels=channels,
        email=resident.email,
        phone=phone if same else "",
        language=application.language or resident.preferred_language or "en",
        resident_id=resident.pk,
        member_id=resident.member_id,
    )
