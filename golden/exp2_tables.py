"""The structure of 2^x over HiF8 inputs, as data for the structured EXP2 unit (``impl="split"``).

HiF8's dot field fixes, for every input code, the row (stored exponent width D and mantissa width)
and, with the exponent bits, the binade: inputs of one (sign, row, exponent) group differ only in
their mantissa M. ``exp2_groups(out_format)`` lists the groups whose 2^x is not 1.0 (1.0, the
result of every tiny |x|, is the unit's default), merged where their results are identical
("outputs shared between codes"), each with its kind:

* ``constant``: one result for the whole group (overflow, underflow, and tiny |x| that round
  to a neighbour of 1.0);
* ``stepped``: results that step by a fixed power of two in M, i.e. the first result plus M
  shifted (bare powers of two: integer x gives 2^n, and HiF8's codes of successive powers of
  two, or of half-integer steps, are successive codes): wiring, no table;
* ``table``: anything else, a table on M alone (at most 8 entries).

Results are correctly rounded (``exp2_reference``); the groups cover every code whose result is
not 1.0, which the tests check against the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .exp2 import exp2_reference
from .formats import HIF8, get_format

__all__ = ["Exp2Group", "exp2_groups"]


@dataclass(frozen=True)
class Exp2Group:
    """Input codes matching any of ``patterns`` ('0', '1', '-' per bit, MSB first) have
    2^x = ``results[M]``, M the low ``mant_bits`` bits of the code."""

    patterns: tuple[str, ...]
    mant_bits: int
    results: tuple[int, ...]

    @property
    def kind(self) -> str:
        if len(set(self.results)) == 1:
            return "constant"
        return "stepped" if self.step_shift is not None else "table"

    @property
    def step_shift(self) -> int | None:
        """s when results[M] = results[0] + (M << s) for every M, else None."""
        step = self.results[1] - self.results[0] if len(self.results) > 1 else 0
        if step <= 0 or step & (step - 1):
            return None
        if any(r != self.results[0] + k * step for k, r in enumerate(self.results)):
            return None
        return step.bit_length() - 1


@lru_cache(maxsize=None)
def exp2_groups(out_format: str) -> tuple[Exp2Group, ...]:
    """The groups of 2^x (HiF8 in, ``out_format`` out) whose results are not 1.0, identical
    groups merged (first-seen order, sign 0 first, rows in HiF8's order, exponent bits
    ascending), returned last group first (the unit's assignment order)."""
    ref = exp2_reference("hif8", out_format)
    one = int(get_format(out_format).encode(1.0))
    merged: dict[tuple, list[str]] = {}
    for sign in (0, 1):
        for prefix, d, mb in HIF8.rows:
            ebits = d or 0
            for e in range(1 << ebits):
                head = str(sign) + prefix + (format(e, f"0{ebits}b") if ebits else "")
                results = tuple(int(ref[int(head, 2) << mb | m]) for m in range(1 << mb))
                if set(results) == {one}:
                    continue
                key = (0, results[:1]) if len(set(results)) == 1 else (mb, results)
                merged.setdefault(key, []).append(head + "-" * mb)
    return tuple(Exp2Group(tuple(p), mb, res) for (mb, res), p in reversed(merged.items()))
