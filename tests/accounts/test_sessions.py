"""Sessions end after inactivity; production cookies are secure and HttpOnly, and production
settings pass `check --deploy --fail-level WARNING`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

pytestmark = pytest.mark.django_db
ROOT = Path(settings.BASE_DIR)


def test_sessions_slide_and_expire_after_thirty_idle_minutes(client, alice):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    client.force_login(alice)
    assert client.get("/dashboard/").status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = session.expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)

    # Thirty-one idle minutes later, the session is gone.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(minutes=1))
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SESSION_"))}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="x7!" + "k" * 30 + "Q9zP#mT2vL8wR4yB6nD0sF3hJ5cX1aE",
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL="postgres://consortium_app@127.0.0.1:5432/consortium_acc",
        REDIS_URL="redis://127.0.0.1:6379/10",
        EMAIL_HOST="smtp.example.org",
        # Production sends texts through GOV.UK Notify; the deploy check wants it configured.
        NOTIFY_API_KEY="check-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0",
        NOTIFY_SMS_TEMPLATE_ID="f33517ff-2a88-4f6e-b855-c550268ce08a",
        VAR_DIR=str(tmp_path),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    return env


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_cookies_are_secure_and_http_only(tmp_path):
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'SESSION_COOKIE_SECURE','SESSION_COOKIE_HTTPONLY','SESSION_COOKIE_NAME',"
        "'CSRF_COOKIE_SECURE','CSRF_COOKIE_HTTPONLY','LANGUAGE_COOKIE_SECURE',"
        "'SESSION_COOKIE_AGE','SESSION_EXPIRE_AT_BROWSER_CLOSE','SECURE_SSL_REDIRECT')}))"
    )
    env = _production_env(tmp_path) | {"DJANGO_SETTINGS_MODULE": "consortium.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    flags = json.loads(result.stdout.strip().splitlines()[-1])
    assert flags["SESSION_COOKIE_SECURE"] is True
    assert flags["SESSION_COOKIE_HTTPONLY"] is True
    assert flags["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert flags["CSRF_COOKIE_SECURE"] is True
    assert flags["CSRF_COOKIE_HTTPONLY"] is True
    assert flags["LANGUAGE_COOKIE_SECURE"] is True
    assert flags["SESSION_COOKIE_AGE"] == 1800
    assert flags["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert flags["SECURE_SSL_REDIRECT"] is True
