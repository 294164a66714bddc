"""python -m bench [scenario ...] [--quick] [--json PATH]: run the benchmarks, print a table, write JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.util
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.report import render

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Scenario name -> module in bench/ with run(quick) -> dict.
OWN = {
    "latency": "bench.latency",
    "reconcile": "bench.reconcile_cost",
    "swap": "bench.swap",
    "api": "bench.api_load",
    "scaleout": "bench.scaleout",
}
# Modules with their own run() signatures: how many rows / minutes in each mode.
IMPORT_ROWS = {"quick": 2_000, "full": 100_000}
DEFAULT_SOAK_MINUTES = 10.0


def _optional(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _run_own(module: str, quick: bool) -> dict[str, Any]:
    result: dict[str, Any] = importlib.import_module(module).run(quick=quick)
    return result


def scenarios(args: argparse.Namespace) -> dict[str, Callable[[], dict[str, Any]]]:
    """Every scenario this checkout has, each as a call taking no argument."""
    found: dict[str, Callable[[], dict[str, Any]]] = {
        name: partial(_run_own, module, args.quick) for name, module in OWN.items()
    }
    if _optional("bench.import_legacy"):
        rows = IMPORT_ROWS["quick" if args.quick else "full"]
        found["import"] = lambda: importlib.import_module("bench.import_legacy").run(rows)
    if _optional("bench.soak"):
        found["soak"] = lambda: importlib.import_module("bench.soak").run(args.soak_minutes)
    return found


def machine() -> dict[str, Any]:
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "scenarios",
        nargs="*",
        help="latency, reconcile, swap, api, scaleout, import, soak (default: all but soak)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: checks the harness, not the timings"
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="results file (default: bench/results/<time>.json)"
    )
    parser.add_argument("--soak-minutes", type=float, default=DEFAULT_SOAK_MINUTES)
    parser.add_argument(
        "--note", default="", help="free text stored with the results (e.g. 'machine shared')"
    )
    args = parser.parse_args(argv)

    available = scenarios(args)
    chosen = args.scenarios or [name for name in available if name != "soak"]
    unknown = [name for name in chosen if name not in available]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; available: {', '.join(available)}")

    results: dict[str, Any] = {
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "quick": args.quick,
        "note": args.note,
        "machine": machine(),
        "scenarios": {},
    }
    failed = []
    for name in chosen:
        started = time.monotonic()
        print(f"-- running {name}{' (quick)' if args.quick else ''}", file=sys.stderr, flush=True)
        try:
            result = available[name]()
        except Exception as exc:
            traceback.print_exc()
            failed.append(name)
            result = {"error": f"{type(exc).__name__}: {exc}"}
        result["wall_seconds"] = round(time.monotonic() - started, 1)
        results["scenarios"][name] = result
        print(render(name, result) if "error" not in result else f"== {name}\nFAILED: {result['error']}")
        print(flush=True)

    path = (
        args.json
        or RESULTS_DIR / f"{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}{'-quick' if args.quick else ''}.json"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"results: {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
