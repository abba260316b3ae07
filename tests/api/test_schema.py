"""The OpenAPI schema and the documentation pages: served by the portal itself (no CDN), every
operation documents its error responses, and only these pages relax the CSP (styles, workers)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests.api.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(db: Any) -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def test_the_schema_is_valid_openapi_3(schema: dict[str, Any]) -> None:
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_every_operation_documents_its_errors(schema: dict[str, Any]) -> None:
    operations = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "patch", "put", "delete"}
    ]
    assert len(operations) >= 40
    for path, method, op in operations:
        codes = set(op["responses"])
        assert {"401", "403", "429"} <= codes, (method, path, codes)
        if "{id}" in path:
            assert "404" in codes, (method, path)
        takes_input = any(p["in"] == "query" for p in op.get("parameters", []))
        if takes_input or (method in {"post", "patch"} and "requestBody" in op):
            assert "400" in codes, (method, path)
        error = op["responses"]["403"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/Error"}


def test_the_error_schema_is_the_one_format(schema: dict[str, Any]) -> None:
    body = schema["components"]["schemas"]["ErrorBody"]
    assert set(body["properties"]) == {"code", "message", "fields"}


@pytest.mark.ownership("api:schema", "api:docs", "api:redoc")
def test_it_checks_ownership_of_the_documentation(cast: Any, world: World) -> None:
    """The schema and the docs describe the API, never any member's records: the same for
    everyone, signed in or not."""
    anonymous = Client().get(reverse("api:schema"))
    charlie = Client()
    charlie.force_login(cast.charlie)
    as_charlie = charlie.get(reverse("api:schema"))
    assert anonymous.status_code == as_charlie.status_code == 200
    assert anonymous.content == as_charlie.content
    text = anonymous.content.decode()
    for secret in (world.member_a.name, world.referral.reference, cast.alice.email):
        assert secret not in text
    for name in ("api:docs", "api:redoc"):
        page = charlie.get(reverse(name)).content.decode()
        assert world.member_a.name not in page and world.referral.reference not in page


def test_the_docs_pages_load_everything_from_the_portal(db: Any) -> None:
    client = Client()
    for name, asset in (
        ("api:docs", "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"),
        ("api:redoc", "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
    ):
        response = client.get(reverse(name))
        assert response.status_code == 200
        html = response.content.decode()
        assert f"/static/{asset}" in html
        assert finders.find(asset), asset
        assert "https://" not in html and "http://" not in html.replace("http://testserver", "")
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-eval" not in csp
        assert "style-src 'self' 'unsafe-inline'" in csp


def test_other_pages_keep_the_strict_policy(db: Any) -> None:
    csp = Client().get(reverse("home"))["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "blob:" not in csp


def test_the_swagger_script_is_served_without_inline_code(db: Any) -> None:
    client = Client()
    html = client.get(reverse("api:docs")).content.decode()
    assert "<script>" not in html  # every script has a src (split view)
    script = client.get(reverse("api:docs") + "?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_schema_can_be_read_as_yaml(db: Any) -> None:
    loaded = yaml.safe_load(Client().get(reverse("api:schema")).content)
    assert "/api/v1/referrals/{id}/accept/" in loaded["paths"]
