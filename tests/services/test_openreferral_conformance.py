"""Conformance of the Open Referral UK feed, generated from the profile's own openapi.json.

For every path of the profile and every parameter it declares there, a case issues requests with
values taken from the data below and checks the answer against an oracle computed here, from the
fixture's own records (never through the feed's selectors): a search finds what it should and
only that, pages add up, each id answers its record. Every response is validated against the
schema the profile names for it. A parameter the profile adds to a path fails the run until it
has a case; a case for a parameter the profile does not declare fails too.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from members.scoping import member_scope
from services.models import OpeningHours, ServiceStatus, ServiceTranslation
from tests.factories import MemberFactory, OfferFactory, ServiceFactory, ServiceKindFactory
from tests.services.openreferral import OPENAPI, errors_of, schema_file, validate

pytestmark = pytest.mark.django_db

# The feed's id scheme (README): uuid5 of "<kind>:<row id>" in the feed's namespace.
NAMESPACE = uuid.UUID("2f1c7a52-9b1e-4f43-a5d8-6c3d0b8e7a10")
LONDON = ZoneInfo("Europe/London")
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# Parameters the profile defines under components but attaches to no path: nothing to conform
# to (README, "Open Referral UK feed"). If the profile attaches one, its path's case is missing.
UNATTACHED = {"minimal", "full", "modified_after", "organization_id", "full_service", "format"}
# The profile names compiled/service.json for this path, whose own description (and this feed)
# answer a fully nested service_at_location: it is checked against that schema instead.
DEVIATIONS = {"/service_at_locations/{id}": "compiled/service_at_location.json"}


def uid(kind: str, pk: object) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{pk}"))


def _resolve(parameter: dict[str, Any]) -> dict[str, Any]:
    ref = parameter.get("$ref")
    if ref is None:
        return parameter
    assert ref.startswith("#/components/parameters/"), ref
    return OPENAPI["components"]["parameters"][ref.rsplit("/", 1)[1]]


def profile_parameters() -> list[tuple[str, str, str]]:
    """(path, parameter name, where) for every parameter of every path of the profile."""
    found = []
    for path_, item in OPENAPI["paths"].items():
        for parameter in item.get("parameters", []) + item["get"].get("parameters", []):
            parameter = _resolve(parameter)
            found.append((path_, parameter["name"], parameter["in"]))
    return found


def response_schema(path_: str) -> dict[str, Any]:
    return OPENAPI["paths"][path_]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]


# --- The data --------------------------------------------------------------------------------


@dataclass
class Expected:
    """One published offer as this test knows it from the records it made."""

    id: str
    service_name: str
    member_name: str
    pk: int
    words: list[str]  # the service's name, summary, description, kind, translations
    kind_id: str
    min_age: float | None
    max_age: float | None
    sessions: list[tuple[int, time, time]]
    areas: list[str]
    modes: list[str]
    email: str
    phone: str
    tenants_only: bool
    position: tuple[float, float] | None
    sal_ids: list[str] = field(default_factory=list)


@dataclass
class World:
    offers: list[Expected]  # published, in the feed's order
    kinds: list[tuple[str, str]]  # (id, name) in the feed's order
    staff_emails: list[str]

    def sal(self) -> list[tuple[str, Expected]]:
        return [(sal_id, offer) for offer in self.offers for sal_id in offer.sal_ids]


SERVICES = [
    # slug, kind, name, summary, description, eligibility, status
    ("job-cv", "employment", "Job search and CV help", "Find work that suits you.",
     "A coach helps you write a CV.", {"tenant_of_member": True, "min_age": 16}, "open"),
    ("interview", "employment", "Interview practice", "Practise with a coach.",
     "Mock interviews for young people.", {"min_age": 18, "max_age": 24}, "open"),
    ("digital", "learning", "Digital skills course", "Email and online forms.",
     "Small groups at the library.", {}, "open"),
    ("money", "learning", "Money advice", "Benefits checks.", "Plan your money.",
     {"max_age": 65.5}, "paused"),
    ("odd", "employment", "Odd ages service", "Ages written badly.", "An administrator's notes.",
     {"min_age": True, "max_age": "16"}, "open"),
]  # fmt: skip

OFFERS = [
    # member, service, areas, modes, position, hours (weekday, opens, closes), active
    ("a", "job-cv", ["E1", "E2"], ["in_person", "phone"], ("51.515531", "-0.072200"),
     [(d, "09:00", "17:00") for d in range(5)], True),
    ("b", "job-cv", ["SW9"], ["online"], None,
     [(5, "10:00", "12:30"), (5, "13:30", "16:00")], True),
    ("a", "interview", [], ["in_person"], None,
     [(0, "13:00", "15:00"), (1, "08:00", "10:00")], True),
    ("b", "digital", ["E1"], ["phone", "online"], None, [], True),
    ("a", "money", ["E1"], ["in_person"], None, [(2, "09:00", "12:00")], True),
    ("b", "interview", ["E1"], ["in_person"], None, [(0, "09:00", "17:00")], False),
    ("a", "odd", ["B10"], ["in_person"], None, [(6, "11:00", "12:00")], True),
]  # fmt: skip


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@pytest.fixture
def world(member_a, member_b, alice, charlie) -> World:  # noqa: ANN001
    member_a.email, member_a.phone = "hello@aldgate.example", "020 7946 0001"
    member_a.save()
    member_b.email = "hello@brixton.example"
    member_b.save()
    members = {"a": member_a, "b": member_b}
    MemberFactory(name="Zebra Homes", short_name="Zebra", slug="zebra")  # delivers nothing
    kinds = {
        "employment": ServiceKindFactory(slug="employment", name="Employment support"),
        "learning": ServiceKindFactory(slug="learning", name="Learning and development"),
    }
    kinds["learning"].order = 2
    kinds["learning"].save()
    services = {}
    for slug, kind, name, summary, description, eligibility, status in SERVICES:
        services[slug] = ServiceFactory(
            slug=slug, kind=kinds[kind], name=name, summary=summary, description=description,
            eligibility=eligibility, status=status,
        )  # fmt: skip
    ServiceTranslation.objects.create(
        service=services["digital"], language="so", name="Xirfadaha dijitaalka"
    )
    translations = {"digital": ["Xirfadaha dijitaalka"]}
    expected = []
    for letter, slug, areas, modes, position, hours, active in OFFERS:
        member = members[letter]
        offer = OfferFactory(
            member=member, service=services[slug], areas=areas, delivery_modes=modes,
            is_active=active,
            latitude=Decimal(position[0]) if position else None,
            longitude=Decimal(position[1]) if position else None,
        )  # fmt: skip
        with member_scope(member.pk):
            for weekday, opens, closes in hours:
                OpeningHours.objects.create(
                    member=member, offer=offer, weekday=weekday,
                    opens_at=time.fromisoformat(opens), closes_at=time.fromisoformat(closes),
                )  # fmt: skip
        if not active:
            continue
        service = services[slug]
        location_ids = [uid("location", f"{offer.pk}:{mode}") for mode in modes]
        expected.append(
            Expected(
                id=uid("offer", offer.pk),
                service_name=service.name,
                member_name=member.name,
                pk=offer.pk,
                words=[
                    service.name,
                    service.summary,
                    service.description,
                    service.kind.name,
                    *translations.get(slug, []),
                ],
                kind_id=uid("kind", service.kind_id),
                min_age=_number(service.eligibility.get("min_age")),
                max_age=_number(service.eligibility.get("max_age")),
                sessions=[(d, time.fromisoformat(o), time.fromisoformat(c)) for d, o, c in hours],
                areas=areas,
                modes=modes,
                email=member.email,
                phone=member.phone,
                tenants_only=bool(service.eligibility.get("tenant_of_member")),
                position=(float(position[0]), float(position[1])) if position else None,
                sal_ids=[uid("sal", location) for location in location_ids],
            )  # fmt: skip
        )
    expected.sort(key=lambda o: (o.service_name, o.member_name, o.pk))
    return World(
        offers=expected,
        kinds=[
            (uid("kind", kinds["employment"].pk), "Employment support"),
            (uid("kind", kinds["learning"].pk), "Learning and development"),
        ],  # fmt: skip
        staff_emails=[alice.email, charlie.email],
    )


# --- Asking, and checking every answer against the profile ------------------------------------


def ask(client: Client, path_: str, params: dict[str, str] | None = None, **ids: str) -> Any:
    """GET the path (ids filled in); validate a 200 against the profile's schema for the path,
    and any error as the feed's JSON error. Returns the response."""
    url = "/openreferral" + path_.format(**ids)
    response = client.get(url, params or {})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"].startswith("application/json"), url
    body = response.json()
    if response.status_code != 200:
        assert isinstance(body.get("detail"), str), body
        return response
    schema = response_schema(path_)
    if path_ in DEVIATIONS:
        validate(body, DEVIATIONS[path_])
    elif "$ref" in schema:
        validate(body, schema_file(schema["$ref"]))
    elif "contents" in schema.get("properties", {}):
        page = OPENAPI["components"]["schemas"]["Page"]
        assert not errors_of(body, page), body
        assert set(page["properties"]) <= set(body), body.keys()
        items = schema_file(schema["properties"]["contents"]["items"]["$ref"])
        for item in body["contents"]:
            validate(item, items)
    else:
        assert not errors_of(body, schema), body
    return response


