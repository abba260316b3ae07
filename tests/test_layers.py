"""Views and API endpoints stay thin: they read through selectors and write through services,
never query the ORM themselves (HackSoft's styleguide; ARCHITECTURE.md).

Where the rule is not yet met, ALLOWANCE says how many queries remain in each module; the test
fails when a module grows past its allowance and when it drops below (lower the number), so the
list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Modules that are HTTP in and out.
HTTP_MODULES = sorted({*ROOT.glob("*/views.py"), *ROOT.glob("api/*.py")}, key=str)
HTTP_MODULES = [
    p
    for p in HTTP_MODULES
    if p.name not in {"services.py", "selectors.py", "__init__.py", "apps.py", "models.py"}
    and ".venv" not in p.parts
]
QUERY_ATTRIBUTES = {"objects", "unscoped_objects", "unscoped", "for_member"}
ALLOWANCE = {
    "api/views.py": 20,
    "api/applications.py": 2,
    "api/serializers.py": 1,
    "applications/views.py": 2,
    "learning/views.py": 1,
    "members/views.py": 11,
    "procurement/views.py": 4,
    "referrals/views.py": 4,
}


def queries_in(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in QUERY_ATTRIBUTES
    )


def test_views_and_endpoints_do_not_query_the_orm_beyond_their_allowance() -> None:
    found = {str(p.relative_to(ROOT)): queries_in(p) for p in HTTP_MODULES}
    found = {name: count for name, count in found.items() if count}
    grown = {n: c for n, c in found.items() if c > ALLOWANCE.get(n, 0)}
    shrunk = {
        n: (ALLOWANCE[n], found.get(n, 0)) for n in ALLOWANCE if found.get(n, 0) < ALLOWANCE[n]
    }
    assert not grown, f"query the ORM in a selector or service instead: {grown}"
    assert not shrunk, f"fewer queries than allowed (lower ALLOWANCE): {shrunk}"


def test_the_scan_sees_a_query() -> None:
    assert "api/views.py" in {str(p.relative_to(ROOT)) for p in HTTP_MODULES}
    assert queries_in(ROOT / "members" / "selectors.py") > 0
