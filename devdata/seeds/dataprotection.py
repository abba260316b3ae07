"""Demo data for the data sharing agreement: one version whose text says it is ILLUSTRATIVE,
signed by the data protection officer of every member but one, so the gate shows.

The story, relative to the day the demo is seeded: the coordinator published v1 eight weeks ago,
it took effect six weeks ago with a four-week grace period (the first version's grace gates
nobody), and it ended two weeks ago. Eleven DPOs signed at some point in between; Hyson Green's
has not, so for the last two weeks Hyson Green has received no referrals, residents are not
offered it, and its staff see the banner. The referral history is written with the gate of each
day (devdata/seeds/lifecycle.py), so routing decisions of the last two weeks say why.

Written through the real services (publish, sign) with the days they happened, so the rows and
their audit entries are the ones the portal writes.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from accounts.models import User
from dataprotection.models import SharingAgreement
from dataprotection.selectors import SharingRecord, sharing_record_load
from dataprotection.services import agreement_publish, agreement_sign
from kernel.calendar import LONDON
from members.actor import Actor
from members.models import ConsortiumRole, Member, MemberRole

VERSION = "v1"
# The member whose DPO has not signed (not one of the three the README's referral story uses).
UNSIGNED_SLUG = "hyson-green"
PUBLISHED_DAYS_AGO = 56
EFFECTIVE_DAYS_AGO = 42
GRACE_DAYS = 28

ILLUSTRATIVE_TEXT = """\
ILLUSTRATIVE TEXT FOR THE DEMONSTRATION PORTAL. This is not a real agreement and not legal advice. \
A real data sharing agreement is drafted with each member's data protection officer and legal \
adviser, following the ICO's data sharing code of practice.

1. Purpose
The members share residents' personal data only to decide which member can deliver a shared \
service a resident asked for (employment support, learning and development, money advice), to \
contact the resident and to deliver that service, and to report on the service without names.

2. The parties and their roles
Each member housing association is a controller of the data it holds about its own residents. \
A member that delivers a shared service for another member's resident is a controller of the data \
it receives for that purpose. The consortium coordinator routes referrals that no rule could route.

3. What is shared
Before a provider accepts a referral: the service, the need, the postcode district, the preferred \
language and any accessibility needs. After it accepts: the resident's name and contact details \
as given with the application. Equality monitoring answers are never shared; they are used only \
in aggregate, with counts under five suppressed.

4. Lawful basis and how residents are told
Residents consent on the data-sharing page, which names each member that may receive their \
application, and the notice they agreed to is stored with it. Residents may withdraw at any time.

5. Retention and deletion
Each member keeps shared data only as long as its own retention schedule allows for the service \
delivered, and deletes or anonymises it afterwards.

6. Rights requests
A member that receives a subject access, rectification or erasure request about shared data \
answers it and tells the other members concerned within five working days.

7. Security
Staff use multi-factor authentication; access is limited to each member's own records and audited.

8. Review
The coordinator reviews this agreement every year with the members' data protection officers. \
A new version is published in the portal and signed again by each member."""


def _noon(day: date, minute: int = 0) -> datetime:
    return datetime.combine(day, time(10 + minute // 60 % 6, minute % 60), tzinfo=LONDON)


def seed_dataprotection_demo(
    rng: random.Random, *, members: list[Member], coordinator: User, today: date
) -> SharingRecord:
    """Publish v1 and have every DPO but one sign it. Safe to run twice: a second run finds
    the agreement and every signature already made (signing again is a no-op)."""
    agreement = SharingAgreement.objects.filter(version=VERSION).first()
    if agreement is None:
        published = today - timedelta(days=PUBLISHED_DAYS_AGO)
        agreement = agreement_publish(
            actor=Actor(user=coordinator, consortium_roles=frozenset({ConsortiumRole.COORDINATOR})),
            version=VERSION,
            text=ILLUSTRATIVE_TEXT,
            effective_from=today - timedelta(days=EFFECTIVE_DAYS_AGO),
            grace_days=GRACE_DAYS,
            today=published,
            now=_noon(published),
        )
        first_day = published + timedelta(days=1)
        last_day = agreement.grace_until - timedelta(days=1) if agreement.grace_until else today
        for member in members:
            if member.slug == UNSIGNED_SLUG:
                continue
            dpo = User.objects.get(email=f"dpo.{member.slug}@demo.example")
            signed = first_day + timedelta(days=rng.randrange((last_day - first_day).days + 1))
            agreement_sign(
                actor=Actor(
                    user=dpo,
                    member_id=member.pk,
                    member_roles=frozenset({MemberRole.DATA_PROTECTION_OFFICER}),
                ),
                agreement_id=agreement.pk,
                now=_noon(signed, rng.randrange(300)),
            )
    return sharing_record_load()