def listed(client: Client, path_: str, params: dict[str, str]) -> list[str]:
    """Every id the list answers, walking all its pages (checking each page's counts)."""
    ids: list[str] = []
    first = ask(client, path_, {**params, "per_page": "3"})
    assert first.status_code == 200, first.json()
    total_pages = first.json()["total_pages"]
    for number in range(1, total_pages + 1):
        body = ask(client, path_, {**params, "per_page": "3", "page": str(number)}).json()
        assert body["total_items"] == first.json()["total_items"]
        ids += [item["id"] for item in body["contents"]]
    assert len(ids) == first.json()["total_items"]
    return ids


def refused(client: Client, path_: str, params: dict[str, str], name: str) -> None:
    response = ask(client, path_, params)
    assert response.status_code == 400, (params, response.content)
    assert response.json()["parameter"] == name


def expected_ids(world: World, path_: str, keep: Callable[[Expected], bool]) -> list[str]:
    if path_.startswith("/service_at_locations"):
        return [sal_id for sal_id, offer in world.sal() if keep(offer)]
    return [offer.id for offer in world.offers if keep(offer)]


# --- One case per parameter ------------------------------------------------------------------


def case_search(client: Client, world: World, path_: str) -> None:
    queries = ["cv", "CV help", "coach", "dijitaal", "email", "ADVICE", "job coach",
               "zzz-nothing", "e"]  # fmt: skip
    for query in queries:
        words = [w.lower() for w in query.split()]
        want = expected_ids(
            world, path_, lambda o, ws=words: all(any(w in t.lower() for t in o.words) for w in ws)
        )
        assert listed(client, path_, {"search": query}) == want, query
    assert listed(client, path_, {"search": "cv"}), "the case must find something"
    refused(client, path_, {"search": "x" * 101}, "search")
    refused(client, path_, {"search": "a b c d e f g h i"}, "search")


