"""Security checks that run with the suite: headers, cookies, deploy checks, private files.

Headers are checked on every URL the portal can reverse without arguments (so a page added by a
later feature is covered without anyone listing it), as an anonymous visitor and signed in.
Production behaviour (Secure and __Host- cookies, `check --deploy`) is checked in a subprocess
with DJANGO_ENV=production, because settings are read once at start-up.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import NoReverseMatch, Resolver404

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


# --- Every page ---------------------------------------------------------------------------------


def _url_names(resolver: URLResolver, namespace: str = "") -> Iterator[str]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _url_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name


def argument_free_paths() -> list[str]:
    """Every path the portal can reverse without arguments: its pages a visitor can type in."""
    paths: set[str] = set()
    for name in _url_names(get_resolver()):
        try:
            paths.add(reverse(name))
        except NoReverseMatch:
            continue  # needs an id or a key: reached from another page
    return sorted(paths)


PATHS = argument_free_paths()


# Swagger UI and ReDoc set styles from their JavaScript. These pages show the API's schema (no
# personal data) and keep scripts restricted to the site's own files; nowhere else may.
INLINE_STYLES_ALLOWED = {"/api/docs/", "/api/redoc/"}


def parse_csp(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response: HttpResponse, path: str) -> None:
    where = f"{path} ({response.status_code})"
    csp_header = response.headers.get("Content-Security-Policy")
    assert csp_header, f"{where}: no Content-Security-Policy"
    csp = parse_csp(csp_header)
    scripts = csp.get("script-src", csp.get("default-src", []))
    assert scripts, f"{where}: CSP does not restrict scripts"
    assert "'unsafe-inline'" not in scripts, f"{where}: CSP allows inline scripts"
    assert "'unsafe-eval'" not in scripts, f"{where}: CSP allows eval"
    if path not in INLINE_STYLES_ALLOWED:
        assert "'unsafe-inline'" not in csp.get("style-src", []), f"{where}: inline styles"
    assert csp.get("frame-ancestors") == ["'none'"], f"{where}: page may be framed"
    assert csp.get("object-src") == ["'none'"], f"{where}: plugins allowed"
    assert csp.get("base-uri") == ["'self'"], f"{where}: <base> may point elsewhere"
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", where


def test_the_portal_has_pages_to_check() -> None:
    # Guards the parametrised tests below against silently checking nothing.
    for expected in ("/", "/services/", "/health/", "/accounts/login/"):
        assert expected in PATHS


@pytest.mark.parametrize("path", PATHS)
def test_every_page_sends_the_security_headers_to_a_visitor(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code < 500, f"{path} failed for an anonymous visitor"
    assert_security_headers(response, path)


@pytest.mark.parametrize("path", PATHS)
def test_every_page_sends_the_security_headers_when_signed_in(
    client: Client, alice, path: str
) -> None:
    client.force_login(alice)
    response = client.get(path)
    assert response.status_code < 500, f"{path} failed for a signed-in caseworker"
    assert_security_headers(response, path)


def test_not_found_and_error_pages_send_the_security_headers(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_security_headers(response, "/no-such-page/")


def test_pages_carry_no_inline_script_or_style(client: Client) -> None:
    # The CSP would block them in the browser; catching them here says which template it is.
    for path in ("/", "/services/", "/accounts/login/"):
        html = client.get(path).content.decode()
        assert " style=" not in html, f"{path} has an inline style attribute"
        assert "<style" not in html, f"{path} has an inline <style>"
        for chunk in html.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag or "nonce=" in tag, f"{path} has an inline script without nonce"


# --- Cookies ------------------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite(client: Client, alice) -> None:
    client.force_login(alice)
    response = client.get("/dashboard/")  # the session is saved on every request
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["domain"], "a session cookie for a whole domain leaks to its subdomains"


def test_csrf_cookie_is_httponly_and_samesite(client: Client) -> None:
    response = client.get("/accounts/login/")
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_language_cookie_is_httponly_and_samesite(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "ar"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


# --- Production settings, in a subprocess ---------------------------------------------------------


def production_env(**overrides: str) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SECURE_", "SESSION_"))
        and not k.startswith(("NOTIFY_", "SMS_"))
        and k not in {"SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_HOST", "DEMO_MODE"}
    }
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "consortium.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.org,testserver",
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgres://consortium_app@127.0.0.1:5432/consortium"
        ),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "EMAIL_HOST": "smtp.example.org",
        # Production sends texts through GOV.UK Notify; check --deploy wants it configured.
        "NOTIFY_API_KEY": "check-26785a09-ab16-4eb0-8407-a37497a57506"
        "-3d844edf-8d35-48ac-975b-e847b4f122b0",
        "NOTIFY_SMS_TEMPLATE_ID": "f33517ff-2a88-4f6e-b855-c550268ce08a",
        **overrides,
    }


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, env=production_env(**env), capture_output=True, text=True, timeout=120
    )


COOKIE_PROBE = """
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

