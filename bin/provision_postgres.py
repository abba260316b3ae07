"""Make sure the owner role, the application role and the database exist.

The application connects as a role that neither owns the tables nor has BYPASSRLS, so row-level
security applies to it; migrations run as the owner. Creating roles needs a superuser connection
(POSTGRES_SUPERUSER_URL, default the local `postgres` role); when the roles already exist nothing
is changed and no superuser is needed.
"""

import os
import sys
from urllib.parse import unquote, urlsplit

import psycopg2
from psycopg2 import sql


def parts(url: str) -> dict[str, str]:
    u = urlsplit(url)
    return {
        "user": unquote(u.username or ""),
        "password": unquote(u.password or ""),
        "host": u.hostname or "127.0.0.1",
        "port": str(u.port or 5432),
        "dbname": u.path.lstrip("/") or "consortium",
    }


def can_connect(p: dict[str, str]) -> bool:
    try:
        psycopg2.connect(connect_timeout=3, **p).close()
    except psycopg2.OperationalError:
        return False
    return True


def main() -> int:
    app_url = os.environ.get("DATABASE_URL", "")
    if not app_url.startswith(("postgres://", "postgresql://")):
        return 0
    owner_url = os.environ.get("DATABASE_OWNER_URL") or app_url
    app, owner = parts(app_url), parts(owner_url)
    if can_connect(app) and can_connect(owner):
        return 0
    su_url = os.environ.get(
        "POSTGRES_SUPERUSER_URL", f"postgres://postgres@{owner['host']}:{owner['port']}/postgres"
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