def case_page(client: Client, world: World, path_: str) -> None:
    everything = _all_ids(world, path_)
    total = len(everything)
    for per_page, effective in ((1, 1), (2, 2), (5, 5), (100, 100), (250, 100)):
        pages = max(math.ceil(total / effective), 1)
        seen: list[str] = []
        for number in range(1, pages + 2):
            body = ask(client, path_, {"page": str(number), "per_page": str(per_page)}).json()
            chunk = everything[(number - 1) * effective : number * effective]
            assert body["total_items"] == total
            assert body["total_pages"] == pages
            assert body["page_number"] == number
            assert body["size"] == len(chunk) == len(body["contents"])
            assert body["first_page"] is (number == 1)
            assert body["last_page"] is (number >= pages)
            assert body["empty"] is (not chunk)
            seen += [item["id"] for item in body["contents"]]
        assert seen == everything, per_page
    default = ask(client, path_).json()
    assert default["page_number"] == 1 and default["size"] == min(total, 50)
    for bad in ("0", "-1", "abc", "1.5", "1e3", "9999999999"):
        refused(client, path_, {"page": bad}, "page")


def case_per_page(client: Client, world: World, path_: str) -> None:
    case_page(client, world, path_)  # one walk checks both
    for bad in ("0", "-5", "ten"):
        refused(client, path_, {"per_page": bad}, "per_page")


