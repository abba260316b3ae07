"""Container health check: GET /health/ready/ (readiness) on the local gunicorn, as the load
balancer would.

Used by the Dockerfile's HEALTHCHECK and docker-compose.yml. It sends the first of ALLOWED_HOSTS
as the Host header (Django refuses other hosts) and says it came over HTTPS from the proxy, so
production's HTTPS redirect does not answer instead of the portal. Exit 0 when the portal can
serve (HTTP 200, "ok" or "degraded": a Redis outage degrades, it does not make the container
unhealthy), 1 when the database is unreachable (503) or gunicorn does not answer. A restart
probe should ask /health/live/ instead, which touches nothing (`python deploy/healthcheck.py
live`). Standard library only: the image has no curl.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

PROBES = {"ready": "/health/ready/", "live": "/health/live/"}


def main(argv: list[str]) -> int:
    probe = argv[1] if len(argv) > 1 else "ready"
    if probe not in PROBES:
        sys.stderr.write(f"usage: healthcheck.py [{'|'.join(PROBES)}]\n")
        return 2
    hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
    host = next((h for h in hosts if h and h != "*"), "localhost")
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(  # noqa: S310 - fixed http://127.0.0.1 URL
        f"http://127.0.0.1:{port}{PROBES[probe]}",
        headers={"Host": host, "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - as above
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        sys.stderr.write(f"health: HTTP {exc.code}\n")
    except OSError as exc:
        sys.stderr.write(f"health: {type(exc).__name__}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
