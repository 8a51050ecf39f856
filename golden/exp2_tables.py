"""The structure of 2^x over a score code, as data for the structured EXP2 unit (``impl="split"``).

Every input code splits into a head and its low bits M: for HiF8 the dot field fixes the row
(stored exponent width D and mantissa width) and, with the exponent bits, the binade, so inputs of
one (sign, row, exponent) group differ only in their mantissa M; for E4M3 and E5M2 the head is the
sign and exponent field, M the mantissa; for a distance code uI.F the head is the integer part of
d (the code above its F fraction bits; tapered codes alike), M the fraction bits.
``exp2_groups(in_format, out_format)`` lists the groups whose 2^x is not 1.0 (1.0, the result of
every tiny |x| and of d = 0, is the unit's default), merged where their results are identical
("outputs shared between codes"), each with its kind:

* ``constant``: one result for the whole group (overflow, underflow, and tiny |x| that round
  to a neighbour of 1.0);
* ``stepped``: results that step by a fixed power of two in M, i.e. the first result plus M
  shifted (bare powers of two: integer x gives 2^n, and HiF8's codes of successive powers of
  two, or of half-integer steps, are successive codes): wiring, no table;
* ``table``: anything else, a table on M alone (2^M entries); ``shared_tables`` finds the tables
  that equal an earlier one plus a constant code offset, so they share it and add the offset
  (a distance code's FP16 or E4M3 P: one 2^−f table, the integer part of d moves the exponent
  field: "a table and a shift").

Results are correctly rounded (``exp2_reference``); the groups cover every code whose result is
not 1.0, which the tests check against the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .exp2 import exp2_reference
from .formats import DistanceFormat, HiF8Format, NumberFormat, get_format

__all__ = ["Exp2Group", "exp2_groups", "shared_tables"]


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


def _heads(fmt: NumberFormat) -> list[tuple[str, int]]:
    """(head bits, low bits M) of every group of input codes, in ascending code order within each
    sign (HiF8: its rows in order, exponent bits ascending)."""
    if isinstance(fmt, HiF8Format):
        out = []
        for sign in (0, 1):
            for prefix, d, mb in fmt.rows:
                ebits = d or 0
                out += [(str(sign) + prefix + (format(e, f"0{ebits}b") if ebits else ""), mb)
                        for e in range(1 << ebits)]
        return out
    low = fmt.frac_bits if isinstance(fmt, DistanceFormat) else fmt.man_bits
    return [(format(h, f"0{fmt.width - low}b"), low) for h in range(1 << (fmt.width - low))]


@lru_cache(maxsize=None)
def exp2_groups(in_format: str, out_format: str) -> tuple[Exp2Group, ...]:
    """The groups of 2^x (``in_format`` in, ``out_format`` out) whose results are not 1.0,
    identical groups merged (first-seen order, ``_heads``' order), returned last group first
    (the unit's assignment order)."""
    ref = exp2_reference(in_format, out_format)
    one = int(get_format(out_format).encode(1.0))
    merged: dict[tuple, list[str]] = {}
    for head, mb in _heads(get_format(in_format)):
        results = tuple(int(ref[int(head, 2) << mb | m]) for m in range(1 << mb))
        if set(results) == {one}:
            continue
        key = (0, results[:1]) if len(set(results)) == 1 else (mb, results)
        merged.setdefault(key, []).append(head + "-" * mb)
    return tuple(Exp2Group(tuple(p), mb, res) for (mb, res), p in reversed(merged.items()))


SHARE_MIN_BITS = 4
"""Tables on fewer low bits are not shared: a table of at most 8 entries costs less than the
adder that would reuse another (measured: HiF8's structured unit grew 5 % with sharing)."""


def shared_tables(groups: tuple[Exp2Group, ...]) -> dict[int, tuple[int, int]]:
    """For every ``table`` group (by index in ``groups``) that shares a table with another:
    (index of the group whose table it uses, constant code offset added to that table's results;
    0 for the table's own group). A table group not in the result keeps a table of its own; only
    tables on at least ``SHARE_MIN_BITS`` low bits are shared."""
    out: dict[int, tuple[int, int]] = {}
    bases: list[int] = []
    for i, g in enumerate(groups):
        if g.kind != "table" or g.mant_bits < SHARE_MIN_BITS:
            continue
        for b in bases:
            base = groups[b]
            diff = {r - q for r, q in zip(g.results, base.results)}
            if base.mant_bits == g.mant_bits and len(diff) == 1:
                out[i] = (b, diff.pop())
                out[b] = (b, 0)
                break
        else:
            bases.append(i)
    return out
