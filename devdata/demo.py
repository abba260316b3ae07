"""The demo consortium: twelve fictional housing associations and their synthetic records.

Everything here is invented. Names are fictional, people are generated, and every association
says in its description that it is synthetic. Randomness is seeded, so two runs on an empty
database produce the same consortium, and a second run on a seeded database adds nothing.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from dataprotection.selectors import SharingRecord
from devdata.seeds.applications import seed_applications_demo
from devdata.seeds.dataprotection import seed_dataprotection_demo
from devdata.seeds.learning import seed_learning_demo
from devdata.seeds.procurement import seed_procurement_demo
from devdata.seeds.referrals import Cast, seed_referrals_demo, seed_referrals_history
from devdata.seeds.reports import seed_reports_demo
from kernel.calendar import last_completed_quarter
from members.models import (
    ConsortiumRole,
    ConsortiumRoleAssignment,
    Member,
    MemberRole,
    Membership,
    MembershipRole,
)
from members.scoping import consortium_scope
from services.hours import hours_parse
from services.models import DeliveryMode, Offer, OpeningHours, Service, ServiceKind, ServiceQuestion

SEED = 2026
DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105 - the documented demo password, demo only
DEMO_EMAIL_DOMAIN = "demo.example"

MEMBERS = [
    # name, short name, slug, postcode districts
    ("Aldgate and Bow Homes", "Aldgate & Bow", "aldgate-bow", ["E1", "E2", "E3"]),
    ("Brixton Community Housing", "Brixton CH", "brixton", ["SW2", "SW9"]),
    ("Sparkbrook Housing Co-operative", "Sparkbrook", "sparkbrook", ["B10", "B11", "B12"]),
    ("Manningham Homes", "Manningham", "manningham", ["BD8", "BD9", "BD3"]),
    ("Belgrave Tenants' Association", "Belgrave", "belgrave", ["LE4", "LE5"]),
    ("Moss Side Housing Trust", "Moss Side", "moss-side", ["M14", "M15", "M16"]),
    ("Chapeltown Homes", "Chapeltown", "chapeltown", ["LS7", "LS8"]),
    ("St Pauls Housing Partnership", "St Pauls", "st-pauls", ["BS2", "BS5"]),
    ("Toxteth Community Homes", "Toxteth", "toxteth", ["L8", "L7"]),
    ("Tottenham Hale Housing", "Tottenham Hale", "tottenham-hale", ["N15", "N17"]),
    ("Small Heath Homes", "Small Heath", "small-heath", ["B9", "B10"]),
    ("Hyson Green Housing", "Hyson Green", "hyson-green", ["NG7", "NG5"]),
]

# Each association's public phone number, from Ofcom's ranges kept for drama (never a real
# line), and where it meets people in person: roughly the middle of the neighbourhood it is
# named after, to a few hundred metres. Illustrative, like everything here.
MEMBER_CONTACT = {
    "aldgate-bow": ("020 7946 0101", "51.515500", "-0.072200"),
    "brixton": ("020 7946 0102", "51.461300", "-0.115600"),
    "sparkbrook": ("0121 496 0103", "52.462500", "-1.870000"),
    "manningham": ("01632 960104", "53.804000", "-1.764000"),
    "belgrave": ("0116 496 0105", "52.652500", "-1.124000"),
    "moss-side": ("0161 496 0106", "53.456000", "-2.241000"),
    "chapeltown": ("0113 496 0107", "53.820000", "-1.532000"),
    "st-pauls": ("0117 496 0108", "51.464000", "-2.583000"),
    "toxteth": ("0151 496 0109", "53.389000", "-2.965000"),
    "tottenham-hale": ("020 7946 0110", "51.588000", "-0.060000"),
    "small-heath": ("0121 496 0111", "52.472000", "-1.858000"),
    "hyson-green": ("0115 496 0112", "52.968000", "-1.170000"),
}

# Weekly opening hours, as a service lead types them on the offer's form; offers take them in
# turn, so the demo feed has services open on every day and at different times.
OPENING_HOURS = [
    "Monday to Friday 09:00-17:00",
    "Monday 10:00-16:00\nWednesday 10:00-16:00",
    "Tuesday to Thursday 09:30-12:30, 13:30-16:30",
    "Monday to Friday 08:30-16:30\nSaturday 10:00-13:00",
    "Wednesday 13:00-19:00\nThursday 13:00-19:00\nSunday 11:00-15:00",
]

KINDS = [
    ("employment", "Employment support", "Help to find work, get ready for it and keep it.", 1),
    ("learning", "Learning and development", "Courses and training places.", 2),
    ("wellbeing", "Money and wellbeing", "Help with money, digital skills and confidence.", 3),
]

SERVICES = [
    # slug, kind, name, summary, accept days, contact days, eligibility
    (
        "job-search-cv",
        "employment",
        "Job search and CV help",
        "A work coach helps you find jobs that suit you and write a CV that gets noticed.",
        2,
        5,
        {"tenant_of_member": True, "min_age": 16},
    ),
    (
        "interview-preparation",
        "employment",
        "Interview preparation",
        "Practise interviews with a coach and get ready for the questions employers ask.",
        2,
        5,
        {"tenant_of_member": True, "min_age": 16},
    ),
    (
        "in-work-support",
        "employment",
        "In-work support",
        "Support in the first months of a new job, so it works out for you.",
        3,
        5,
        {"tenant_of_member": True, "employment_statuses": ["employed", "self_employed"]},
    ),
    (
        "english-for-work",
        "learning",
        "English for work (ESOL)",
        "Improve your spoken and written English for work, in small friendly groups.",
        3,
        10,
        {"tenant_of_member": True, "min_age": 16},
    ),
    (
        "digital-skills",
        "learning",
        "Digital skills course",
        "Learn to use email, online forms and job sites with confidence.",
        3,
        10,
        {"tenant_of_member": True},
    ),
    (
        "construction-skills",
        "learning",
        "Construction skills and CSCS card",
        "A short course and test that lets you work on building sites.",
        3,
        10,
        {"tenant_of_member": True, "min_age": 18},
    ),
    (
        "money-advice",
        "wellbeing",
        "Money and benefits advice",
        "Check you get every benefit you are entitled to and plan your money when work starts.",
        2,
        5,
        {"tenant_of_member": True},
    ),
]

QUESTIONS: dict[str, list[tuple[str, str, str, list[str]]]] = {
    "job-search-cv": [
        ("work_wanted", "What kind of work are you looking for?", "long_text", []),
        ("has_cv", "Do you have a CV?", "yes_no", []),
    ],
    "interview-preparation": [
        ("interview_booked", "Do you have an interview booked?", "yes_no", []),
    ],
    "in-work-support": [
        ("job_start", "When did you start your job?", "text", []),
    ],
    "english-for-work": [
        (
            "english_level",
            "How comfortable are you speaking English?",
            "choice",
            ["A little", "Some", "Quite comfortable"],
        ),
    ],
    "digital-skills": [
        ("has_device", "Do you have a phone, tablet or computer you can use?", "yes_no", []),
    ],
    "construction-skills": [
        ("site_experience", "Have you worked on a building site before?", "yes_no", []),
    ],
    "money-advice": [
        ("topic", "What would you like help with?", "long_text", []),
    ],
}


@dataclass
class DemoSignIn:
    email: str
    role: str
    member: str


@dataclass
class SeedResult:
    created_members: int = 0
    created_referrals: int = 0
    published_reports: int = 0
    sign_ins: list[DemoSignIn] = field(default_factory=list)


@functools.cache
def _demo_password_hash() -> str:
    # Every demo account shares the documented password: hash it once (Argon2 takes a third of a
    # second each time, which was most of the seeding time).
    return make_password(DEMO_PASSWORD)


def _demo_user(email: str, full_name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, full_name=full_name)
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, settings.DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)
    return user


def _seed_catalogue() -> dict[str, Service]:
    kinds = {}
    for slug, name, description, order in KINDS:
        kinds[slug], _ = ServiceKind.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "order": order}
        )
    services = {}
    for slug, kind, name, summary, accept, contact, eligibility in SERVICES:
        service, created = Service.objects.get_or_create(
            slug=slug,
            defaults={
                "kind": kinds[kind],
                "name": name,
                "summary": summary,
                "description": summary
                + " It is free for residents of every member association. A member of staff"
                " will contact you in the way you choose.",
                "eligibility": eligibility,
                "sla_accept_days": accept,
                "sla_first_contact_days": contact,
                "routing_rules": ["consent", "capacity", "area", "language", "own_landlord"],
            },
        )
        if created:
            for order, (key, text, qkind, choices) in enumerate(QUESTIONS.get(slug, [])):
                ServiceQuestion.objects.create(
                    service=service, key=key, order=order, text=text, kind=qkind, choices=choices
                )
        services[slug] = service
    return services


def _seed_members(result: SeedResult) -> list[Member]:
    members = []
    for name, short, slug, areas in MEMBERS:
        member, created = Member.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "short_name": short,
                "areas": areas,
                "email": f"hello@{slug}.{DEMO_EMAIL_DOMAIN}",
                "description": f"{name} is a fictional housing association: synthetic demo data.",
                "is_synthetic": True,
            },
        )
        result.created_members += int(created)
        members.append(member)
    return members


def _seed_offers(rng: random.Random, members: list[Member], services: dict[str, Service]) -> None:
    slugs = list(services)
    for index, member in enumerate(members):
        # Every member offers job search help or another employment service, and two or three
        # more, so that routing has choices and every member delivers something.
        chosen = {slugs[index % 3]} | set(rng.sample(slugs, 2))
        # Its staff work in English and two of its neighbourhoods' languages, in every service.
        languages = sorted({"en", *rng.sample(["ur", "bn", "so", "ar", "pl"], 2)})
        for slug in sorted(chosen):
            Offer.objects.get_or_create(
                member=member,
                service=services[slug],
                defaults={
                    "capacity_per_month": rng.choice([15, 20, 30, 40]),
                    "areas": member.areas + rng.sample(["E1", "B10", "M14", "LS7", "N15"], 1),
                    "languages": languages,
                    "delivery_modes": rng.sample(["in_person", "phone", "online"], 2),
                },
            )
    # Any service nobody offers yet gets the first member as provider.
    for service in services.values():
        if not Offer.objects.filter(service=service).exists():
            Offer.objects.create(member=members[0], service=service, languages=["en"])


def _seed_directory_details(members: list[Member]) -> None:
    """What the Open Referral feed publishes beyond the offer: each member's public phone, and
    each offer's position (in person) and opening hours. Fills blanks only, so a second run, or
    a run over details a service lead has changed, changes nothing."""
    for member in members:
        phone, latitude, longitude = MEMBER_CONTACT[member.slug]
        if not member.phone:
            member.phone = phone
            member.save(update_fields=["phone"])
        offers = Offer.objects.filter(member=member).select_related("service")
        for index, offer in enumerate(sorted(offers, key=lambda o: o.service.slug)):
            if DeliveryMode.IN_PERSON in offer.delivery_modes and offer.latitude is None:
                offer.latitude, offer.longitude = Decimal(latitude), Decimal(longitude)
                offer.save(update_fields=["latitude", "longitude"])
            if OpeningHours.objects.filter(offer=offer).exists():
                continue
            pattern = OPENING_HOURS[(members.index(member) + index) % len(OPENING_HOURS)]
            OpeningHours.objects.bulk_create(
                OpeningHours(
                    member=member,
                    offer=offer,
                    weekday=s.weekday,
                    opens_at=s.opens_at,
                    closes_at=s.closes_at,
                )
                for s in hours_parse(pattern)
            )


def _seed_staff(members: list[Member], result: SeedResult) -> dict[int, list[User]]:
    caseworkers: dict[int, list[User]] = {}
    roles = [
        ("caseworker", [MemberRole.CASEWORKER]),
        ("lead", [MemberRole.SERVICE_LEAD, MemberRole.CASEWORKER]),
        ("admin", [MemberRole.MEMBER_ADMIN]),
        ("dpo", [MemberRole.DATA_PROTECTION_OFFICER]),
        ("board", [MemberRole.BOARD]),
    ]
    for member in members:
        for label, member_roles in roles:
            email = f"{label}.{member.slug}@{DEMO_EMAIL_DOMAIN}"
            user = _demo_user(email, f"Demo {label.title()} ({member.short_name})")
            membership, _ = Membership.objects.get_or_create(user=user, defaults={"member": member})
            for role in member_roles:
                MembershipRole.objects.get_or_create(
                    member=member, membership=membership, role=role
                )
            if MemberRole.CASEWORKER in member_roles:
                caseworkers.setdefault(member.pk, []).append(user)
            result.sign_ins.append(
                DemoSignIn(email, ", ".join(str(r.label) for r in member_roles), member.short_name)
            )
    for label, consortium_role in [
        ("coordinator", ConsortiumRole.COORDINATOR),
        ("administrator", ConsortiumRole.ADMINISTRATOR),
        ("consortium-board", ConsortiumRole.BOARD),
    ]:
        email = f"{label}@{DEMO_EMAIL_DOMAIN}"
        user = _demo_user(email, f"Demo {label.replace('-', ' ').title()}")
        if consortium_role == ConsortiumRole.ADMINISTRATOR:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        ConsortiumRoleAssignment.objects.get_or_create(
            user=user, role=consortium_role, revoked_at__isnull=True
        )
        result.sign_ins.append(DemoSignIn(email, str(consortium_role.label), "consortium"))
    return caseworkers


def _quarter_starts(today: date, count: int) -> list[date]:
    """Financial-year quarters (April to March), oldest first, ending with the current one."""
    month = ((today.month - 4) // 3) * 3 + 4
    year = today.year
    if month < 1:
        month += 12
        year -= 1
    starts = []
    current = date(year, month, 1)
    for _ in range(count):
        starts.append(current)
        month, year = current.month - 3, current.year
        if month < 1:
            month += 12
            year -= 1
        current = date(year, month, 1)
    return list(reversed(starts))


def _seed_referrals(
    rng: random.Random,
    members: list[Member],
    services: dict[str, Service],
    caseworkers: dict[int, list[User]],
    result: SeedResult,
    sharing: SharingRecord,
) -> None:
    """A year and a half of referrals, and every situation at three members (see
    devdata/seeds/referrals.py). Nothing is added when referrals are already seeded."""
    now = timezone.now()
    cast = Cast(
        members=members,
        services=services,
        offers=list(Offer.objects.order_by("pk")),
        workers=caseworkers,
        coordinator=User.objects.get(email=f"coordinator@{DEMO_EMAIL_DOMAIN}"),
    )
    result.created_referrals = seed_referrals_history(
        rng, cast, quarters=_quarter_starts(timezone.localdate(), 6), now=now, sharing=sharing
    )


def seed_demo(*, report_quarters: int = 4, member_report_quarters: int = 1) -> SeedResult:
    """Create the demo consortium. Safe to run twice: the second run adds nothing.

    Published reports: the consortium's for the last `report_quarters` quarters and each
    member's for the last `member_report_quarters` (the daily catch-up task adds the rest)."""
    rng = random.Random(SEED)  # noqa: S311 - synthetic data, not security
    result = SeedResult()
    with transaction.atomic(), consortium_scope(reason="seed the demo consortium"):
        services = _seed_catalogue()
        seed_applications_demo()  # the services' names and questions in residents' languages
        members = _seed_members(result)
        _seed_offers(rng, members, services)
        _seed_directory_details(members)
        caseworkers = _seed_staff(members, result)
        # Before the referrals: their history is routed with each day's data sharing gate.
        sharing = seed_dataprotection_demo(
            rng,
            members=members,
            coordinator=User.objects.get(email=f"coordinator@{DEMO_EMAIL_DOMAIN}"),
            today=timezone.localdate(),
        )
        _seed_referrals(rng, members, services, caseworkers, result, sharing)
        seed_referrals_demo()  # contact snapshots that providers see after accepting
        # Each capability seeds its own synthetic demo data; each is idempotent.
        seed_procurement_demo(rng)
        # Last quarter's term too: the latest quarterly report has courses to show.
        seed_learning_demo(rng, today=last_completed_quarter().start)
        seed_learning_demo(rng)
    # Reports read everything above, so they come after it is committed; each opens its scope.
    if report_quarters or member_report_quarters:
        result.published_reports = seed_reports_demo(
            rng, quarters=report_quarters, member_quarters=member_report_quarters
        )
    return result
