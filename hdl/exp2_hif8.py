"""``Exp2HiF8``: p = 2^x for a HiF8 input x, output in FP16 (RNE) or HiF8 (TA), one per cycle:
``Exp2Code`` with HiF8 in (the unit the paper's area claim is about)."""

from __future__ import annotations

from ..golden.params import ChoiceParam
from .exp2_code import IMPL, Exp2Code
from .pipeline import stages_param

__all__ = ["Exp2HiF8", "OUT_FORMATS", "IMPLS", "IMPL", "OUT_FORMAT", "STAGES"]

OUT_FORMAT = ChoiceParam("out_format", ("fp16", "hif8"), "format of 2^x (FP16 RNE, HiF8 TA)")
OUT_FORMATS, IMPLS = OUT_FORMAT.choices, IMPL.choices


class Exp2HiF8(Exp2Code):
    """2^x of a HiF8 code, correctly rounded: FP16 (RNE) or HiF8 (TA, non-saturating).

    Total over all 256 codes: 2^NaN = NaN (0x7E00 / 0x80), 2^−Inf = +0, 2^+Inf = overflow = +Inf.
    Streams: ``i`` carries one HiF8 code per beat, ``o`` one FP16 or HiF8 code. Latency 1 cycle
    (registered output), one result per cycle.

    ``impl="table"``: a 256-entry truth table left to synthesis. ``impl="split"``: structured by
    HiF8's rows: the dot field and exponent bits pick a group of codes that differ only in the
    mantissa M; a group's 2^x is a constant, a power-of-two step in M (wiring: integer x gives
    bare powers of two), or a table on M alone; identical groups share one case and 1.0 (tiny
    |x|) is the default (``golden.exp2_tables.exp2_groups``).

    ``stages`` = 1 adds the one optional register cut, ``input`` (the code registered before
    the table; latency 2): the table is a few levels of logic, so there is nothing to split.
    """

    def __init__(self, *, out_format: str = "fp16", impl: str = "table", stages: int = 0):
        super().__init__(in_format="hif8", out_format=out_format, impl=impl, stages=stages)

    @staticmethod
    def _checks(in_format, out_format, impl):
        return ((OUT_FORMAT, out_format), (IMPL, impl))


STAGES = stages_param(Exp2HiF8.CUTS)
