"""The deployment files stay true to the code: docker-compose.yml, Dockerfile, .env.example.

Docker is not available where the suite runs, so the compose file is checked as data (every
service it names exists, health checks and start order are right) and .env.example is checked
against the variables the code actually reads, in both directions. The PostgreSQL init script is
run for real against the local server.
"""

from __future__ import annotations

import ast
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", "tests", "bench", "migrations", "var", "node_modules", "deploy", "bin"}
# Read by Django and Celery themselves, not by our settings; never set in .env.
FRAMEWORK_VARIABLES = {"DJANGO_SETTINGS_MODULE"}


def python_files() -> list[Path]:
    """The portal's own modules (top-level apps and manage.py), not tools, tests or the venv."""
    files = [ROOT / "manage.py"]
    for top in sorted(ROOT.iterdir()):
        if top.is_dir() and not top.name.startswith(".") and top.name not in SKIP_DIRS:
            files.extend(p for p in top.rglob("*.py") if "migrations" not in p.parts)
    return files


def variables_read_by_the_code() -> dict[str, set[str]]:
    """Every environment variable the portal reads: env.<kind>("NAME") and os.environ/getenv."""
    found: dict[str, set[str]] = {}
    for path in python_files():
        relative = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                func = node.func
                is_env = (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "env"
                )
                is_os = isinstance(func, ast.Attribute) and (
                    ast.unparse(func) in {"os.environ.get", "os.getenv", "os.environ.setdefault"}
                )
                if is_env or is_os:
                    name = node.args[0].value
            elif (
                isinstance(node, ast.Subscript)
                and ast.unparse(node.value) == "os.environ"
                and isinstance(node.slice, ast.Constant)
            ):
                name = node.slice.value
            if isinstance(name, str) and name not in FRAMEWORK_VARIABLES:
                found.setdefault(name, set()).add(str(relative))
    return found


def parse_env_example() -> dict[str, tuple[str, str]]:
    """NAME -> (value, the comment block just above it)."""
    entries: dict[str, tuple[str, str]] = {}
    comment: list[str] = []
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped:
            comment = []
        elif stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
        else:
            name, sep, value = stripped.partition("=")
            assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f"bad line: {line!r}"
            assert name not in entries, f"{name} is listed twice in .env.example"
            entries[name] = (value, " ".join(comment))
            comment = []
    return entries


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def compose_interpolated_variables() -> set[str]:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    # ${NAME}, ${NAME:-default}, ${NAME:?error}; $${NAME} is escaped (for the container's shell).
    return set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text))


# --- .env.example -----------------------------------------------------------------------------


def test_env_example_lists_every_variable_the_portal_reads() -> None:
    read = variables_read_by_the_code()
    assert "SECRET_KEY" in read and "DATABASE_URL" in read  # the scan itself works
    missing = set(read) - set(parse_env_example())
    assert not missing, f"read by the code but not in .env.example: {sorted(missing)}"


def test_every_variable_in_env_example_is_read_by_the_portal_or_by_compose() -> None:
    listed = set(parse_env_example())
    used = set(variables_read_by_the_code()) | compose_interpolated_variables()
    assert not listed - used, f"in .env.example but read by nothing: {sorted(listed - used)}"


def test_every_variable_compose_interpolates_is_in_env_example() -> None:
    missing = compose_interpolated_variables() - set(parse_env_example())
    assert not missing, f"docker-compose.yml uses variables .env.example lacks: {missing}"


def test_every_env_example_variable_has_its_own_comment() -> None:
    unexplained = [name for name, (_, comment) in parse_env_example().items() if not comment]
    assert not unexplained, f"variables without a comment line above them: {unexplained}"


def test_env_example_secrets_are_placeholders() -> None:
    entries = parse_env_example()
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "EMAIL_HOST_PASSWORD", "POSTGRES_PASSWORD"):
        assert "change-me" in entries[name][0], f"{name} must be an obvious placeholder"
    # Django's deploy check rejects a key that starts like this (security.W009).
    assert entries["SECRET_KEY"][0].startswith("django-insecure-")
    assert entries["DEMO_MODE"][0] == "false" and entries["DJANGO_DEBUG"][0] == "false"


def _example_environment(**overrides: str) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({name: value for name, (value, _) in parse_env_example().items()})
    env.update(overrides)
    return env


