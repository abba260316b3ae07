"""The celery_broker fixture hands back a working default broker pool when it ends.

Every broker fault test enters it; a closed pool left behind fails whichever broker test runs
next in the same process (kombu keeps pools in a process-wide registry)."""

from __future__ import annotations

from consortium.celery import app
from tests.fixtures_services import celery_broker, free_port


def test_default_pool_is_usable_after_a_private_broker() -> None:
    assert app.pool is not None  # the default pool exists before, as in a full serial run

    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        pass

    with app.connection_or_acquire() as connection:  # raises "Acquire on closed pool" if stale
        assert connection is not None