# Production serves hashed static files that only exist after collectstatic (minutes on this
# machine); plain static URLs change nothing about cookies or headers.
plain_static = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
override_settings(STORAGES=plain_static).enable()
response = Client().get("/accounts/login/", secure=True, headers={"host": "portal.example.org"})
assert response.status_code == 200, response.status_code
csrf = response.cookies[settings.CSRF_COOKIE_NAME]
print("csrf", settings.CSRF_COOKIE_NAME, bool(csrf["secure"]), bool(csrf["httponly"]),
      csrf["samesite"], csrf["path"], csrf["domain"] or "-")
print("session", settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_SECURE,
      settings.SESSION_COOKIE_HTTPONLY, settings.SESSION_COOKIE_SAMESITE,
      settings.SESSION_COOKIE_PATH, settings.SESSION_COOKIE_DOMAIN or "-")
print("language", settings.LANGUAGE_COOKIE_SECURE, settings.LANGUAGE_COOKIE_HTTPONLY)
print("hsts", settings.SECURE_HSTS_SECONDS, settings.SECURE_SSL_REDIRECT)
print("headers", response.headers.get("Strict-Transport-Security", "-"))
"""


def test_production_cookies_are_secure_host_prefixed_httponly_and_samesite(
    tmp_path: Path,
) -> None:
    # The production process talks to this suite's own (already migrated) test database.
    test_db = connection.settings_dict["NAME"]
    app_url = os.environ.get("DATABASE_URL", "")
    if not app_url.startswith("postgres"):
        pytest.fail("this test needs DATABASE_URL on PostgreSQL (bin/test sets it)")
    env = {"DATABASE_URL": app_url.rsplit("/", 1)[0] + "/" + test_db, "STATIC_ROOT": str(tmp_path)}
    result = run([sys.executable, "-c", COOKIE_PROBE], **env)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()}
    # __Host- cookies are only accepted by browsers when Secure, Path=/ and without Domain.
    assert lines["csrf"] == ["__Host-csrftoken", "True", "True", "Lax", "/", "-"]
    assert lines["session"] == ["__Host-sessionid", "True", "True", "Lax", "/", "-"]
    assert lines["language"] == ["True", "True"]
    hsts_seconds, ssl_redirect = lines["hsts"]
    assert int(hsts_seconds) >= 60 * 60 * 24 * 365 and ssl_redirect == "True"
    assert lines["headers"][0].startswith("max-age=")


DEPLOY_CHECK = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]


def test_production_settings_pass_check_deploy() -> None:
    result = run(DEPLOY_CHECK)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_a_production_protection_is_switched_off() -> None:
    result = run(DEPLOY_CHECK, SECURE_SSL_REDIRECT="false")
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


def test_check_deploy_fails_when_notify_has_no_key() -> None:
    result = run(DEPLOY_CHECK, NOTIFY_API_KEY="")
    assert result.returncode != 0
    assert "consortium.E004" in result.stderr + result.stdout
    assert "NOTIFY_API_KEY is not set" in result.stderr + result.stdout


def test_a_bad_value_stops_the_deploy_check_and_names_the_variable() -> None:
    result = run(DEPLOY_CHECK, DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr
    assert "Traceback" not in result.stdout


def test_production_refuses_debug() -> None:
    result = run(DEPLOY_CHECK, DJANGO_DEBUG="true")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be false when DJANGO_ENV=production" in result.stderr


# --- Private files ------------------------------------------------------------------------------


def test_there_is_no_media_url() -> None:
    # Django reports an unset MEDIA_URL as "/" (the script prefix), so ask the module itself.
    from consortium import settings as portal_settings

    assert not getattr(portal_settings, "MEDIA_URL", ""), "uploads are never served publicly"
    assert settings.STORAGES["default"]["OPTIONS"]["base_url"] is None
    # The private store is not inside anything served as static files.
    private = Path(settings.PRIVATE_STORAGE_ROOT).resolve()
    for served in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        assert not private.is_relative_to(served.resolve())
        assert not served.resolve().is_relative_to(private)


@pytest.mark.parametrize(
    "path",
    [
        "/media/secret.pdf",
        "/media/reports/q1.xlsx",
        "/var/private/secret.pdf",
        "/private/secret.pdf",
        "/uploads/secret.pdf",
        "/static/../var/private/secret.pdf",
    ],
)
def test_no_route_serves_uploaded_files(client: Client, path: str) -> None:
    with pytest.raises(Resolver404):
        resolve(path)
    assert client.get(path).status_code == 404


def test_a_stored_private_file_cannot_be_fetched_by_any_public_path(
    client: Client, tmp_path: Path
) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    storage = storages.create_storage(
        {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path, "base_url": None}}
    )
    name = storage.save("reports/member-a/q1-private.txt", ContentFile(b"resident data"))
    candidates = {
        "/" + name,
        "/media/" + name,
        "/static/" + name,
        "/private/" + name,
        "/var/private/" + name,
    }
    for path in candidates:
        response = client.get(path)
        assert response.status_code == 404, path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"resident data" not in body, path