def _all_ids(world: World, path_: str) -> list[str]:
    if path_ == "/taxonomies":
        return [uid("taxonomy", "kinds")]
    if path_ == "/taxonomy_terms":
        return [kind_id for kind_id, _ in world.kinds]
    return expected_ids(world, path_, lambda o: True)


def case_taxonomy_term_id(client: Client, world: World, path_: str) -> None:
    for kind_id, _ in world.kinds:
        want = expected_ids(world, path_, lambda o, k=kind_id: o.kind_id == k)
        assert want and listed(client, path_, {"taxonomy_term_id": kind_id}) == want
    assert listed(client, path_, {"taxonomy_term_id": str(uuid.uuid4())}) == []
    refused(client, path_, {"taxonomy_term_id": "employment"}, "taxonomy_term_id")


def case_taxonomy_id(client: Client, world: World, path_: str) -> None:
    ours = uid("taxonomy", "kinds")
    assert [t["id"] for t in ask(client, "/taxonomies").json()["contents"]] == [ours]
    assert listed(client, path_, {"taxonomy_id": ours}) == _all_ids(world, path_)
    assert listed(client, path_, {"taxonomy_id": str(uuid.uuid4())}) == []
    refused(client, path_, {"taxonomy_id": "kinds"}, "taxonomy_id")


def case_minimum_age(client: Client, world: World, path_: str) -> None:
    for value in (0, 16, 16.5, 18, 19):
        want = expected_ids(
            world, path_, lambda o, v=value: o.min_age is not None and o.min_age >= v
        )
        assert listed(client, path_, {"minimum_age": str(value)}) == want, value
    assert listed(client, path_, {"minimum_age": "16"}), "the case must find something"
    for bad in ("abc", "-1", "nan", "inf", "200"):
        refused(client, path_, {"minimum_age": bad}, "minimum_age")


def case_maximum_age(client: Client, world: World, path_: str) -> None:
    for value in (24, 30, 65, 65.5, 100):
        want = expected_ids(
            world, path_, lambda o, v=value: o.max_age is not None and o.max_age <= v
        )
        assert listed(client, path_, {"maximum_age": str(value)}) == want, value
    assert listed(client, path_, {"maximum_age": "100"}), "the case must find something"
    for bad in ("old", "-0.5", "NaN"):
        refused(client, path_, {"maximum_age": bad}, "maximum_age")


def _uk(value: str) -> time:
    """A time with Z or an offset as UK local time today, as the feed documents."""
    parsed = datetime.combine(
        timezone.localdate(), time.fromisoformat(value.replace("Z", "+00:00"))
    )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(LONDON).time().replace(tzinfo=None)


def _sessions(world: World, path_: str, ok: Callable[[int, time, time], bool]) -> list[str]:
    return expected_ids(world, path_, lambda o: any(ok(d, s, e) for d, s, e in o.sessions))


def case_start_time(client: Client, world: World, path_: str) -> None:
    for value in ("08:00", "09:00", "09:00:01", "10:00", "13:00", "23:00"):
        at = time.fromisoformat(value)
        assert listed(client, path_, {"start_time": value}) == _sessions(
            world, path_, lambda d, s, e, t=at: s >= t
        ), value
    for value in ("09:00Z", "10:00+01:00", "08:30-01:00"):
        at = _uk(value)
        assert listed(client, path_, {"start_time": value}) == _sessions(
            world, path_, lambda d, s, e, t=at: s >= t
        ), value
    for bad in ("9am", "25:00", "09:60", "0900", "noon"):
        refused(client, path_, {"start_time": bad}, "start_time")


