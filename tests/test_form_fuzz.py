"""Issue 14, finding 3, the class: no HTML form of the portal answers 5xx, whatever is posted.

The forms are discovered, not listed: every named URL pattern is reversed (path arguments
filled from a small world of records), fetched by each person of the test cast in turn
(anonymous first), and every `<form method="post">` on a page that person may see is posted
with hypothesis-generated values for its own fields: huge and odd decimals, odd unicode, empty
values, very long strings, files of random bytes. A new form is therefore covered without
touching this test. Any 5xx fails, and so does any exception the view raises (the test client
re-raises it, with its traceback).

Out of the walk, each with its reason:
- the Django admin (`admin:`): Django's own forms, for superusers only;
- the API (`api:`): covered by tests/api/test_schemathesis.py;
- sign-out: posting it ends the session the rest of the walk needs.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import (
    NoReverseMatch,
    Resolver404,
    URLPattern,
    URLResolver,
    get_resolver,
    resolve,
    reverse,
)
from django.urls.resolvers import RoutePattern
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import World, world  # noqa: F401 (the fixture)
from tests.factories import UserFactory, consortium_role_grant

pytestmark = [pytest.mark.django_db(transaction=False)]

SKIPPED_NAMESPACES = ("admin", "api")
SKIPPED_NAMES = {"account_logout"}
# Per form: enough for each field to meet a huge decimal, an empty value and odd text at least
# once across the run, and the whole walk well under two minutes on two shared cores.
EXAMPLES_PER_FORM = 8
# An upload's rows are where most parsing happens: more examples there.
EXAMPLES_PER_UPLOAD = 30


# --- the URL walk --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    converters: tuple[tuple[str, str], ...]  # (argument, converter class name)


def iter_routes(
    patterns: list[URLPattern | URLResolver],
    namespace: str = "",
    converters: tuple[tuple[str, str], ...] = (),
) -> Iterator[Route]:
    for pattern in patterns:
        own = converters
        if isinstance(pattern.pattern, RoutePattern):
            own = converters + tuple(
                (arg, type(conv).__name__) for arg, conv in pattern.pattern.converters.items()
            )
        elif pattern.pattern.regex.groups:
            own = converters + (("regex", "regex"),)
        if isinstance(pattern, URLResolver):
            child = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from iter_routes(pattern.url_patterns, child, own)
        elif pattern.name:
            yield Route(f"{namespace}{pattern.name}", own)


def candidate_urls(route: Route, ids: list[int], slugs: list[str]) -> Iterator[str]:
    """Every way of filling the route's arguments from the world's ids and slugs (one argument
    at a time varies; routes here have at most two)."""
    if not route.converters:
        try:
            url = reverse(route.name)
        except NoReverseMatch:  # an argument hidden in a regex include: nothing to fill
            return
        yield url
        return
    options: list[list[Any]] = []
    for _arg, converter in route.converters:
        if converter == "IntConverter":
            options.append(ids)
        elif converter in ("SlugConverter", "StringConverter"):
            options.append(slugs)
        else:
            return  # uuid and path arguments: nothing in the world to fill them with
    combos: list[list[Any]] = [[]]
    for values in options:
        combos = [c + [v] for c in combos for v in values]
    for combo in combos:
        try:
            yield reverse(route.name, args=combo)
        except Exception:  # noqa: BLE001, S112 (that argument does not fit the pattern)
            continue


# --- the forms on a page -------------------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # input type, "select", "textarea"
    options: list[str] = field(default_factory=list)
    value: str = ""
    multiple: bool = False


@dataclass
class PostForm:
    action: str
    fields: dict[str, FormField] = field(default_factory=dict)
    # What the page says an uploaded table holds: the column names in its "columns" sentence
    # and the values in its <code> tags. Upload fields get tables built from them, so an import
    # reaches its row checks instead of stopping at "no header".
    columns: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)


class FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[PostForm] = []
        self._form: PostForm | None = None
        self._select: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = (
                PostForm(a.get("action", "")) if a.get("method", "").lower() == "post" else None
            )
            if self._form is not None:
                self.forms.append(self._form)
            return
        form = self._form
        if form is None or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._select.options.append(a.get("value", ""))
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            existing = form.fields.get(name)
            if existing is not None and kind in ("radio", "checkbox"):
                existing.options.append(a.get("value", "on"))
                existing.multiple = existing.multiple or kind == "checkbox"
                return
            form.fields[name] = FormField(
                name,
                kind,
                options=[a.get("value", "on")] if kind in ("radio", "checkbox") else [],
                value=a.get("value", ""),
                multiple=kind == "checkbox",
            )
        elif tag == "select":
            self._select = FormField(name, "select", multiple="multiple" in a)
            form.fields[name] = self._select
        elif tag == "textarea":
            form.fields[name] = FormField(name, "textarea")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


# --- what hypothesis posts ------------------------------------------------------------------------

NASTY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "1E+30",
        "-1E+30",
        "9" * 12,
        "9" * 40,
        "999999999999.999",
        "NaN",
        "-Infinity",
        "0.0000000001",
        "x" * 10_000,
        "\x00",
        "é\u0301\u202e\ufeff😀",
        "=cmd|'/C calc'!A0",
        "<script>alert(1)</script>",
        "2026-02-30",
        "-1",
        str(2**63),
    ]
)
ANY_TEXT = st.one_of(NASTY_TEXT, st.text(max_size=300), st.decimals().map(str))


# Mostly the nasty values: a table is only worth uploading if its cells reach the row checks.
CELL = st.one_of(NASTY_TEXT, NASTY_TEXT, st.text(max_size=40), st.decimals().map(str))


def table_bytes(header: list[str], rows: list[list[str]], ext: str) -> bytes:
    if ext == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        for row in [header, *rows]:
            # Cells openpyxl refuses (control characters) are not what a spreadsheet holds.
            sheet.append([re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", c) for c in row])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    return text.getvalue().encode("utf-8", "surrogatepass")


def uploads(form: PostForm) -> st.SearchStrategy[Any]:
    cell = st.one_of(CELL, st.sampled_from(form.codes)) if form.codes else CELL
    header = st.just(form.columns) if form.columns else st.lists(CELL, min_size=1, max_size=4)
    width = max(len(form.columns), 1)
    table = st.builds(
        lambda h, rows, ext: SimpleUploadedFile(f"upload.{ext}", table_bytes(h, rows, ext)),
        header,
        st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1, max_size=4),
        st.sampled_from(["csv", "xlsx"]),
    )
    noise = st.builds(
        lambda data, ext: SimpleUploadedFile(f"upload.{ext}", data),
        st.binary(max_size=2000),
        st.sampled_from(["csv", "xlsx", "pdf", "docx", "txt"]),
    )
    return st.one_of(table, table, noise)


def field_values(form_field: FormField, form: PostForm) -> st.SearchStrategy[Any]:
    if form_field.kind == "file":
        return uploads(form)
    if form_field.kind == "hidden":
        # Hidden values carry state (a step, a key): keep them mostly, tamper sometimes.
        return st.one_of(st.just(form_field.value), st.just(form_field.value), ANY_TEXT)
    if form_field.options:
        pick = st.sampled_from(form_field.options)
        if form_field.multiple:
            return st.one_of(st.lists(pick, max_size=4), st.lists(ANY_TEXT, max_size=2))
        return st.one_of(pick, pick, ANY_TEXT)
    return ANY_TEXT


def form_data(form: PostForm) -> st.SearchStrategy[dict[str, Any]]:
    names = [n for n in form.fields if n != "csrfmiddlewaretoken"]
    return st.fixed_dictionaries(
        {
            name: field_values(form.fields[name], form)
            if form.fields[name].kind == "file"
            else st.one_of(field_values(form.fields[name], form), st.none())
            for name in names
        }
    )


def post_forms(client: Client, url: str, links: set[str]) -> list[PostForm]:
    """The page's post forms; the page's own links are added to `links` (so routes with
    arguments are also reached the way a person reaches them, by following links)."""
    response = client.get(url)
    if response.status_code in (301, 302, 303) and response["Location"].startswith("/"):
        links.add(response["Location"].split("?")[0])
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    page = response.content.decode("utf-8", "replace")
    links.update(h for h in re.findall(r'href="(/[^"?#]*)', page) if not h.startswith("//"))
    parser = FormParser()
    parser.feed(page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    sentence = re.search(r"columns?\b[^.]*", text)
    columns = (
        re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*\b", sentence.group(0)) if sentence else []
    )
    columns = [c for c in columns if c not in {"columns", "column", "the", "and", "names", "name"}]
    codes = [html.unescape(c) for c in re.findall(r"<code>([^<]{1,60})</code>", page)]
    forms = []
    for form in parser.forms:
        form.columns, form.codes = columns, codes
        action = form.action or url
        if action.startswith(("http://", "https://", "//")) or "logout" in action:
            continue
        form.action = action
        forms.append(form)
    return forms


def fuzz(client: Client, form: PostForm, where: str) -> None:
    uploads_a_file = any(f.kind == "file" for f in form.fields.values())

    @settings(
        max_examples=EXAMPLES_PER_UPLOAD if uploads_a_file else EXAMPLES_PER_FORM,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=form_data(form))
    def post_one(data: dict[str, Any]) -> None:
        cache.clear()  # rate limits would otherwise turn most examples into a 429
        body = {k: v for k, v in data.items() if v is not None}
        response = client.post(form.action, body)
        assert response.status_code < 500, (where, form.action, body)

    post_one()


# --- the test ------------------------------------------------------------------------------------


def test_no_html_form_answers_a_server_error_whatever_is_posted(
    world: World,  # noqa: F811
    cast: Any,
) -> None:
    from reports.registry import all_figures

    administrator = UserFactory(email="administrator@consortium.example")
    consortium_role_grant(administrator, "administrator")
    people: list[tuple[str, Any]] = [
        ("anonymous", None),
        ("alice", cast.alice),
        ("bob", cast.bob),
        ("charlie", cast.charlie),
        ("dpo", cast.dpo),
        ("board_member", cast.board_member),
        ("coordinator", cast.coordinator),
        ("resident", cast.resident_user),
        ("administrator", administrator),
    ]
    ids = sorted(
        {
            world.referral.pk,
            world.outgoing.pk,
            world.contract.pk,
            world.participation.pk,
            world.spend.pk,
            world.course.pk,
            world.session.pk,
            world.booking.pk,
            world.outcome.pk,
        }
    )
    slugs = ["job-search", next(iter(all_figures())).key]
    routes = [
        r
        for r in iter_routes(get_resolver().url_patterns)
        if r.name.split(":")[0] not in SKIPPED_NAMESPACES and r.name not in SKIPPED_NAMES
    ]
    clients: list[tuple[str, Client]] = []
    for who, user in people:
        client = Client()
        if user is not None:
            client.force_login(user)
        clients.append((who, client))
    fuzzed: set[tuple[str, str]] = set()
    done_routes: set[str] = set()
    tried: set[str] = set()
    links: set[str] = set()

    def visit(route_name: str, url: str) -> bool:
        """Fuzz the forms of `url` as the first person who sees any; whether someone did."""
        tried.add(url)
        for who, client in clients:
            forms = post_forms(client, url, links)
            for form in forms:
                shape = (form.action, repr(sorted(form.fields)))
                if shape not in fuzzed:
                    fuzzed.add(shape)
                    fuzz(client, form, f"{route_name} as {who}")
            if forms:
                return True  # one person who may use the page is enough
        return False

    wanted = {route.name for route in routes}
    for route in routes:
        for url in candidate_urls(route, ids, slugs):
            if visit(route.name, url):
                done_routes.add(route.name)
                break  # one instance of the route's forms is enough
    # Then the links the pages showed, for routes no filled-in argument reached (the journey's
    # steps, say), until no new link turns up.
    while True:
        fresh = sorted(link for link in links if link not in tried)
        if not fresh:
            break
        for link in fresh:
            tried.add(link)
            try:
                name = resolve(link).view_name
            except Resolver404:
                continue
            if name in wanted and name not in done_routes and visit(name, link):
                done_routes.add(name)
    # The walk found the forms: a sign that discovery itself works (these pages have one each).
    actions = {re.sub(r"\d+", "N", a) for a, _ in fuzzed}
    for expected in (
        "/accounts/login/",
        "/reports/social-value/",
        "/procurement/spend/import/",
        "/apply/job-search/landlord/",
    ):
        assert any(a.startswith(expected) for a in actions), (expected, sorted(actions))
