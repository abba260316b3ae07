"""The embedded PostgreSQL server that bin/demo (and bin/test, on a machine without PostgreSQL)
runs: started once per data directory, the roles of production, never orphaned, and a damaged
data directory explained rather than deleted (issue 13)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from consortium.embedded_postgres import (
    APP_ROLE,
    OWNER_ROLE,
    SOCKET_PORT,
    EmbeddedPostgres,
    EmbeddedPostgresError,
    socket_dir_for,
)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _wrapper(data: Path, *command: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - the project's own module
        [sys.executable, "-m", "consortium.embedded_postgres", "run", "--data", str(data),
         "--purpose", "a test", "--", *command],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for(predicate, timeout: float = 60) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def _postmaster_pid(data: Path) -> int | None:
    try:
        return int((data / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    return (
        Path(f"/proc/{pid}").exists() and b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes()
    )


def test_a_directory_that_is_not_a_database_is_explained_and_kept(tmp_path: Path) -> None:
    data = tmp_path / "postgres"
    data.mkdir()
    (data / "notes.txt").write_text("mine")
    with pytest.raises(EmbeddedPostgresError) as caught:
        EmbeddedPostgres(data).ensure_initialised()
    message = str(caught.value)
    assert "not a complete PostgreSQL data directory" in message
    assert "Nothing was deleted" in message and f"rm -rf {data.resolve()}" in message
    assert (data / "notes.txt").read_text() == "mine"


def test_a_database_of_another_major_version_is_explained_and_kept(tmp_path: Path) -> None:
    data = tmp_path / "postgres"
    (data / "global").mkdir(parents=True)
    (data / "global" / "pg_control").write_bytes(b"x")
    (data / "PG_VERSION").write_text("15\n")
    with pytest.raises(EmbeddedPostgresError, match="holds a PostgreSQL 15 database"):
        EmbeddedPostgres(data).ensure_initialised()
    assert (data / "PG_VERSION").exists()


def test_initialised_once_and_an_interrupted_first_start_is_redone(tmp_path: Path) -> None:
    data = tmp_path / "postgres"
    scratch = tmp_path / "postgres.initialising"
    scratch.mkdir()
    (scratch / "half-written").write_text("")
    server = EmbeddedPostgres(data)
    assert server.ensure_initialised() is True
    assert (data / "PG_VERSION").read_text().strip() == "18"
    assert not scratch.exists()
    assert server.ensure_initialised() is False


def test_a_deep_checkout_puts_the_socket_in_the_temp_directory(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["a-long-folder-name"] * 6) / "postgres"
    sockets = socket_dir_for(deep)
    assert len(str(sockets / f".s.PGSQL.{SOCKET_PORT}")) <= 107
    assert socket_dir_for(deep) == sockets  # the settings and the server agree


def test_the_server_has_productions_roles_and_dies_with_its_parent(tmp_path: Path) -> None:
    data = tmp_path / "postgres"
    wrapper = _wrapper(data, "sleep", "120")
    try:
        _wait_for(lambda: (socket_dir_for(data) / f".s.PGSQL.{SOCKET_PORT}").exists())
        server = EmbeddedPostgres(data)
        _wait_for(lambda: _can_connect(server.url(APP_ROLE)))
        with psycopg2.connect(server.url(APP_ROLE)) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname IN (%s, %s)"
                " ORDER BY rolname",
                [APP_ROLE, OWNER_ROLE],
            )
            assert cur.fetchall() == [(APP_ROLE, False, False), (OWNER_ROLE, False, False)]
            cur.execute("SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database"
                        " WHERE datname = current_database()")  # fmt: skip
            assert cur.fetchone() == (OWNER_ROLE,)

        # A second user of the same data directory is told, and the first is untouched.
        second = _wrapper(data, "true")
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "already in use by a test" in err

        pid = _postmaster_pid(data)
        assert pid and _alive(pid)
        wrapper.send_signal(signal.SIGKILL)  # a crash: no handler, no atexit, no finally
        wrapper.wait(timeout=10)
        _wait_for(lambda: not _alive(pid), timeout=30)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
    # Nothing stale blocks the next start.
    again = _wrapper(data, sys.executable, "-c", "print('started again')")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert "started again" in out


def _can_connect(url: str) -> bool:
    try:
        psycopg2.connect(url, connect_timeout=2).close()
    except psycopg2.OperationalError:
        return False
    return True


def test_the_command_gets_the_servers_urls_and_its_exit_status(tmp_path: Path) -> None:
    data = tmp_path / "postgres"
    probe = (
        "import os, sys; print(os.environ['DATABASE_URL']);"
        " print(os.environ['DATABASE_OWNER_URL']); sys.exit(7)"
    )
    done = _wrapper(data, sys.executable, "-c", probe)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 7, err
    app_url, owner_url = out.split()
    assert app_url.startswith(f"postgres://{APP_ROLE}@") and app_url.endswith("/consortium")
    assert owner_url.startswith(f"postgres://{OWNER_ROLE}@")
    pid = _postmaster_pid(data)
    assert pid is None or not _alive(pid)  # stopped when the command ended
    assert os.environ.get("DATABASE_URL") != app_url
