"""Reads of the resident's journey."""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext

from applications.models import EqualityMonitoring
from members.models import Member
from members.scoping import member_scope
from referrals.models import Application, Referral, Resident
from services.models import Service
from services.selectors import service_localise

# Counts under this are shown as "<5" (ICO anonymisation code; DOMAIN.md "Small numbers").
SMALL_NUMBER = 5


def data_sharing_text_build(
    *, service: Service, landlord: Member | None, providers: list[Member], language: str
) -> str:
    """The exact notice shown on "Check your answers" and stored with the application, in the
    resident's language. It names every member that may receive the application."""
    with translation.override(language):
        # A copy: the caller's service keeps the page's language (service_localise sets names).
        service_name = service_localise([copy.copy(service)], language)[0].display_name  # type: ignore[attr-defined]
        return _notice(service_name=service_name, landlord=landlord, providers=providers)


def _notice(*, service_name: str, landlord: Member | None, providers: list[Member]) -> str:
    names = sorted({m.name for m in providers} | ({landlord.name} if landlord else set()))
    lines = [
        gettext("Your application for %(service)s will be shared with these housing associations:")
        % {"service": service_name},
        *[f"- {name}" for name in names],
        gettext(
            "They will use your answers and contact details only to decide who can help you, "
            "to contact you and to provide the service. We will not share your application "
            "with anyone else."
        ),
        gettext(
            "Your answers about your ethnic group, disability and sex are kept apart from your "
            "application and are only used, without your name, to check that services are fair."
        ),
        gettext(
            "You can withdraw your application and your consent at any time, using your "
            "reference and the email address you gave."
        ),
    ]
    if landlord is not None:
        lines.insert(
            1 + len(names) + 1,
            gettext("%(landlord)s, your landlord, keeps the record of your application.")
            % {"landlord": landlord.name},
        )
    return "\n".join(lines)


@dataclass
class ApplicationView:
    application: Application
    referral: Referral | None
    equality: EqualityMonitoring | None


def application_for_resident(*, application_id: int, member_id: int) -> ApplicationView | None:
    """The resident's own application, after they proved who they are (code or sign-in)."""
    with member_scope(member_id):
        application = (
            Application.objects.select_related("service", "resident")
            .filter(pk=application_id)
            .first()
        )
        if application is None:
            return None
        referral = (
            Referral.objects.filter(application=application).select_related("provider").first()
        )
        equality = EqualityMonitoring.objects.filter(application=application).first()
        return ApplicationView(application=application, referral=referral, equality=equality)


def applications_for_user(*, user_id: int) -> list[ApplicationView]:
    """Every application of the residents linked to this signed-in user, across members. The
    resident rows are found through the user's own row-level-security condition; each
    application is then read in the member scope it belongs to."""
    residents = list(
        Resident.objects.unscoped().filter(user_id=user_id).values_list("pk", "member_id")
    )
    views: list[ApplicationView] = []
    for resident_id, member_id in residents:
        with member_scope(member_id, user_id=user_id):
            ids = list(
                Application.objects.filter(resident_id=resident_id).values_list("pk", flat=True)
            )
        for application_id in ids:
            view = application_for_resident(application_id=application_id, member_id=member_id)
            if view is not None:
                views.append(view)
    views.sort(key=lambda v: v.application.submitted_at, reverse=True)
    return views


def equality_aggregate(*, field: str, member_id: int | None = None) -> dict[str, str]:
    """Counts by category for reports, with small numbers suppressed. Call inside a consortium
    scope (all members) or a member scope. Never returns rows."""
    if field not in {"ethnicity", "disability", "sex"}:
        raise ValueError(field)
    rows = EqualityMonitoring.objects.all()
    if member_id is not None:
        rows = rows.filter(member_id=member_id)
    counts = Counter(rows.exclude(**{field: ""}).values_list(field, flat=True))
    return {key: (str(n) if n >= SMALL_NUMBER else "<5") for key, n in sorted(counts.items())}