def case_end_time(client: Client, world: World, path_: str) -> None:
    for value in ("10:00", "12:00", "15:00", "16:00", "17:00", "08:00"):
        at = time.fromisoformat(value)
        assert listed(client, path_, {"end_time": value}) == _sessions(
            world, path_, lambda d, s, e, t=at: e <= t
        ), value
    # With start_time, one session must fit both.
    got = listed(client, path_, {"start_time": "13:00", "end_time": "15:00"})
    assert got == _sessions(world, path_, lambda d, s, e: s >= time(13) and e <= time(15))
    refused(client, path_, {"end_time": "17:00:00:00"}, "end_time")


def case_day(client: Client, world: World, path_: str) -> None:
    for number, code in enumerate(DAYS):
        want = _sessions(world, path_, lambda d, s, e, n=number: d == n)
        assert listed(client, path_, {"day": code}) == want, code
    assert listed(client, path_, {"day": "saturday"}) == listed(client, path_, {"day": "SA"})
    # The example: Monday, opening at or after 09:00; then all three on one session.
    assert listed(client, path_, {"day": "MO", "start_time": "09:00"}) == _sessions(
        world, path_, lambda d, s, e: d == 0 and s >= time(9)
    )
    got = listed(client, path_, {"day": "SA", "start_time": "13:00", "end_time": "16:00"})
    assert got == _sessions(
        world, path_, lambda d, s, e: d == 5 and s >= time(13) and e <= time(16)
    )
    assert got, "the case must find something"
    for bad in ("Funday", "MON,TUE", "8"):
        refused(client, path_, {"day": bad}, "day")


def case_postcode(client: Client, world: World, path_: str) -> None:
    for postcode, district in (("E1 6AN", "E1"), ("e16an", "E1"), ("SW9 8AA", "SW9"),
                               ("E2", "E2"), ("B10 0AA", "B10"), ("LS7 1AA", "LS7")):  # fmt: skip
        want = expected_ids(world, path_, lambda o, d=district: not o.areas or d in o.areas)
        assert listed(client, path_, {"postcode": postcode}) == want, postcode
    refused(client, path_, {"postcode": "nowhere"}, "postcode")
    refused(client, path_, {"postcode": "E1 6AN 6AN"}, "postcode")


def case_proximity(client: Client, world: World, path_: str) -> None:
    # The feed holds no positions of postcodes (README): never an unfiltered list.
    for params in ({"postcode": "E1 6AN", "proximity": "1000"}, {"proximity": "500"}):
        response = ask(client, path_, params)
        assert response.status_code == 400
        assert response.json()["parameter"] == "proximity"
        assert "not supported" in response.json()["detail"]


def case_id(client: Client, world: World, path_: str) -> None:
    if path_ == "/services/{id}":
        for offer in world.offers:
            body = ask(client, path_, id=offer.id).json()
            _check_full_service(body, offer, world)
            assert [sal["id"] for sal in body["service_at_locations"]] == offer.sal_ids
    elif path_ == "/service_at_locations/{id}":
        for sal_id, offer in world.sal():
            body = ask(client, path_, id=sal_id).json()
            assert body["id"] == sal_id and body["service_id"] == offer.id
            _check_full_service(body["service"], offer, world)
            location = body["location"]
            assert body["location_id"] == location["id"]
            position = (location.get("latitude"), location.get("longitude"))
            if location["location_type"] == "physical" and offer.position:
                assert position == offer.position
            else:
                assert position == (None, None)
    elif path_ == "/taxonomies/{id}":
        body = ask(client, path_, id=uid("taxonomy", "kinds")).json()
        assert [t["id"] for t in body["taxonomy_terms"]] == [k for k, _ in world.kinds]
    elif path_ == "/taxonomy_terms/{id}":
        for kind_id, name in world.kinds:
            body = ask(client, path_, id=kind_id).json()
            assert (body["id"], body["name"]) == (kind_id, name)
    else:
        pytest.fail(f"no id case for {path_}")
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        assert ask(client, path_, id=unknown).status_code == 404