def test_env_example_values_start_the_portal_in_production_and_pass_check_deploy(
    tmp_path: Path,
) -> None:
    env = _example_environment(
        SECRET_KEY=secrets.token_urlsafe(50),
        VAR_DIR=str(tmp_path),
        PRIVATE_STORAGE_ROOT=str(tmp_path / "private"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_secret_key_is_refused_by_check_deploy(tmp_path: Path) -> None:
    env = _example_environment(VAR_DIR=str(tmp_path), PRIVATE_STORAGE_ROOT=str(tmp_path / "p"))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


# --- docker-compose.yml -----------------------------------------------------------------------


def test_compose_has_the_stack_and_every_referenced_service_exists() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown service {dependency}"
        for extends in [service.get("extends", {}).get("service")]:
            assert extends is None or extends in services


def test_compose_volumes_are_declared() -> None:
    data = compose()
    declared = set(data.get("volumes", {}))
    for name, service in data["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared, f"{name} uses undeclared volume {source}"


def test_compose_databases_have_health_checks_and_the_right_images() -> None:
    services = compose()["services"]
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "ping" in " ".join(services["redis"]["healthcheck"]["test"])


def test_compose_db_creates_the_owner_and_app_roles_on_first_start() -> None:
    db = compose()["services"]["db"]
    assert "./deploy/postgres-init:/docker-entrypoint-initdb.d:ro" in db["volumes"]
    assert {"DATABASE_URL", "DATABASE_OWNER_URL", "POSTGRES_PASSWORD"} <= set(db["environment"])
    assert list((ROOT / "deploy/postgres-init").glob("*.sh"))


def test_web_starts_after_migrations_and_healthy_databases_and_has_a_health_check() -> None:
    services = compose()["services"]
    web = services["web"]
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "gunicorn consortium.wsgi" in " ".join(web["command"])
    assert "deploy/healthcheck.py ready" in " ".join(web["healthcheck"]["test"])
    migrate = services["migrate"]
    assert migrate["command"][-2:] == ["migrate", "--no-input"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"


def test_exactly_one_beat_and_workers_do_not_run_beat() -> None:
    services = compose()["services"]
    running_beat = [
        name
        for name, service in services.items()
        if re.search(r"\bbeat\b|--beat\b|\s-B\b", " ".join(map(str, service.get("command", []))))
    ]
    assert running_beat == ["beat"]
    assert "replicas" not in services["beat"].get("deploy", {})
    assert "worker" in " ".join(services["worker"]["command"])


def test_app_services_share_the_image_env_file_and_private_files() -> None:
    services = compose()["services"]
    for name in ("migrate", "web", "worker", "beat"):
        assert services[name]["env_file"] == ".env", name
        assert services[name]["image"] == "consortium-portal:latest", name
    for name in ("web", "worker"):
        assert "private-files:/app/var/private" in services[name]["volumes"], name


def test_app_services_do_not_mount_the_source_tree() -> None:
    # The image is what runs: a bind mount of the checkout would hide it (and the static files).
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            assert not volume.startswith(".:") and not volume.startswith("./:"), name


# --- Dockerfile -------------------------------------------------------------------------------


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_dockerfile_builds_from_python_312_slim_and_runs_as_a_non_root_user() -> None:
    text = dockerfile()
    assert re.search(r"^FROM python:3\.12-slim", text, re.MULTILINE)
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}


def test_dockerfile_installs_weasyprint_libraries_fonts_and_gettext() -> None:
    text = dockerfile()
    for package in (
        "libpango-1.0-0",
        "libpangoft2-1.0-0",
        "libcairo2",
        "fonts-noto-core",
        "gettext",
    ):
        assert package in text, package


def test_dockerfile_installs_the_project_collects_static_and_checks_health() -> None:
    text = dockerfile()
    assert "pip install ." in text
    assert "collectstatic --no-input" in text
    assert re.search(r"SECRET_KEY=build-only", text)
    assert re.search(r'^HEALTHCHECK .*\n?.*"deploy/healthcheck\.py", "ready"', text, re.MULTILINE)
    assert "gunicorn consortium.wsgi:application" in text


def test_dockerfile_copies_only_files_that_exist_and_are_not_ignored() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for match in re.finditer(r"^COPY (?:--\S+ )*(.+) \S+$", dockerfile(), re.MULTILINE):
        for source in match.group(1).split():
            if source == ".":
                continue
            assert (ROOT / source).exists(), source
            assert source not in ignored, f"{source} is copied but .dockerignore drops it"
    for needed in ("deploy", "manage.py", "pyproject.toml", "README.md", "static", "templates"):
        assert needed not in ignored
    for secret in (".env", ".venv", ".git", "var"):
        assert secret in ignored


def test_collectstatic_accepts_the_build_time_settings(tmp_path: Path) -> None:
    # What `RUN ... collectstatic` does in the image, with the same placeholder settings. A dry
    # run: hashing and compressing every file takes minutes on a busy 2-core machine.
    keep = {"PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="build-only-not-a-secret",
        ALLOWED_HOSTS="build.invalid",
        EMAIL_HOST="build.invalid",
        VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--dry-run", "-v", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "css/portal.css" in result.stdout


# --- deploy/ scripts --------------------------------------------------------------------------


def test_container_health_check_passes_only_when_the_portal_is_ready() -> None:
    import http.server
    import threading

    seen_hosts: list[str] = []
    seen_paths: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        status = 200

        def do_GET(self) -> None:
            seen_hosts.append(self.headers["Host"])
            seen_paths.append(self.path)
            known = self.path in ("/health/ready/", "/health/live/")
            self.send_response(Handler.status if known else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {
        "PATH": os.environ["PATH"],
        "PORT": str(server.server_address[1]),
        "ALLOWED_HOSTS": ".example.org,portal.example.org",
    }
    script = [sys.executable, "deploy/healthcheck.py"]
    try:
        ok = subprocess.run(script, cwd=ROOT, env=env)
        ready = subprocess.run([*script, "ready"], cwd=ROOT, env=env)
        live = subprocess.run([*script, "live"], cwd=ROOT, env=env)
        Handler.status = 503
        down = subprocess.run([*script, "ready"], cwd=ROOT, env=env)
        unknown = subprocess.run([*script, "everything"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    finally:
        server.shutdown()
    assert (ok.returncode, ready.returncode, live.returncode) == (0, 0, 0)
    assert down.returncode == 1
    assert unknown.returncode == 2
    assert seen_paths == ["/health/ready/", "/health/ready/", "/health/live/", "/health/ready/"]
    assert seen_hosts[0] == "example.org"


def test_postgres_init_script_creates_owner_and_rls_bound_app_role_and_is_rerunnable() -> None:
    if not shutil.which("psql"):
        pytest.fail(
            "psql is needed to run the PostgreSQL init script (apt-get install postgresql-client)"
        )
    suffix = secrets.token_hex(4)
    owner, app, database = f"ci_owner_{suffix}", f"ci_app_{suffix}", f"ci_db_{suffix}"
    env = {
        "PATH": os.environ["PATH"],
        "PGHOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PGUSER": os.environ.get("POSTGRES_SUPERUSER", "postgres"),
        "DATABASE_OWNER_URL": f"postgres://{owner}:owner-pw-1@db:5432/{database}",
        "DATABASE_URL": f"postgres://{app}:app-pw-2@db:5432/{database}",
    }
    script = str(ROOT / "deploy/postgres-init/10-portal-roles.sh")

    def psql(query: str) -> str:
        return subprocess.run(
            ["psql", "-AtX", "-d", "postgres", "-c", query],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    try:
        first = subprocess.run(["bash", script], env=env, capture_output=True, text=True)
        assert first.returncode == 0, first.stderr
        again = subprocess.run(["bash", script], env=env, capture_output=True, text=True)
        assert again.returncode == 0, again.stderr
        roles = psql(
            "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles "
            f"WHERE rolname IN ('{owner}', '{app}') ORDER BY rolname"
        )
        assert roles.splitlines() == [f"{app}|f|f", f"{owner}|f|f"]
        assert (
            psql(f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname='{database}'")
            == owner
        )
    finally:
        psql(f"DROP DATABASE IF EXISTS {database}")
        psql(f"DROP ROLE IF EXISTS {app}")
        psql(f"DROP ROLE IF EXISTS {owner}")


def test_postgres_init_script_refuses_the_owner_as_app_role() -> None:
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_OWNER_URL": "postgres://same:pw@db:5432/portal",
        "DATABASE_URL": "postgres://same:pw@db:5432/portal",
    }
    result = subprocess.run(
        ["bash", str(ROOT / "deploy/postgres-init/10-portal-roles.sh")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "must not be the owner" in result.stderr
