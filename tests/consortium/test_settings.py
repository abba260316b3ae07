"""Settings come from the environment with strict parsing, and an embedded default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from consortium.env import Env, EnvError

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL", "DJANGO_ENV"}
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "consortium.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


SETUP = "import django; django.setup(); from django.conf import settings; "


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes", "on"])
def test_booleans_accept_the_usual_true_spellings(value: str) -> None:
    assert Env({"FLAG": value}).bool("FLAG", False) is True


@pytest.mark.parametrize("value", ["false", "0", "no", "off", "Off"])
def test_booleans_accept_the_usual_false_spellings(value: str) -> None:
    assert Env({"FLAG": value}).bool("FLAG", True) is False


def test_a_bad_boolean_is_an_error_naming_the_variable() -> None:
    with pytest.raises(EnvError, match=r"DJANGO_DEBUG must be a boolean.*'maybe'"):
        Env({"DJANGO_DEBUG": "maybe"}).bool("DJANGO_DEBUG", False)


def test_a_bad_integer_is_an_error_naming_the_variable() -> None:
    with pytest.raises(EnvError, match="SESSION_IDLE_MINUTES must be a whole number"):
        Env({"SESSION_IDLE_MINUTES": "ten"}).int("SESSION_IDLE_MINUTES", 30)


def test_an_integer_below_its_minimum_is_an_error() -> None:
    with pytest.raises(EnvError, match="must be at least 5"):
        Env({"SESSION_IDLE_MINUTES": "1"}).int("SESSION_IDLE_MINUTES", 30, minimum=5)


def test_a_url_with_the_wrong_scheme_is_an_error_that_hides_the_secret() -> None:
    with pytest.raises(EnvError) as caught:
        Env({"DATABASE_URL": "mysql://user:hunter2@db/x"}).url("DATABASE_URL", ["postgres"])
    assert "DATABASE_URL must be a URL starting with postgres://" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_choice_outside_the_list_is_an_error() -> None:
    with pytest.raises(EnvError, match="DJANGO_ENV must be one of development, test, production"):
        Env({"DJANGO_ENV": "staging"}).choice(
            "DJANGO_ENV", "development", ["development", "test", "production"]
        )


def test_a_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret-from-file\n")
    assert Env({"SECRET_KEY_FILE": str(secret)}).str("SECRET_KEY") == "s3cret-from-file"


def test_an_unreadable_secret_file_is_an_error_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(EnvError, match="SECRET_KEY_FILE: cannot read"):
        Env({"SECRET_KEY_FILE": str(tmp_path / "missing")}).str("SECRET_KEY")


def test_blank_values_count_as_unset() -> None:
    assert Env({"ALLOWED_HOSTS": "  "}).list("ALLOWED_HOSTS", ["x"]) == ["x"]


def test_lists_are_comma_separated_and_trimmed() -> None:
    assert Env({"ALLOWED_HOSTS": "a.example, b.example ,"}).list("ALLOWED_HOSTS") == [
        "a.example",
        "b.example",
    ]


def test_the_portal_refuses_to_start_with_a_bad_value() -> None:
    result = run_python(SETUP + "print('started')", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr
    assert "started" not in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = run_python(
        SETUP + "print('started')",
        DJANGO_ENV="production",
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL="postgres://app@127.0.0.1/x",
        REDIS_URL="redis://127.0.0.1:6379/0",
        EMAIL_HOST="smtp.example.org",
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_default_is_the_private_postgresql_in_var_and_in_process_tasks(
    tmp_path: Path,
) -> None:
    result = run_python(
        SETUP + "db = settings.DATABASES['default']; print(db['ENGINE'], db['HOST'], db['USER'],"
        " settings.DATABASE_OWNER_URL.split('@')[0], settings.CELERY_TASK_ALWAYS_EAGER,"
        " settings.CACHES['default']['BACKEND'])",
        DJANGO_ENV="development",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        # The server's Unix socket directory beside its data directory in VAR_DIR.
        str(tmp_path.resolve() / "postgres.run"),
        "consortium_app",
        "postgres://consortium_owner",
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
    ]
    assert result.stderr.count("Embedded mode") == 1
    assert "embedded PostgreSQL" in result.stderr and "no REDIS_URL" in result.stderr


def test_sqlite_is_refused() -> None:
    result = run_python(SETUP, DJANGO_ENV="development", DATABASE_URL="sqlite:///portal.db")
    assert result.returncode != 0
    assert "DATABASE_URL must be a URL starting with postgres://" in result.stderr


def test_embedded_mode_starts_without_system_check_warnings(tmp_path: Path) -> None:
    # bin/demo should not greet the user with warnings (and none is silenced for it).
    result = run_python(
        SETUP + "from django.core.management import call_command; call_command('check')",
        DJANGO_ENV="development",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "W040" not in result.stderr + result.stdout


def test_with_urls_set_it_uses_postgresql_and_redis_and_is_not_embedded() -> None:
    result = run_python(
        SETUP + "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER,"
        " settings.CELERY_BROKER_URL)",
        DJANGO_ENV="development",
        DATABASE_URL="postgres://app@127.0.0.1:5432/portal",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "False",
        "redis://127.0.0.1:6379/3",
    ]
    assert "Embedded mode" not in result.stderr


def test_argon2_is_the_first_password_hasher_outside_tests(tmp_path: Path) -> None:
    result = run_python(
        SETUP + "print(settings.PASSWORD_HASHERS[0])",
        DJANGO_ENV="development",
        VAR_DIR=str(tmp_path),
    )
    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_the_content_security_policy_middleware_is_on() -> None:
    from django.conf import settings

    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in settings.MIDDLEWARE
    assert "'unsafe-inline'" not in settings.SECURE_CSP["script-src"]
