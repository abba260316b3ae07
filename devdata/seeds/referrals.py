"""Demo referrals: a year and a half of history, and at three members every situation a user meets.

`seed_referrals_history()` builds each referral as a resident's application makes it (answers to
the service's questions, the eligibility the journey records, contact details as the journey's
forms clean them, the consent and notice the sharing page shows, optional equality answers) and
then lives its life through the steps of referrals/services.py (devdata/seeds/lifecycle.py):
routed by the real engine, declined and re-routed, left for the coordinator, accepted, contacted,
worked, outcomes recorded, closed, sustained at 13 and 26 weeks, or withdrawn. Each step happens
when its time comes; a step whose time is after now has not happened yet, so recent referrals are
open in whatever state they have reached.

`STORY` adds, at Aldgate & Bow, Sparkbrook and Moss Side, one referral in each situation at fixed
distances from today (due today, overdue, outcome awaiting close, a sustainment check due, every
provider declined, nobody serving the area, ...), so each is there whatever the date.

`seed_referrals_demo()` then snapshots the contact details providers see once they accept.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import User
from applications.models import EqualityMonitoring
from applications.selectors import data_sharing_text_build
from applications.services import need_summary
from dataprotection.selectors import SharingGate, SharingRecord
from devdata.seeds.lifecycle import Lifecycle, Story
from kernel.calendar import LONDON, add_working_days, is_working_day
from members.models import Member
from members.scoping import consortium_scope
from referrals.models import (
    Application,
    AssistedChannel,
    ContactMethod,
    DeclineReason,
    LawfulBasis,
    OutcomeType,
    Referral,
    ReferralContact,
    ReferralStatus,
    Resident,
)
from referrals.services import referral_contact_build
from services.models import Offer, Service
from services.selectors import service_candidate_members, service_eligibility_asks

BATCH = 1000
S = ReferralStatus
T = OutcomeType
DEMO_EMAIL_DOMAIN = "demo.example"
# (service, district, language, landlord, members gated that day): one sharing page's choices.
ConsentKey = tuple[int, str, str, int, frozenset[int]]

# --- residents and their applications -----------------------------------------------------------

LANGUAGE_MIX = ["en"] * 9 + ["ur", "ur", "bn", "bn", "so", "so", "ar", "pl", "pl"]
CONTACT_MIX = [ContactMethod.EMAIL] * 5 + [ContactMethod.PHONE] * 3 + [ContactMethod.TEXT] * 2
FIRST_NAMES = [
    "Amina",
    "Bilal",
    "Chidi",
    "Daria",
    "Ebrahim",
    "Fatima",
    "Gareth",
    "Hodan",
    "Imran",
    "Jolanta",
    "Kwame",
    "Leyla",
    "Mohammed",
    "Nasra",
    "Olu",
    "Priya",
    "Qadir",
    "Rukhsana",
    "Samir",
    "Tomasz",
    "Uzma",
    "Vikram",
    "Wanjiru",
    "Yusuf",
    "Zainab",
    "Abdi",
    "Shirin",
]
LAST_NAMES = [
    "Ahmed",
    "Begum",
    "Okafor",
    "Nowak",
    "Hussain",
    "Mensah",
    "Ali",
    "Khan",
    "Farah",
    "Kowalski",
    "Patel",
    "Osei",
    "Rahman",
    "Hassan",
    "Jones",
    "Mohamed",
    "Iqbal",
    "Adeyemi",
]
# Letters a postcode's inward code may use (applications/validation.py: _POSTCODE).
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
ACCESSIBILITY_NEEDS = [
    "Step-free access, please: I use a wheelchair.",
    "Large print letters, please.",
    "A British Sign Language interpreter for meetings.",
    "Someone to come with me to the first meeting.",
    "Please phone in the afternoons; I work mornings.",
    "An interpreter, please: my English is not strong yet.",
    "I have dyslexia: please explain forms to me in person.",
    "Quiet room if possible; I find busy offices hard.",
]
# Free text as residents write it, per question key.
ANSWERS: dict[str, list[str]] = {
    "work_wanted": [
        "Warehouse or delivery work, full time if possible.",
        "Care work. I looked after my mother for five years.",
        "Anything in retail, mornings only while my children are at school.",
        "Office admin. I did this in Poland before I came here.",
        "Driving jobs - I have a clean licence.",
        "Cooking or kitchen work, I used to work in a restaurant.",
        "I want to work in a school as a teaching assistant.",
        "Security work, I have my SIA badge.",
    ],
    "job_start": [
        "Last month",
        "Two weeks ago",
        "1 September",
        "At the start of this year",
        "I start next Monday",
    ],
    "topic": [
        "I am starting work and want to know what happens to my Universal Credit.",
        "Rent arrears after my hours were cut.",
        "Help with a budget, my bills went up a lot.",
        "Checking whether I can get Carer's Allowance.",
        "I have debts on two credit cards and do not know where to start.",
        "Council tax reduction - I did not know I could ask.",
    ],
}

# Equality answers: a plausible mix for these neighbourhoods, dealt from a shuffled deck of 50 so
# each group keeps its share in every quarter. "" = the resident skipped the question (they
# answered another one); 10 in 60 residents skip the whole page.
ETHNICITY_DECK = (
    ["asian_pakistani"] * 6
    + ["asian_bangladeshi"] * 5
    + ["asian_indian"] * 4
    + ["asian_other"] * 2
    + ["black_african"] * 5
    + ["black_caribbean"] * 4
    + ["black_other"]
    + ["white_british"] * 5
    + ["white_other"] * 3
    + ["white_irish"]
    + ["white_roma"]
    + ["mixed_white_black_caribbean"] * 2
    + ["mixed_white_asian"]
    + ["mixed_other"]
    + ["other_arab"] * 3
    + ["other_any"]
    + ["prefer_not"] * 3
    + [""] * 2
)
DISABILITY_MIX = ["no"] * 12 + ["yes"] * 5 + ["prefer_not"] * 2 + [""]
SEX_MIX = ["female"] * 10 + ["male"] * 9 + ["prefer_not"] * 2 + [""]
SKIPS_EQUALITY = 1 / 6


class Deck:
    """Draws from a list without replacement, reshuffling when it runs out."""

    def __init__(self, rng: random.Random, cards: Sequence[str]) -> None:
        self.rng, self.cards, self.pile = rng, list(cards), []  # type: ignore[var-annotated]

    def draw(self) -> str:
        if not self.pile:
            self.pile = list(self.cards)
            self.rng.shuffle(self.pile)
        return str(self.pile.pop())


@dataclass(frozen=True)
class Applicant:
    member: Member
    service: Service
    district: str
    language: str
    submitted: datetime


class Applications:
    """Builds residents, applications and referrals as the journey stores them (unsaved)."""

    # One application in this many is made by a caseworker with the resident (by count, not by
    # the random stream, so the rest of the demo draws the same either way).
    ASSISTED_EVERY = 8

    def __init__(
        self,
        rng: random.Random,
        sharing: SharingRecord | None = None,
        workers: dict[int, list[User]] | None = None,
    ) -> None:
        self.rng = rng
        self.workers = workers or {}
        self.ethnicity = Deck(rng, ETHNICITY_DECK)
        # Who signed the data sharing agreement when: the sharing page of each day offers only
        # the members that could receive shared data that day.
        self.sharing = sharing or SharingRecord()
        self._gates: dict[date, SharingGate] = {}
        self._consent: dict[ConsentKey, list[Member]] = {}
        self._notice: dict[ConsentKey, str] = {}
        self._questions: dict[int, list[Any]] = {}
        self.count = 0

    def _gate(self, on: date | None) -> SharingGate:
        day = on or timezone.localdate()
        if day not in self._gates:
            self._gates[day] = self.sharing.gate(day)
        return self._gates[day]

    def _key(
        self, service: Service, district: str, language: str, landlord: Member, on: date | None
    ) -> tuple[ConsentKey, SharingGate]:
        gate = self._gate(on)
        blocked = frozenset(gate.blocked)
        return (service.pk, district, language, landlord.pk, blocked), gate

    def consent(
        self,
        service: Service,
        district: str,
        language: str,
        landlord: Member,
        on: date | None = None,
    ) -> list[Member]:
        """The members the sharing page offers on day `on` (today by default), all ticked (the
        journey's default)."""
        key, gate = self._key(service, district, language, landlord, on)
        if key not in self._consent:
            self._consent[key] = service_candidate_members(
                service=service, district=district, language=language, landlord=landlord, gate=gate
            )
        return self._consent[key]

    def notice(
        self,
        service: Service,
        district: str,
        language: str,
        landlord: Member,
        on: date | None = None,
    ) -> str:
        key, _ = self._key(service, district, language, landlord, on)
        if key not in self._notice:
            self._notice[key] = data_sharing_text_build(
                service=service,
                landlord=landlord,
                providers=self.consent(service, district, language, landlord, on),
                language=language,
            )
        return self._notice[key]

    def answers(self, service: Service) -> dict[str, Any]:
        """Answers to the service's questions as QuestionsForm cleans them, and the eligibility
        step's answers under "_eligibility" (applications/views.py: _submit)."""
        rng = self.rng
        answers: dict[str, Any] = {}
        if service.pk not in self._questions:
            self._questions[service.pk] = list(service.questions.order_by("order", "pk"))
        for question in self._questions[service.pk]:
            if question.kind == "yes_no":
                value: Any = rng.choice(["yes", "no"])
            elif question.kind == "choice":
                value = rng.choice(question.choices)
            elif question.kind == "number":
                value = rng.randint(0, 10)
            else:
                value = rng.choice(ANSWERS.get(question.key, ["I would like some help, please."]))
            if not question.required and rng.random() < 0.15:
                value = ""
            answers[question.key] = value
        asks = service_eligibility_asks(service)
        eligibility: dict[str, Any] = {}
        rules = service.eligibility or {}
        if asks["age"]:
            low, high = rules.get("min_age"), rules.get("max_age")
            low = max(low, 16) if isinstance(low, int) else 16
            high = min(high, 66) if isinstance(high, int) else 66
            eligibility["age"] = rng.randint(low, high)
        if asks["employment_status"]:
            eligibility["employment_status"] = rng.choice(rules["employment_statuses"])
        if eligibility:
            answers["_eligibility"] = eligibility
        return answers

    def build(self, who: Applicant, *, accessibility: bool | None = None) -> Story:
        rng = self.rng
        self.count += 1
        member, service, district, language = who.member, who.service, who.district, who.language
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        contact_method = rng.choice(CONTACT_MIX)
        # Phone numbers from Ofcom's drama range (07700 900000 to 900999), as the form stores
        # them (digits only); most residents give one, and everyone who wants a call or a text.
        phone = f"07700900{rng.randrange(1000):03d}"
        if contact_method == ContactMethod.EMAIL and rng.random() < 0.3:
            phone = ""
        resident = Resident(
            member=member,
            full_name=f"{first} {last}",
            email=f"{first}.{last}.{rng.randrange(10**6)}@residents.{DEMO_EMAIL_DOMAIN}".lower(),
            phone=phone,
            postcode=f"{district} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}"
            f"{rng.choice(INWARD_LETTERS)}",
            postcode_district=district,
            preferred_language=language,
            contact_method=contact_method,
            is_synthetic=True,
            created_at=who.submitted,
        )
        needs = accessibility if accessibility is not None else rng.random() < 0.2
        on = _local_date(who.submitted)
        consent = self.consent(service, district, language, member, on)
        application = Application(
            member=member,
            service=service,
            resident=resident,
            answers=self.answers(service),
            accessibility_needs=rng.choice(ACCESSIBILITY_NEEDS) if needs else "",
            language=language,
            submitted_at=who.submitted,
            # One per "Check your answers" page, like the journey's token_urlsafe(24).
            idempotency_key=f"demo-{rng.getrandbits(128):032x}",
            lawful_basis=LawfulBasis.CONSENT,
            data_sharing_text=self.notice(service, district, language, member, on),
            shared_with_member_ids=sorted({member.pk, *(m.pk for m in consent)}),
            consent_given_at=who.submitted,
        )
        helper = self._assisting(member)
        if helper is not None:
            application.assisted_by = helper
            application.assisted_by_member = member
            application.assisted_channel = list(AssistedChannel)[self.count % 3]
            application.assisted_language = language
            application.interpreter_used = language != "en" and self.count % 2 == 0
            application.notice_read_at = who.submitted
        summary = need_summary(
            service_name=service.name, language=language, contact_method=contact_method
        )
        referral = Referral(
            member=member,
            application=application,
            reference=application.reference,
            service=service,
            status=S.SUBMITTED,
            area=district[:5],
            language=language,
            need_summary=summary,
            assisted=application.is_assisted,
            submitted_at=who.submitted,
            updated_at=who.submitted,
            is_synthetic=True,
        )
        return Story(resident, application, referral, equality=self._equality(application))

    def _assisting(self, member: Member) -> User | None:
        """The landlord's caseworker who made this application with the resident, if one did."""
        workers = self.workers.get(member.pk)
        if not workers or self.count % self.ASSISTED_EVERY:
            return None
        return workers[self.count // self.ASSISTED_EVERY % len(workers)]

    def _equality(self, application: Application) -> EqualityMonitoring | None:
        rng = self.rng
        if rng.random() < SKIPS_EQUALITY:
            return None
        answers = {
            "ethnicity": self.ethnicity.draw(),
            "disability": rng.choice(DISABILITY_MIX),
            "sex": rng.choice(SEX_MIX),
        }
        if not any(answers.values()):
            answers["sex"] = "prefer_not"
        return EqualityMonitoring(
            member=application.member,
            application=application,
            recorded_at=application.submitted_at,
            **answers,
        )


# --- how a referral's life goes ------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What happens to a referral and how long after the previous step; a step not yet due by
    now has not happened. `declines`: providers that decline before one accepts (99: all)."""

    declines: int = 0
    decline_after: timedelta = timedelta(hours=20)
    coordinator_after: timedelta | None = timedelta(days=1, hours=2)  # None: left in the queue
    accept_after: timedelta | None = timedelta(hours=6)
    contact_after: timedelta | None = timedelta(hours=20)
    start_after: timedelta | None = timedelta(days=2)
    outcome_after: timedelta | None = timedelta(days=30)
    close_after: timedelta | None = timedelta(days=4)
    withdraw_when: str = ""  # "routed", "accepted", "in_progress", "unrouted"
    withdraw_after: timedelta = timedelta(days=2)
    outcome: str = ""  # an OutcomeType, or "" to choose by the kind of service
    sustain: tuple[bool, bool] = (True, True)  # the 13- and 26-week checks come back positive


COORDINATOR_REASONS = [
    "Serves the neighbouring district; the resident can travel there.",
    "Delivers this service by phone, which suits the resident.",
    "Has a worker who speaks the resident's language.",
]
DECLINES = [
    (DeclineReason.NO_CAPACITY, "Our coaches are full until next month."),
    (DeclineReason.NO_CAPACITY, ""),
    (DeclineReason.NOT_ELIGIBLE, "The resident already gets this help from the Jobcentre."),
    (DeclineReason.COULD_NOT_CONTACT, "Three calls and a text, no answer."),
    (DeclineReason.OTHER, "The resident would be better served nearer home."),
]
CONTACT_NOTES = [
    "Phoned, booked a first meeting.",
    "Texted, the resident replied and we arranged a call.",
    "Emailed and spoke on the phone the same day.",
    "Met at the community hub drop-in.",
]


class Lives:
    """Walks each referral through its plan with the Lifecycle writer."""

    def __init__(
        self,
        rng: random.Random,
        lifecycle: Lifecycle,
        workers: dict[int, list[User]],
        coordinator: User,
    ) -> None:
        self.rng = rng
        self.lc = lifecycle
        self.workers = workers
        self.coordinator = coordinator
        self.now = lifecycle.now

    def worker(self, provider_id: int | None) -> User:
        assert provider_id is not None  # noqa: S101 - only a provider works a referral
        return self.rng.choice(self.workers[provider_id])

    def live(self, story: Story, plan: Plan) -> Story:
        lc, rng, now = self.lc, self.rng, self.now
        t = story.referral.submitted_at
        lc.submit(story, t)
        t += timedelta(seconds=rng.randint(3, 40))  # the outbox relay routes it
        provider = lc.route(story, t)
        declines = plan.declines
        while True:
            referral = story.referral
            if provider is None:
                t_hand = (
                    _working_hours(t + plan.coordinator_after)
                    if plan.coordinator_after is not None
                    else None
                )
                choices = lc.route_choices(story, t_hand) if t_hand is not None else []
                if t_hand is not None and choices and t_hand <= now:
                    provider = rng.choice(choices)
                    lc.route_by_hand(
                        story,
                        t_hand,
                        provider_id=provider,
                        coordinator=self.coordinator,
                        reason=rng.choice(COORDINATOR_REASONS),
                    )
                    t = t_hand
                    continue
                if plan.withdraw_when == "unrouted" and t + plan.withdraw_after <= now:
                    lc.withdraw(story, t + plan.withdraw_after)
                return self._done(story)
            if declines > 0:
                t_decline = _working_hours(t + plan.decline_after)
                if t_decline > now:
                    return self._done(story)
                reason, note = rng.choice(DECLINES)
                lc.decline(
                    story, t_decline, self.worker(referral.provider_id), reason=reason, note=note
                )
                declines -= 1
                t = t_decline + timedelta(seconds=rng.randint(3, 40))
                provider = lc.route(story, t)
                continue
            break
        if plan.withdraw_when == "routed":
            return self._withdraw(story, t, plan)
        t_next = _step(t, plan.accept_after, now)
        if t_next is None:
            return self._done(story)
        worker = self.worker(story.referral.provider_id)
        lc.accept(story, t_next, worker)
        t = t_next
        if plan.withdraw_when == "accepted":
            return self._withdraw(story, t, plan)
        t_next = _step(t, plan.contact_after, now)
        if t_next is None:
            return self._done(story)
        lc.contact(story, t_next, worker, rng.choice(CONTACT_NOTES))
        t = t_next
        t_next = _step(t, plan.start_after, now)
        if t_next is None:
            return self._done(story)
        lc.start(story, t_next, worker)
        t = t_next
        if plan.withdraw_when == "in_progress":
            return self._withdraw(story, t, plan)
        t_next = _step(t, plan.outcome_after, now)
        if t_next is None:
            return self._done(story)
        t = self._outcomes(story, t_next, worker, plan)
        t_next = _step(t, plan.close_after, now)
        if t_next is None:
            return self._done(story)
        lc.close(story, t_next, worker)
        self._sustain(story, worker, plan)
        return self._done(story)

    def _withdraw(self, story: Story, t: datetime, plan: Plan) -> Story:
        t_next = t + plan.withdraw_after
        if t_next <= self.now:
            self.lc.withdraw(story, t_next)
        return self._done(story)

    def _done(self, story: Story) -> Story:
        self.lc.sweep(story)
        return story

    def _outcomes(self, story: Story, at: datetime, worker: User, plan: Plan) -> datetime:
        """Record the outcome(s) the service leads to; returns the time of the last one."""
        rng, lc = self.rng, self.lc
        service = lc.services[story.referral.service_id]
        kind = service.kind.slug if service.kind_id else "employment"
        day = _local_date(at)
        accepted = _local_date(story.referral.accepted_at or at)
        achieved = max(accepted, day - timedelta(days=rng.randint(0, 6)))
        chosen = plan.outcome or _choose_outcome(rng, kind, service.slug)
        if chosen == T.JOB_STARTED:
            lc.record_outcome(
                story,
                at,
                worker,
                type=T.JOB_STARTED,
                achieved_on=achieved,
                hours_per_week=Decimal(rng.choice(["16", "20", "25", "30", "37.5"])),
            )
        elif chosen in (T.TRAINING_COMPLETED, T.QUALIFICATION):
            started = max(accepted, achieved - timedelta(days=21))
            if rng.random() < 0.5:
                lc.record_outcome(
                    story,
                    at - timedelta(days=1),
                    worker,
                    type=T.TRAINING_STARTED,
                    achieved_on=started,
                )
            lc.record_outcome(story, at, worker, type=T.TRAINING_COMPLETED, achieved_on=achieved)
            if chosen == T.QUALIFICATION:
                at = at + timedelta(days=rng.randint(1, 3))
                lc.record_outcome(
                    story,
                    at,
                    worker,
                    type=T.QUALIFICATION,
                    achieved_on=achieved,
                    qualification_level=rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5]),
                )
        elif chosen == T.NO_OUTCOME:
            lc.record_outcome(
                story,
                at,
                worker,
                type=T.NO_OUTCOME,
                achieved_on=achieved,
                no_outcome_reason=rng.choice(NO_OUTCOME_REASONS),
            )
        else:
            lc.record_outcome(story, at, worker, type=chosen, achieved_on=achieved)
        return at

    def _sustain(self, story: Story, worker: User, plan: Plan) -> None:
        """After the 13- and 26-week reminders, the provider records the sustained job (the
        story's `sustain` flags say whether it was), a few days after each reminder."""
        rng, lc, now = self.rng, self.lc, self.now
        start = next((o for o in story.outcomes if o.type == T.JOB_STARTED), None)
        if start is None:
            return
        for weeks, sustained, kept in (
            (13, T.JOB_SUSTAINED_13, plan.sustain[0]),
            (26, T.JOB_SUSTAINED_26, plan.sustain[1]),
        ):
            day = start.achieved_on + timedelta(weeks=weeks)
            at = datetime.combine(
                day + timedelta(days=rng.randint(1, 9)), time(10, 30), tzinfo=LONDON
            ) + timedelta(minutes=rng.randint(0, 300))
            if not kept or at > now:
                return
            # The sweep's reminder came first, the morning the check fell due (Lifecycle.sweep).
            lc.record_outcome(
                story,
                at,
                worker,
                type=sustained,
                achieved_on=day,
                hours_per_week=start.hours_per_week,
            )


NO_OUTCOME_REASONS = [
    "Resident moved away.",
    "Resident decided not to continue for now.",
    "Advice given; nothing further to record.",
]


def _choose_outcome(rng: random.Random, kind: str, slug: str) -> str:
    roll = rng.random()
    if kind == "employment":
        if slug == "in-work-support":
            return T.JOB_STARTED if roll < 0.6 else T.NO_OUTCOME
        if roll < 0.55:
            return T.JOB_STARTED
        if roll < 0.67:
            return T.APPRENTICESHIP
        return T.VOLUNTEERING if roll < 0.8 else T.NO_OUTCOME
    if kind == "learning":
        if roll < 0.45:
            return T.TRAINING_COMPLETED
        return T.QUALIFICATION if roll < 0.85 else T.NO_OUTCOME
    if roll < 0.3:
        return T.VOLUNTEERING
    return T.TRAINING_STARTED if roll < 0.5 else T.NO_OUTCOME


def _language(rng: random.Random, spoken: list[str]) -> str:
    """Half the residents choose English; most others a language their landlord's staff speak
    (communities and staff match), and a few one nobody near them does."""
    language = rng.choice(LANGUAGE_MIX)
    if language != "en" and spoken and rng.random() < 0.9:
        return rng.choice(sorted(spoken))
    return language


def _local_date(at: datetime) -> date:
    return at.astimezone(LONDON).date()


def _working_hours(at: datetime) -> datetime:
    """Staff act in working hours: the next working day at 09:00-ish when `at` is outside them."""
    local = at.astimezone(LONDON)
    if is_working_day(local.date()) and time(8, 30) <= local.time() <= time(17, 30):
        return local
    day = local.date() if local.time() < time(8, 30) else local.date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(9, 0), tzinfo=LONDON) + timedelta(
        minutes=(local.minute * 7) % 90
    )


def _step(t: datetime, after: timedelta | None, now: datetime) -> datetime | None:
    if after is None:
        return None
    t_next = _working_hours(t + after)
    return t_next if t_next <= now else None


def history_plan(rng: random.Random) -> Plan:
    """A referral's life, drawn: most are accepted within a working day or two and go on to an
    outcome; some are declined first, a few withdrawn."""
    roll = rng.random()
    declines = 0 if roll < 0.86 else (1 if roll < 0.96 else 2)
    withdraw = rng.random()
    return Plan(
        declines=declines,
        decline_after=timedelta(hours=rng.randint(2, 30)),
        coordinator_after=timedelta(hours=rng.randint(3, 40)) if rng.random() < 0.85 else None,
        accept_after=timedelta(hours=rng.choice([1, 2, 3, 5, 8, 20, 26, 40, 50, 70])),
        contact_after=timedelta(hours=rng.randint(1, 70)),
        start_after=timedelta(days=rng.randint(0, 6), hours=rng.randint(1, 6)),
        outcome_after=timedelta(days=rng.randint(14, 50)),
        close_after=timedelta(days=rng.randint(1, 12)),
        withdraw_when=(
            "routed"
            if withdraw < 0.025
            else "accepted"
            if withdraw < 0.045
            else "in_progress"
            if withdraw < 0.06
            else "unrouted"
        ),
        withdraw_after=timedelta(days=rng.randint(1, 9)),
        sustain=(rng.random() < 0.8, rng.random() < 0.8),
    )


# --- the story: every situation, at three members, whatever the date ----------------------------


@dataclass(frozen=True)
class Situation:
    key: str
    # Working days before today the referral was submitted (and routed), at 10:00.
    days_ago: int
    plan: Plan
    # "own": a service the member itself offers (it is routed to the member);
    # "shared": one another member also offers in the area (so a decline re-routes there);
    # "nowhere": one no member offers in the resident's district (it waits for the coordinator);
    # "employment": the member's employment service (a job start to sustain).
    service: str = "own"
    due_today: bool = False


NEVER = None
WAITING = Plan(accept_after=NEVER)
STORY = [
    Situation("routed_new", 0, WAITING),
    # Sent exactly as many working days ago as the service allows: its deadline is today 17:30.
    Situation("routed_due_today", 0, WAITING, due_today=True),
    Situation("routed_overdue", 6, WAITING),
    Situation(
        "accepted_contact_overdue", 12, Plan(accept_after=timedelta(hours=3), contact_after=NEVER)
    ),
    Situation("accepted", 1, Plan(accept_after=timedelta(hours=2), contact_after=NEVER)),
    Situation("in_progress", 15, Plan(outcome_after=NEVER)),
    Situation("outcome_recorded", 45, Plan(outcome_after=timedelta(days=30), close_after=NEVER)),
    Situation("closed", 60, Plan()),
    Situation(
        "declined_rerouted",
        8,
        Plan(declines=1, decline_after=timedelta(hours=5), accept_after=NEVER),
        service="shared",
    ),
    Situation(
        "declined_by_every_provider",
        9,
        Plan(declines=99, decline_after=timedelta(hours=4), coordinator_after=NEVER),
        service="shared",
    ),
    Situation("unrouted_no_provider", 2, Plan(coordinator_after=NEVER), service="nowhere"),
    Situation("withdrawn", 10, Plan(withdraw_when="routed", withdraw_after=timedelta(days=1))),
    # A job started 14 weeks ago: the 13-week check is due (the reminder has gone).
    Situation(
        "sustainment_13_due",
        75,
        Plan(
            outcome=T.JOB_STARTED,
            outcome_after=timedelta(days=3),
            close_after=timedelta(days=2),
            sustain=(False, False),
        ),
        service="employment",
    ),
    # Sustained 13 weeks; the 26-week check is due.
    Situation(
        "sustainment_26_due",
        142,
        Plan(
            outcome=T.JOB_STARTED,
            outcome_after=timedelta(days=3),
            close_after=timedelta(days=2),
            sustain=(True, False),
        ),
        service="employment",
    ),
]
STORY_MEMBERS = ("aldgate-bow", "sparkbrook", "moss-side")


def _working_days_before(today: date, n: int) -> date:
    day = today
    while n > 0:
        day -= timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def _due_today_sent(today: date, days: int) -> date | None:
    """The latest working day whose clock of `days` working days runs out today."""
    if not is_working_day(today):
        return None
    day = today - timedelta(days=1)
    for _ in range(20):
        if is_working_day(day) and add_working_days(day, days) == today:
            return day
        day -= timedelta(days=1)
    return None


# --- seeding -------------------------------------------------------------------------------------


@dataclass
class Cast:
    members: list[Member]
    services: dict[str, Service]
    offers: list[Offer]
    workers: dict[int, list[User]]
    coordinator: User


def seed_referrals_history(
    rng: random.Random,
    cast: Cast,
    *,
    quarters: list[date],
    now: datetime,
    sharing: SharingRecord | None = None,
) -> int:
    """Every referral of the demo, written in bulk. Returns how many (0 if already seeded).
    `sharing`: who signed the data sharing agreement when (every day's gate follows from it)."""
    if Referral.objects.filter(is_synthetic=True).exists():
        return 0  # seeded once; a second run adds nothing
    lifecycle = Lifecycle(
        offers=cast.offers,
        services=list(cast.services.values()),
        members=cast.members,
        now=now,
        sharing=sharing,
    )
    apps = Applications(rng, sharing, cast.workers)
    lives = Lives(rng, lifecycle, cast.workers, cast.coordinator)
    today = _local_date(now)
    service_list = list(cast.services.values())
    # Residents mostly ask for what the catalogue shows near them (its postcode filter): a
    # service some member delivers in their district. Now and then one nobody does, which waits
    # for the coordinator.
    near: dict[str, list[Service]] = {}
    for member in cast.members:
        for district in member.areas:
            near[district] = [
                s
                for s in service_list
                if any(
                    o.service_id == s.pk and o.is_active and (not o.areas or district in o.areas)
                    for o in cast.offers
                )
            ]
    # The languages a member's staff work in are those of its neighbourhoods.
    spoken: dict[int, list[str]] = {}
    for offer in cast.offers:
        spoken.setdefault(offer.member_id, [])
        spoken[offer.member_id] += [x for x in offer.languages if x != "en"]
    drawn: list[tuple[Applicant, Plan]] = []
    for index, start in enumerate(quarters):
        end = quarters[index + 1] if index + 1 < len(quarters) else today + timedelta(days=1)
        span = max((min(end, today + timedelta(days=1)) - start).days, 1)
        for member in cast.members:
            # Volumes grow each quarter: the trend boards like to see.
            for _ in range(rng.randint(13, 17) + index * 3):
                day = start + timedelta(days=rng.randrange(span))
                submitted = datetime.combine(
                    day, time(rng.randint(7, 21), rng.randint(0, 59)), tzinfo=LONDON
                )
                if submitted > now:
                    submitted = now - timedelta(minutes=rng.randint(5, 600))
                district = rng.choice(member.areas)
                choices = near[district] if near[district] and rng.random() < 0.95 else service_list
                who = Applicant(
                    member=member,
                    service=rng.choice(choices),
                    district=district,
                    language=_language(rng, spoken.get(member.pk, [])),
                    submitted=submitted,
                )
                drawn.append((who, history_plan(rng)))
    # In time order, so each provider's load this month is what the engine saw then.
    drawn.sort(key=lambda pair: pair[0].submitted)
    for who, plan in drawn:
        lives.live(apps.build(who), plan)
    for member in cast.members:
        if member.slug in STORY_MEMBERS:
            _seed_story(rng, apps, lives, cast, member, today)
    return lifecycle.save()


def _seed_story(
    rng: random.Random, apps: Applications, lives: Lives, cast: Cast, member: Member, today: date
) -> None:
    offers_by_service: dict[int, set[int]] = {}
    for offer in cast.offers:
        if offer.is_active:
            offers_by_service.setdefault(offer.service_id, set()).add(offer.member_id)
    own = [s for s in cast.services.values() if member.pk in offers_by_service.get(s.pk, set())]
    district = member.areas[0]
    for situation in STORY:
        found = _story_service(apps, cast, member, situation.service, own, offers_by_service)
        if found is None:
            continue
        service, area = found
        if situation.due_today:
            sent = _due_today_sent(today, service.sla_accept_days)
            if sent is None:
                continue  # a weekend or bank holiday: nothing falls due today
        else:
            sent = _working_days_before(today, situation.days_ago)
        submitted = datetime.combine(sent, time(10, rng.randint(0, 40)), tzinfo=LONDON)
        if submitted > lives.now:
            submitted = lives.now - timedelta(minutes=30)
        who = Applicant(member, service, area or district, "en", submitted)
        lives.live(apps.build(who, accessibility=situation.key == "accepted"), situation.plan)


def _story_service(
    apps: Applications,
    cast: Cast,
    member: Member,
    want: str,
    own: list[Service],
    offers_by_service: dict[int, set[int]],
) -> tuple[Service, str] | None:
    """A service (and district) that leads to the situation, from the demo's own offers."""
    areas_of: dict[tuple[int, int], list[str]] = {
        (o.service_id, o.member_id): [a.upper() for a in o.areas] for o in cast.offers
    }
    district = member.areas[0]
    if want == "own":
        return (own[0], district) if own else None
    if want == "employment":
        jobs = [s for s in own if s.kind_id and s.kind.slug == "employment"]
        return (jobs[0], district) if jobs else None
    if want == "shared":
        for service in own:
            consented = {m.pk for m in apps.consent(service, district, "en", member)}
            others = [
                pk
                for pk in offers_by_service.get(service.pk, set()) - {member.pk}
                if pk in consented and district in areas_of.get((service.pk, pk), [district])
            ]
            if others:
                return service, district
        return None
    # "nowhere": a service and one of the member's districts that no offer lists.
    for service in cast.services.values():
        for area in member.areas:
            if not any(
                area in areas_of.get((service.pk, pk), []) or not areas_of.get((service.pk, pk))
                for pk in offers_by_service.get(service.pk, set())
            ):
                return service, area
    return None


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
                referral=referral,
                resident=referral.application.resident,
                application=referral.application,
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
