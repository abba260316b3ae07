"""Writes of the catalogue: a member's service lead manages the member's own offers."""

from __future__ import annotations

import logging

from django.db import transaction

from audit.models import AuditAction, AuditObjectType
from audit.services import audit_record
from kernel.errors import NotPermitted
from members.actor import Actor
from members.permissions import Perm
from services.models import Offer, Service

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
    )
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
) -> Offer:
    member_id = _require(actor)
    if offer.member_id != member_id:
        raise OfferPermissionDenied("This offer belongs to another member.")
    offer.capacity_per_month = capacity_per_month
    offer.areas = areas
    offer.languages = languages
    offer.delivery_modes = delivery_modes
    offer.is_active = is_active
    offer.save()
    audit_record(
        actor_id=actor.user_id,
        member_id=member_id,
        action=AuditAction.CHANGE,
        object_type=AuditObjectType.OFFER,
        object_id=offer.pk,
    )
    return offer
