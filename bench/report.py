"""Percentiles, goal checks and the plain-text table every scenario's rows are printed as."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of unsorted values; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(values: Sequence[float], digits: int = 1) -> dict[str, Any]:
    """n, p50, p95, p99 and max of a sample, rounded."""

    def r(value: float | None) -> float | None:
        return None if value is None else round(value, digits)

    return {
        "n": len(values),
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "p99": r(percentile(values, 99)),
        "max": r(max(values) if values else None),
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 1)


def goal(
    name: str, measured: float | None, limit: float, unit: str, *, at_least: bool = False
) -> dict[str, Any]:
    """A goal of the issue with the figure measured in this run and whether it is met."""
    met = measured is not None and (measured >= limit if at_least else measured <= limit)
    sign = ">=" if at_least else "<="
    return {"goal": f"{name} {sign} {limit:g} {unit}", "measured": measured, "met": met}


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def table(rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows of one scenario as an aligned text table; columns are the union of the rows' keys."""
    rows = list(rows)
    if not rows:
        return "(no rows)"
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    lines = ["  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines.extend(
        "  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in cells
    )
    return "\n".join(lines)


def render(name: str, result: Mapping[str, Any]) -> str:
    """A scenario's result as printed: its table, then its goals."""
    rows = result.get("rows") or [
        {
            key: value
            for key, value in result.items()
            if isinstance(value, str | int | float) and key != "wall_seconds"
        }
    ]
    parts = [f"== {name}", table(rows)]
    if result.get("ratios"):
        parts.append(table(result["ratios"]))
    for item in result.get("goals", []):
        verdict = "met" if item["met"] else "NOT MET"
        parts.append(f"goal {item['goal']}: measured {_cell(item['measured'])} -> {verdict}")
    for note in result.get("notes", []):
        parts.append(f"note: {note}")
    return "\n".join(parts)
