"""Run every benchmark in bench/ and print its figures and ratios.

    .venv/bin/python bench/run.py                  # every bench/bench_*.py
    .venv/bin/python bench/run.py --only scale_load --scale 1000000
    .venv/bin/python bench/run.py --list
    .venv/bin/python bench/run.py --json var/bench.json

Benchmarks run on PostgreSQL only, in their own database (BENCH_DATABASE_URL, default
consortium_bench; see bench/README.md). Each figure is printed with the baseline measured in the
same run and whether it met its target; nothing is asserted on time, so the exit status is 0
unless a benchmark crashed (or, with --strict, missed a target).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def discover() -> dict[str, Path]:
    """bench_<name>.py files, by name."""
    return {path.stem.removeprefix("bench_"): path for path in sorted(BENCH_DIR.glob("bench_*.py"))}


def _format(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
    return f"{text} {unit}".strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="Run only this benchmark (repeatable), e.g. scale_load.",
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=None,
        metavar="N",
        help="Number of referrals to benchmark at (each benchmark has a default).",
    )
    parser.add_argument("--list", action="store_true", help="List the benchmarks and exit.")
    parser.add_argument("--json", metavar="PATH", help="Also write the results as JSON.")
    parser.add_argument(
        "--strict", action="store_true", help="Exit 1 when a figure misses its target."
    )
    parser.add_argument("extra", nargs="*", help="After --: options for the benchmarks.")
    args = parser.parse_args(argv)

    found = discover()
    if args.list:
        for name in found:
            print(name)
        return 0
    unknown = [name for name in args.only if name not in found]
    if unknown:
        print(
            f"error: no benchmark named {', '.join(unknown)} (have: {', '.join(found)})",
            file=sys.stderr,
        )
        return 2
    selected = {name: path for name, path in found.items() if not args.only or name in args.only}

    from bench.database import BenchDatabaseError, configure_environment, prepare, provision

    try:
        database = configure_environment()
        provision()
    except BenchDatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import django

    django.setup()
    from bench.core import BenchContext, Result

    print(f"Benchmark database: {database}")
    prepare()
    ctx = BenchContext(scale=args.scale, database=database, extra=args.extra)

    results: dict[str, list[Result]] = {}
    crashed: list[str] = []
    for name in selected:
        module = importlib.import_module(f"bench.bench_{name}")
        title = getattr(module, "TITLE", name)
        print(f"\n== {name}: {title}")
        started = time.perf_counter()
        try:
            results[name] = list(module.run(ctx))
        except Exception:  # noqa: BLE001 - report it, run the next benchmark
            traceback.print_exc()
            crashed.append(name)
            continue
        for result in results[name]:
            verdict = {True: "met", False: "MISSED", None: ""}[result.passed]
            print(f"  {result.name}")
            print(f"    figure   {_format(result.value, result.unit)}")
            if result.baseline is not None:
                print(
                    f"    baseline {_format(result.baseline, result.unit)}"
                    f" ({result.baseline_label})"
                )
                print(f"    ratio    {_format(result.ratio)}")
            if result.target:
                print(f"    target   {result.target}: {verdict}")
            if result.note:
                print(f"    note     {result.note}")
        print(f"  ({time.perf_counter() - started:.1f} s)")

    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps({name: [r.as_dict() for r in rs] for name, rs in results.items()}, indent=2)
        )
    missed = [r.name for rs in results.values() for r in rs if r.passed is False]
    print(
        f"\n{sum(len(r) for r in results.values())} figures, {len(missed)} missed targets"
        + (f", crashed: {', '.join(crashed)}" if crashed else "")
    )
    if crashed:
        return 1
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