def _check_full_service(body: dict[str, Any], offer: Expected, world: World) -> None:
    assert (body["id"], body["name"]) == (offer.id, offer.service_name)
    assert body["organization"]["name"] == offer.member_name
    assert body.get("minimum_age") == offer.min_age and body.get("maximum_age") == offer.max_age
    assert [(s["freq"], s["byday"], s["opens_at"], s["closes_at"]) for s in body["schedules"]] == [
        ("WEEKLY", DAYS[d], f"{o:%H:%M}", f"{c:%H:%M}") for d, o, c in sorted(offer.sessions)
    ]
    assert [a["service_area"] for a in body["service_areas"]] == offer.areas
    assert [(c["amount"], c["amount_description"]) for c in body["cost_options"]] == [
        (0, "Free for residents of member associations" if offer.tenants_only else "Free")
    ]
    assert body["funding"] == []
    contacts = body["contacts"]
    assert [c.get("email") for c in contacts] == [offer.email]
    assert [[p["number"] for p in c.get("phones", [])] for c in contacts] == [
        [offer.phone] if offer.phone else []
    ]
    text = str(body)
    for email in world.staff_emails:
        assert email not in text  # a member's public contact point, never a member of staff


CASES: dict[str, Callable[[Client, World, str], None]] = {
    "search": case_search,
    "page": case_page,
    "per_page": case_per_page,
    "taxonomy_term_id": case_taxonomy_term_id,
    "taxonomy_id": case_taxonomy_id,
    "minimum_age": case_minimum_age,
    "maximum_age": case_maximum_age,
    "start_time": case_start_time,
    "end_time": case_end_time,
    "day": case_day,
    "postcode": case_postcode,
    "proximity": case_proximity,
    "id": case_id,
}


@pytest.mark.parametrize(
    ("path_", "name", "where"), profile_parameters(), ids=lambda v: str(v).strip("/")
)
def test_every_parameter_of_the_profile_answers_what_the_data_says(
    client: Client, world: World, path_: str, name: str, where: str
) -> None:
    case = CASES.get(name)
    assert case is not None, f"{path_} declares `{name}` ({where}): the feed has no case for it"
    case(client, world, path_)


def test_the_cases_are_exactly_the_profiles_parameters() -> None:
    declared = {name for _, name, _ in profile_parameters()}
    assert set(CASES) == declared
    assert set(OPENAPI["components"]["parameters"]) - declared == UNATTACHED


def test_every_path_of_the_profile_answers_and_validates(client: Client, world: World) -> None:
    ids = {
        "/services/{id}": world.offers[0].id,
        "/service_at_locations/{id}": world.sal()[0][0],
        "/taxonomies/{id}": uid("taxonomy", "kinds"),
        "/taxonomy_terms/{id}": world.kinds[0][0],
    }
    for path_ in OPENAPI["paths"]:
        response = ask(client, path_, id=ids.get(path_, ""))
        assert response.status_code == 200, path_


def test_the_feeds_own_schema_declares_every_path_and_parameter_of_the_profile(
    client: Client,
) -> None:
    ours = ask(client, "/").json()["openapi_url"]
    assert ours.endswith("/openreferral/openapi.json")
    schema = client.get("/openreferral/openapi.json").json()
    for path_, name, where in profile_parameters():
        item = schema["paths"][path_]
        names = {
            (p["name"], p["in"])
            for p in item.get("parameters", []) + item["get"].get("parameters", [])
        }
        assert (name, where) in names, (path_, name)
    assert set(schema["paths"]) == set(OPENAPI["paths"])


def test_a_closed_offer_and_a_paused_service_are_published_as_the_profile_says(
    client: Client, world: World
) -> None:
    statuses = {
        item["name"]: item["status"] for item in ask(client, "/services").json()["contents"]
    }
    assert statuses["Money advice"] == "temporarily closed"
    assert statuses["Job search and CV help"] == "active"
    assert ServiceStatus.PAUSED == "paused"
    # The inactive offer (member B's interview practice) is not published.
    names = [
        (i["name"], i["organization"]["name"]) for i in ask(client, "/services").json()["contents"]
    ]
    assert ("Interview practice", "Brixton Housing Co-op") not in names
