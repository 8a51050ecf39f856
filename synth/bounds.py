"""Area regression bounds: a checked-in file of per-configuration areas with a tolerance.

``area_bounds.json`` maps library → module → area in GE, and module → logic transistors (the
CMOS estimate, the same for every library). A unit that grows beyond either bound by more than
the tolerance fails the check, with the excess and percent. Raising a bound is a
deliberate edit of the file, reviewed like code.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["BOUNDS_FILE", "load_bounds", "check_bounds"]

BOUNDS_FILE = Path(__file__).with_name("area_bounds.json")


def load_bounds(path: Path = BOUNDS_FILE) -> dict:
    return json.loads(Path(path).read_text())


def check_bounds(results, bounds: dict) -> list[str]:
    """Messages for every result above its bound (or without one); empty when all are within."""
    tol = float(bounds["tolerance"])
    problems = []
    for r in results:
        if getattr(r, "block", None):
            continue                         # bounds hold whole designs; blocks are a breakdown
        table = bounds["libraries"].get(r.library, {})
        if r.module not in table:
            problems.append(f"{r.module} ({r.library}): no area bound in {BOUNDS_FILE.name}; "
                            f"add one (measured {r.area_ge:.1f} GE)")
            continue
        bound = float(table[r.module])
        if r.area_ge > bound * (1 + tol):
            problems.append(f"{r.module} ({r.library}): {r.area_ge:.1f} GE exceeds the bound "
                            f"{bound:.1f} GE by {r.area_ge - bound:.1f} GE "
                            f"({100 * (r.area_ge / bound - 1):.1f}%, tolerance {100 * tol:.0f}%)")
        transistors = bounds.get("logic_transistors", {})
        if r.module not in transistors:
            problems.append(f"{r.module}: no logic-transistor bound in {BOUNDS_FILE.name}; add "
                            f"one (measured {r.logic_transistors})")
        elif r.logic_transistors > transistors[r.module] * (1 + tol):
            t = transistors[r.module]
            problems.append(f"{r.module}: {r.logic_transistors} logic transistors exceed the "
                            f"bound {t} by {r.logic_transistors - t} "
                            f"({100 * (r.logic_transistors / t - 1):.1f}%, tolerance "
                            f"{100 * tol:.0f}%)")
    return problems
