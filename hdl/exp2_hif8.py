"""``Exp2HiF8``: p = 2^x for a HiF8 input x, output in FP16 (RNE) or HiF8 (TA), one per cycle."""

from __future__ import annotations

from amaranth import Module, Signal, unsigned

from ..golden.exp2 import exp2_reference
from ..golden.exp2_tables import exp2_groups
from ..golden.formats import get_format
from ..golden.params import ChoiceParam
from .pipeline import StreamPipeline, stages_param

__all__ = ["Exp2HiF8", "exp2_hif8_logic", "OUT_FORMATS", "IMPLS", "IMPL", "OUT_FORMAT",
           "STAGES"]

IMPL = ChoiceParam("impl", ("table", "split"), "truth table left to synthesis, or structured")
OUT_FORMAT = ChoiceParam("out_format", ("fp16", "hif8"), "format of 2^x (FP16 RNE, HiF8 TA)")
OUT_FORMATS, IMPLS = OUT_FORMAT.choices, IMPL.choices


class Exp2HiF8(StreamPipeline):
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

    latency = 1
    CUTS = ("input",)

    def __init__(self, *, out_format: str = "fp16", impl: str = "table", stages: int = 0):
        for param, value in ((OUT_FORMAT, out_format), (IMPL, impl)):
            try:
                param.check(value)
            except ValueError as exc:
                self.reject(str(exc))
        self._out_format = out_format
        self._impl = impl
        super().__init__(unsigned(8), unsigned(get_format(out_format).width), stages=stages)

    @property
    def out_format(self) -> str:
        return self._out_format

    @property
    def impl(self) -> str:
        return self._impl

    def datapath(self, m, payload, reg):
        (payload,) = self.cuts("input", payload)
        return reg(exp2_hif8_logic(m, payload, out_format=self._out_format, impl=self._impl))


STAGES = stages_param(Exp2HiF8.CUTS)


def exp2_hif8_logic(m: Module, code, *, out_format: str, impl: str) -> Signal:
    """The combinational 2^x of ``Exp2HiF8`` (shared with ``SoftmaxLanes``' lanes)."""
    result = Signal(get_format(out_format).width, name="exp2")
    if impl == "table":
        table = exp2_reference("hif8", out_format)
        with m.Switch(code):
            for c, out in enumerate(table):
                with m.Case(c):
                    m.d.comb += result.eq(int(out))
    else:
        _split(m, code, result, out_format)
    return result


# -- the structured implementation ----------------------------------------------------------------

def _split(m: Module, code, result, out_format: str):
    """HiF8's rows: every (sign, row, exponent) group of codes (``golden.exp2_tables``) is a
    constant, the first result plus M shifted (stepped results: powers of two), or a table on
    its mantissa M alone; 1.0 (every tiny |x|) is the default."""
    m.d.comb += result.eq(int(get_format(out_format).encode(1.0)))
    for group in exp2_groups(out_format):
        mant = code[:group.mant_bits]
        with m.If(code.matches(*group.patterns)):
            if group.kind == "constant":
                m.d.comb += result.eq(group.results[0])
            elif group.kind == "stepped":
                m.d.comb += result.eq(group.results[0] + (mant << group.step_shift))
            else:
                with m.Switch(mant):
                    for k, value in enumerate(group.results):
                        with m.Case(k):
                            m.d.comb += result.eq(value)
