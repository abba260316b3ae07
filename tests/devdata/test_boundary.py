"""The demo and scale generators stay out of production: the devdata app is installed only in
DEMO_MODE, and the image does not ship it (issue 19)."""

from __future__ import annotations

from pathlib import Path

from tests.consortium.test_settings import ROOT, SETUP, run_python

PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 60,
    "ALLOWED_HOSTS": "portal.example.org",
    "EMAIL_HOST": "smtp.example.org",
    "DATABASE_URL": "postgres://app@127.0.0.1:5432/portal",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
LIST_COMMANDS = (
    SETUP + "from django.core.management import get_commands;"
    " print('devdata' in settings.INSTALLED_APPS, sorted(get_commands()))"
)


def test_production_has_no_seed_or_bulk_load_command() -> None:
    result = run_python(LIST_COMMANDS, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    installed, commands = result.stdout.split(" ", 1)
    assert installed == "False"
    for command in ("seed_demo", "load_scale", "demo_totp"):
        assert f"'{command}'" not in commands
    assert "'migrate'" in commands  # the listing is real


def test_the_demo_has_them(tmp_path: Path) -> None:
    result = run_python(LIST_COMMANDS, DJANGO_ENV="development", VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    installed, commands = result.stdout.split(" ", 1)
    assert installed == "True"
    for command in ("seed_demo", "load_scale", "demo_totp"):
        assert f"'{command}'" in commands


def test_the_image_ships_neither_the_generators_nor_the_benchmarks_nor_the_tests() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"devdata", "bench", "tests"} <= ignored
