"""Fail fast, with a clear message, when PostgreSQL or Redis is not reachable."""

import os
import sys
import time

import psycopg2
import redis


def main() -> int:
    deadline = time.monotonic() + float(os.environ.get("SERVICE_WAIT_SECONDS", "20"))
    checks = {
        "PostgreSQL": lambda: psycopg2.connect(
            os.environ["DATABASE_URL"], connect_timeout=2
        ).close(),
        "Redis": lambda: redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=2).ping(),
    }
    for name, check in checks.items():
        while True:
            try:
                check()
                break
            except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
                if time.monotonic() > deadline:
                    print(f"error: {name} is not reachable: {exc}", file=sys.stderr)
                    return 1
                time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
