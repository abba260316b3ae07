"""CPU time per call of the inbox benchmark's workloads: this process plus its PostgreSQL
backend (read from /proc, so a local server only). On a shared machine wall-clock rates move by a
factor of two between runs; CPU time per call moves much less.

    .venv/bin/python bench/inbox_cpu.py            # 200 lists, 50 pages per workload
    .venv/bin/python bench/inbox_cpu.py 400
    .venv/bin/python bench/inbox_cpu.py 200 5      # 5 rounds, interleaved: the median of each

With rounds, the four workloads take turns (list, .values(), page, bare view, then again), so a
burst of load from another process falls on all of them rather than on one; each workload's
median round is printed, and the list's ratio to `.values()` per round (median and range).

It measures the benchmark database as it is (BENCH_DATABASE_URL; it loads nothing): run it at
10,000 and at 1,000,000 referrals and compare. See bench/README.md, "Inbox".
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    from bench.database import configure_environment

    configure_environment()
    import django

    django.setup()
    from django.db import transaction
    from django.test.utils import override_settings
    from django.utils import timezone

    from bench import bench_inbox
    from bench.bench_scale_load import _backend_cpu_seconds
    from members.scoping import member_scope
    from members.selectors import actor_for_user
    from referrals import selectors

    count = int(argv[0]) if argv else 200
    provider_id, slug = bench_inbox._busiest_provider()
    client, user = bench_inbox._client_for(slug)
    with member_scope(provider_id, user_id=user.pk):
        actor = actor_for_user(user)

    def inbox_list() -> None:
        with transaction.atomic(), member_scope(provider_id, user_id=user.pk):
            now = timezone.now()
            listed = selectors.referral_inbox(actor=actor, tab="incoming", now=now)
            selectors.inbox_rows(selectors.inbox_values(listed)[:50], provider_id, now)

    def values_baseline() -> None:
        with transaction.atomic(), member_scope(provider_id, user_id=user.pk):
            list(bench_inbox._same_rows(actor).values(*bench_inbox.FIELDS)[:50])

    def page() -> None:
        assert client.get("/referrals/").status_code == 200

    def bare() -> None:
        assert client.get("/bench/bare-json/").status_code == 200

    work: list[tuple[str, Callable[[], None], int]] = [
        ("inbox list", inbox_list, count),
        ("same rows, .values()", values_baseline, count),
        ("inbox page", page, max(count // 4, 1)),
        ("bare JSON view", bare, max(count // 4, 1)),
    ]
    rounds = int(argv[1]) if len(argv) > 1 else 1
    measured: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _ in work}
    with override_settings(ROOT_URLCONF="bench.bench_inbox"):
        for _name, call, _times in work:
            for _ in range(5):
                call()
        for _ in range(rounds):
            for name, call, times in work:
                backend = _backend_cpu_seconds() or 0.0
                python = time.process_time()
                wall = time.perf_counter()
                for _ in range(times):
                    call()
                python = (time.process_time() - python) / times * 1000
                backend = ((_backend_cpu_seconds() or 0.0) - backend) / times * 1000
                wall = (time.perf_counter() - wall) / times * 1000
                measured[name].append((python, backend, wall))
    for name, _, _ in work:
        python, backend, wall = sorted(measured[name], key=lambda m: m[0] + m[1])[rounds // 2]
        print(
            f"{name:22s} CPU {python + backend:6.2f} ms/call (Python {python:.2f}, "
            f"PostgreSQL {backend:.2f}); wall {wall:.2f} ms; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
    ratios = sorted(
        (v[0] + v[1]) / (i[0] + i[1])
        for i, v in zip(measured["inbox list"], measured["same rows, .values()"], strict=True)
    )
    print(
        f"list / .values() rate ratio per round: median {ratios[rounds // 2]:.2f} "
        f"(range {ratios[0]:.2f} to {ratios[-1]:.2f}, {rounds} rounds)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
