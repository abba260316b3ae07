"""Make sure the owner role, the application role and the database exist.

The application connects as a role that neither owns the tables nor has BYPASSRLS, so row-level
security applies to it; migrations run as the owner. Creating roles needs a superuser connection
(POSTGRES_SUPERUSER_URL, default the local `postgres` role); when the roles already exist nothing
is changed and no superuser is needed.
"""

import os
import socket
import sys
from pathlib import Path

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import parse_dsn


def parts(url: str) -> dict[str, str]:
    # libpq parses the URL: a percent-encoded host is a socket directory (the embedded server).
    dsn = parse_dsn(url)
    return {
        "user": dsn.get("user", ""),
        "password": dsn.get("password", ""),
        "host": dsn.get("host", "127.0.0.1"),
        "port": dsn.get("port", "5432"),
        "dbname": dsn.get("dbname", "consortium"),
    }


def server_answers(url: str) -> bool:
    """Whether a PostgreSQL server listens where the URL points (whoever may sign in)."""
    p = parts(url)
    if p["host"].startswith("/"):
        return (Path(p["host"]) / f".s.PGSQL.{p['port']}").exists()
    try:
        socket.create_connection((p["host"], int(p["port"])), timeout=3).close()
    except OSError:
        return False
    return True


def can_connect(p: dict[str, str]) -> bool:
    try:
        psycopg2.connect(connect_timeout=3, **p).close()
    except psycopg2.OperationalError:
        return False
    return True


def main() -> int:
    if sys.argv[1:] == ["--server-answers"]:
        return 0 if server_answers(os.environ.get("DATABASE_URL", "")) else 1
    app_url = os.environ.get("DATABASE_URL", "")
    if not app_url.startswith(("postgres://", "postgresql://")):
        return 0
    owner_url = os.environ.get("DATABASE_OWNER_URL") or app_url
    app, owner = parts(app_url), parts(owner_url)
    if can_connect(app) and can_connect(owner):
        return 0
    su_url = os.environ.get("POSTGRES_SUPERUSER_URL") or (
        f"postgres://postgres@{owner['host']}:{owner['port']}/postgres"
    )
    try:
        conn = psycopg2.connect(connect_timeout=5, **{**parts(su_url), "dbname": "postgres"})
    except psycopg2.OperationalError as exc:
        print(
            f"error: cannot connect to PostgreSQL as {app['user']!r}/{owner['user']!r}, nor as a "
            f"superuser to create them ({exc}).\nStart PostgreSQL, or create the roles yourself "
            "(see README, 'Database roles').",
            file=sys.stderr,
        )
        return 1
    conn.autocommit = True
    with conn.cursor() as cur:
        for role, extra in ((owner, sql.SQL("CREATEDB")), (app, sql.SQL(""))):
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role["user"]])
            if cur.fetchone() is None:
                cur.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS {}").format(
                        sql.Identifier(role["user"]), extra
                    )
                )
            if role["password"]:
                cur.execute(
                    sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(role["user"])),
                    [role["password"]],
                )
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [owner["dbname"]])
        if cur.fetchone() is None:
            cur.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(owner["dbname"]), sql.Identifier(owner["user"])
                )
            )
    conn.close()
    print(f"PostgreSQL: owner {owner['user']!r}, application role {app['user']!r} ready.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
