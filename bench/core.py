"""The tiny registry every benchmark uses: a context in, a list of results out.

A benchmark is a module `bench/bench_<name>.py` with

    TITLE = "What it measures"          # optional, shown in the report
    def run(ctx: BenchContext) -> list[Result]: ...

`bench/run.py` finds it by its file name, runs it against the benchmark database and prints
every result with its ratio to the baseline measured in the same run and whether it met its
target. Figures are printed, never asserted: a slow machine makes a slow figure, not a failure.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Result:
    """One figure. `baseline` is the same work done the simplest way, measured in the same run;
    `ratio` is value / baseline. A target is either on the ratio or on the value itself."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    higher_is_better: bool = True
    target_ratio: float | None = None
    target_value: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    @property
    def target(self) -> str:
        sign = ">=" if self.higher_is_better else "<="
        if self.target_ratio is not None:
            return f"ratio {sign} {self.target_ratio:g}"
        if self.target_value is not None:
            return f"{sign} {self.target_value:,.6g} {self.unit}"
        return ""

    @property
    def passed(self) -> bool | None:
        """True or False against the target; None when there is no target."""
        if self.target_ratio is not None:
            ratio = self.ratio
            if ratio is None:
                return None
            return (
                ratio >= self.target_ratio if self.higher_is_better else ratio <= self.target_ratio
            )
        if self.target_value is not None:
            if self.higher_is_better:
                return self.value >= self.target_value
            return self.value <= self.target_value
        return None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "target": self.target, "passed": self.passed}


@dataclass
class BenchContext:
    """What run.py hands every benchmark."""

    # --scale: the number of referrals a benchmark should work at (None: its own default).
    scale: int | None
    database: str
    # Anything after `--` on the command line, for a benchmark's own options.
    extra: list[str] = field(default_factory=list)
    log: Callable[[str], None] = print

    def scale_or(self, default: int) -> int:
        return self.scale if self.scale else default

    def ensure_referrals(self, count: int) -> int:
        """Make sure the benchmark database holds at least `count` referrals, loading scale
        data for the difference. Returns how many it holds. For benchmarks that measure reads
        at a given size (the inbox at 10,000 and 1,000,000)."""
        from bench.database import as_owner, referral_count
        from devdata.scale import load_scale

        present = referral_count()
        if present < count:
            self.log(f"  loading {count - present:,} scale referrals (have {present:,})")
            # As the owner, so a big load may rebuild the indexes instead of maintaining them.
            with as_owner():
                load_scale(count - present)
            present = referral_count()
        return present


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """`with stopwatch() as elapsed: ...; elapsed()` gives seconds since the block started."""
    started = time.perf_counter()
    stopped: list[float] = []
    yield lambda: (stopped[0] if stopped else time.perf_counter()) - started
    stopped.append(time.perf_counter())


def median_seconds(work: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """The median wall time of `work()` over `repeat` runs, after `warmup` unmeasured runs."""
    for _ in range(warmup):
        work()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
