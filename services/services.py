"""Writes of the catalogue: a member's service lead manages the member's own offers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction

from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from kernel.errors import NotPermitted
from members.actor import Actor
from members.permissions import Perm
from services.hours import Session
from services.models import Offer, OpeningHours, Service

logger = logging.getLogger(__name__)


class OfferPermissionDenied(NotPermitted):
    pass


def _require(actor: Actor) -> int:
    if actor.member_id is None or not actor.can(Perm.MANAGE_OFFERS):
        raise OfferPermissionDenied("Only a member's service lead manages its offers.")
    return actor.member_id


@transaction.atomic
def offer_create(
    *,
    actor: Actor,
    service: Service,
    capacity_per_month: int,
    areas: list[str],
    languages: list[str],
    delivery_modes: list[str],
    is_active: bool = True,
    opening_hours: Sequence[Session] = (),
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Offer:
    member_id = _require(actor)
    offer = Offer.objects.create(
        member_id=member_id,
        service=service,
        capacity_per_month=capacity_per_month,
        areas=areas,
        languages=languages,
        delivery_modes=delivery_modes,
        is_active=is_active,
        latitude=latitude,
        longitude=longitude,
    )
    _opening_hours_replace(offer=offer, sessions=opening_hours)
    audit_record(
        actor_id=actor.user_id,
        member_id=member_id,
        action=AuditAction.CREATE,
        object_type=AuditObjectType.OFFER,
        object_id=offer.pk,
    )
    return offer


@transaction.atomic
def offer_update(
    *,
    actor: Actor,
    offer: Offer,
    capacity_per_month: int,
    areas: list[str],
    languages: list[str],
    delivery_modes: list[str],
    is_active: bool,
    opening_hours: Sequence[Session] = (),
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Offer:
    member_id = _require(actor)
    if offer.member_id != member_id:
        raise OfferPermissionDenied("This offer belongs to another member.")
    offer.capacity_per_month = capacity_per_month
    offer.areas = areas
    offer.languages = languages
    offer.delivery_modes = delivery_modes
    offer.is_active = is_active
    offer.latitude = latitude
    offer.longitude = longitude
    offer.save()
    _opening_hours_replace(offer=offer, sessions=opening_hours)
    audit_record(
        actor_id=actor.user_id,
        member_id=member_id,
        action=AuditAction.CHANGE,
        object_type=AuditObjectType.OFFER,
        object_id=offer.pk,
    )
    return offer


def _opening_hours_replace(*, offer: Offer, sessions: Sequence[Session]) -> None:
    """The offer's weekly sessions become exactly `sessions` (rows of the offer's member)."""
    OpeningHours.objects.for_member(offer.member_id).filter(offer=offer).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(
            member_id=offer.member_id,
            offer=offer,
            weekday=session.weekday,
            opens_at=session.opens_at,
            closes_at=session.closes_at,
        )
        for session in sorted(set(sessions))
    )
