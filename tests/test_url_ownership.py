"""Meta-test: every URL pattern has a test proving another member is refused (Zulip-style).

A test declares what it covers with `@pytest.mark.ownership("namespace:name", ...)` (on the
test, or on one `pytest.param` of it), and must request each URL it names: tests/conftest.py
watches the requests a marked test makes and fails it otherwise. This test asks pytest itself
which markers the suite declares (a collection of the whole suite in a subprocess, so it holds
however the run was filtered), walks the URL configuration, and fails for any named pattern that
no marker covers, unless it is listed below as public or self-only, with the reason. Unnamed
patterns fail too: they cannot be covered.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

TESTS = Path(__file__).resolve().parent

# Pages with no member's records on them: nothing to refuse. Each needs its reason.
PUBLIC: dict[str, str] = {
    "home": "public home page; consortium-wide counts only",
    "health": "readiness (as health_ready): reachability of services; no records",
    "health_live": "the process answers; touches nothing",
    "health_ready": "reachability of services and the outbox backlog size; no records",
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


_COLLECT = """
import json, sys
import pytest

class Markers:
    names = set()

    def pytest_collection_finish(self, session):
        for item in session.items:
            for marker in item.iter_markers("ownership"):
                self.names.update(marker.args)

markers = Markers()
args = ["--collect-only", "-q", "-p", "no:cacheprovider", sys.argv[1]]
code = pytest.main(args, plugins=[markers])
print("OWNERSHIP " + json.dumps(sorted(markers.names)))
sys.exit(0 if code == 0 else 1)
"""


@functools.cache
def declared_ownership_markers() -> set[str]:
    done = subprocess.run(  # noqa: S603 - this interpreter, collecting this suite
        [sys.executable, "-c", _COLLECT, str(TESTS)],
        cwd=TESTS.parent, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    line = next((x for x in done.stdout.splitlines() if x.startswith("OWNERSHIP ")), None)
    assert done.returncode == 0 and line, f"collecting the suite failed:\n{done.stdout[-3000:]}"
    return set(json.loads(line.removeprefix("OWNERSHIP ")))


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
