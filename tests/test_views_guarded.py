"""Meta-test: every page is guarded the one way (STYLE.md, "one base for every entry point").

Walks the URL configuration and fails for an HTML page whose view is not wrapped by
`members.pages.staff_page`, and for an API route whose view is not an `api.base.ScopedViewSet`,
unless the page is listed below as one that is not a staff page, with the reason. A new page is
refused until it says who may open it. And no code reads `request.actor` itself: the guard hands
the view its actor, and anything else asks `members.actor.actor_of(request)`, which is typed.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

from api.base import ScopedViewSet
from members.pages import page_rule

RESIDENT_JOURNEY = "the resident's journey: open to anyone, held in their own session"
OPEN_REFERRAL = "the public Open Referral UK feed: services and members, never residents"

# Pages that are not staff pages. Each needs its reason.
NOT_STAFF_PAGES: dict[str, str] = {
    "home": "public home page; consortium-wide counts only",
    "health": "readiness for the monitors; no records",
    "health_live": "the process answers; touches nothing",
    "health_ready": "readiness for the monitors; no records",
    "set_language": "stores any visitor's language choice",
    "dashboard": "any signed-in person, resident or staff: their own roles and member",
    "service_catalogue": "the public directory of shared services",
    "services:detail": "the public directory of shared services",
    "services:eligibility": "a resident checks a service's conditions; nothing is stored",
    "members:invitation_accept": "opened from an invitation email, before the person has a role",
    "applications:mine": "a signed-in resident's own applications (login_required)",
    **{
        f"applications:{name}": RESIDENT_JOURNEY
        for name in (
            "start",
            "step",
            "check",
            "confirmation",
            "letter",
            "status_start",
            "status_code",
            "status_detail",
            "status_withdraw",
        )
    },
    **{
        f"openreferral:{name}": OPEN_REFERRAL
        for name in (
            "index",
            "services",
            "service_detail",
            "taxonomies",
            "taxonomy_detail",
            "taxonomy_terms",
            "taxonomy_term_detail",
            "service_at_locations",
            "service_at_location_detail",
            "openapi",
        )
    },
    "api:schema": "the API's description (OpenAPI); no records",
    "api:docs": "the API's description (Swagger UI); no records",
    "api:redoc": "the API's description (ReDoc); no records",
}
# Guarded by their own framework: allauth's pages act on the signed-in person's own account;
# Django admin refuses anyone who is not an admin (consortium/admin_site.py).
OWN_GUARD_MODULE_PREFIXES = ("allauth.",)
OWN_GUARD_NAMESPACES = ("admin",)
ROOT = Path(__file__).resolve().parents[1]


def iter_patterns(
    patterns: list[URLPattern | URLResolver], namespace: str = ""
) -> Iterator[tuple[str, Callable[..., object], str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            child = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from iter_patterns(pattern.url_patterns, child)
        else:
            name = f"{namespace}{pattern.name}" if pattern.name else f"(unnamed) {pattern.pattern}"
            yield name, pattern.callback, namespace.rstrip(":")


def _guarded(callback: Callable[..., object]) -> bool:
    viewset = getattr(callback, "cls", None)  # a DRF router's view
    if viewset is not None:
        return issubclass(viewset, ScopedViewSet)
    return page_rule(callback) is not None


def _checked_patterns() -> Iterator[tuple[str, Callable[..., object]]]:
    for name, callback, namespace in iter_patterns(get_resolver().url_patterns):
        module = getattr(callback, "__module__", "") or ""
        if module.startswith(OWN_GUARD_MODULE_PREFIXES) or namespace in OWN_GUARD_NAMESPACES:
            continue
        yield name, callback


def test_every_staff_page_is_guarded_by_staff_page() -> None:
    unguarded = [
        name
        for name, callback in _checked_patterns()
        if name not in NOT_STAFF_PAGES and not _guarded(callback)
    ]
    assert unguarded == [], (
        "These pages are not guarded: wrap the view in members.pages.staff_page (an API view "
        "inherits api.base.ScopedViewSet), or list it in NOT_STAFF_PAGES with the reason:\n  "
        + "\n  ".join(sorted(unguarded))
    )


def test_the_list_of_pages_that_are_not_staff_pages_is_current() -> None:
    patterns = dict(_checked_patterns())
    stale = sorted(set(NOT_STAFF_PAGES) - set(patterns))
    assert stale == [], f"no longer a URL pattern (remove from NOT_STAFF_PAGES): {stale}"
    guarded = sorted(name for name in NOT_STAFF_PAGES if _guarded(patterns[name]))
    assert guarded == [], f"now guarded (remove from NOT_STAFF_PAGES): {guarded}"


def test_the_meta_test_sees_guarded_pages_and_viewsets() -> None:
    patterns = dict(_checked_patterns())
    assert _guarded(patterns["referrals:inbox"])
    assert _guarded(patterns["api:token_list"])
    assert _guarded(patterns["api:referral-list"])
    assert not _guarded(patterns["home"])


def test_nothing_reads_request_actor_but_actor_of() -> None:
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        parts = set(path.relative_to(ROOT).parts)
        if parts & {".venv", "migrations", "tests", "var"}:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "actor"
                and isinstance(node.value, ast.Name)
                and node.value.id == "request"
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == [], f"take the actor from staff_page, or call actor_of(request): {found}"
