"""Meta-test: every URL pattern has a test proving another member is refused (Zulip-style).

A test declares what it covers with `@pytest.mark.ownership("namespace:name", ...)`. This test
walks the URL configuration and fails for any named pattern that no such marker covers, unless
the pattern is listed below as public or self-only, with the reason. Unnamed patterns fail too:
they cannot be covered.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

TESTS = Path(__file__).resolve().parent

# Pages with no member's records on them: nothing to refuse. Each needs its reason.
PUBLIC: dict[str, str] = {
    "home": "public home page; consortium-wide counts only",
    "health": "reachability of services; no records",
    "set_language": "stores the visitor's language choice",
    "service_catalogue": "the public directory of shared services",
}
# Modules whose views act only on the signed-in person's own account (allauth).
SELF_ONLY_MODULE_PREFIXES = ("allauth.",)
# Django admin: one ownership test on admin:index covers the site (it refuses non-admins).
COVERED_BY = {"admin": "admin:index"}


def iter_named_patterns(
    patterns: list[URLPattern | URLResolver], namespace: str = ""
) -> Iterator[tuple[str | None, str, str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            child_ns = namespace
            if pattern.namespace:
                child_ns = f"{namespace}{pattern.namespace}:"
            yield from iter_named_patterns(pattern.url_patterns, child_ns)
        else:
            callback = pattern.callback
            module = getattr(callback, "__module__", "") or ""
            view_class = getattr(callback, "view_class", None)
            if view_class is not None:
                module = view_class.__module__
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield name, module, str(pattern.pattern), namespace.rstrip(":")


def declared_ownership_markers() -> set[str]:
    covered: set[str] = set()
    for path in TESTS.rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "ownership"
            ):
                covered.update(
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                )
    return covered


def test_every_url_pattern_has_an_ownership_test() -> None:
    covered = declared_ownership_markers()
    uncovered = []
    for name, module, route, namespace in iter_named_patterns(get_resolver().url_patterns):
        if module.startswith(SELF_ONLY_MODULE_PREFIXES):
            continue
        if namespace in COVERED_BY:
            if COVERED_BY[namespace] not in covered:
                uncovered.append(f"{name or route} (needs {COVERED_BY[namespace]})")
            continue
        if name is None:
            uncovered.append(f"(unnamed) {route} in {module}")
            continue
        if name in PUBLIC or name in covered:
            continue
        uncovered.append(name)
    assert uncovered == [], (
        "These URL patterns have no test proving another member is refused. Add a "
        "test_it_checks_ownership_* test with @pytest.mark.ownership(<name>) (or list the "
        "pattern as PUBLIC with a reason if it shows no member's records):\n  "
        + "\n  ".join(sorted(uncovered))
    )


def test_the_meta_test_sees_markers_and_patterns() -> None:
    names = {name for name, _, _, _ in iter_named_patterns(get_resolver().url_patterns)}
    assert {"home", "health", "dashboard"} <= names
    assert "dashboard" in declared_ownership_markers()
