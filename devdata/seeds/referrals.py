"""Demo data for the referral workspace.

devdata/demo.py seeds referrals directly (quickly, in bulk); what the routing service would
also have written is added here: the contact snapshot a provider sees once it accepts. The lead
wires this into `seed_demo()` after `_seed_referrals(...)`. Safe to run twice.
"""

from __future__ import annotations

from members.scoping import consortium_scope
from referrals.models import Referral, ReferralContact
from referrals.services import referral_contact_build

BATCH = 1000


def seed_referrals_demo() -> int:
    """Snapshot the contact details of every synthetic referral that has none. Returns how many."""
    created = 0
    with consortium_scope(reason="seed the demo: referral contact snapshots"):
        missing = (
            Referral.objects.filter(is_synthetic=True, contact__isnull=True)
            .select_related("application__resident")
            .order_by("pk")
        )
        batch: list[ReferralContact] = []
        for referral in missing.iterator(chunk_size=BATCH):
            contact = referral_contact_build(
                referral=referral, resident=referral.application.resident
            )
            contact.created_at = referral.submitted_at
            batch.append(contact)
            if len(batch) >= BATCH:
                ReferralContact.objects.bulk_create(batch)
                created += len(batch)
                batch = []
        if batch:
            ReferralContact.objects.bulk_create(batch)
            created += len(batch)
    return created
