"""The UK profile's schemas, read offline: every $ref is resolved from the files in
/work/shared/standards/openreferral-uk/schema (by bare file name and by published URL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path("/work/shared/standards/openreferral-uk/schema")
REMOTE = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"


def _registry() -> Registry:
    resources = []
    for path in SCHEMA_DIR.rglob("*.json"):
        relative = path.relative_to(SCHEMA_DIR).as_posix()
        contents = json.loads(path.read_text())
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        # The schemas refer to each other by bare file name and by their published URL.
        for uri in {relative, path.name, REMOTE + relative, f"file://{path}"}:
            resources.append((uri, resource))
    return Registry().with_resources(resources)


REGISTRY = _registry()
OPENAPI: dict[str, Any] = json.loads((SCHEMA_DIR / "openapi.json").read_text())


def schema_file(ref: str) -> str:
    """'https://raw.githubusercontent.com/.../schema/compiled/service.json' -> 'compiled/...'."""
    assert ref.startswith(REMOTE), ref
    return ref.removeprefix(REMOTE)


def errors_of(instance: Any, schema: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(schema, registry=REGISTRY, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    return [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def validate(instance: Any, schema_file_name: str) -> None:
    schema = json.loads((SCHEMA_DIR / schema_file_name).read_text())
    errors = errors_of(instance, schema)
    assert not errors, errors


def validate_page(body: dict[str, Any], item_schema: str) -> None:
    page = OPENAPI["components"]["schemas"]["Page"]
    assert not errors_of(body, page)
    for key in page["properties"]:
        assert key in body, key
    assert body["size"] == len(body["contents"])
    for item in body["contents"]:
        validate(item, item_schema)
