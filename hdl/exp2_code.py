"""``Exp2Code``: p = 2^x for an x in any score code, P in any P format, one per cycle."""

from __future__ import annotations

from amaranth import Module, Signal, unsigned

from ..golden.baps import P_FORMAT, SCORE_FORMAT
from ..golden.exp2 import exp2_reference
from ..golden.exp2_tables import exp2_groups, shared_tables
from ..golden.formats import get_format
from ..golden.params import ChoiceParam
from .pipeline import StreamPipeline, stages_param

__all__ = ["Exp2Code", "exp2_logic", "IMPL", "IN_FORMAT", "OUT_FORMAT", "STAGES"]

IMPL = ChoiceParam("impl", ("table", "split"), "truth table left to synthesis, or structured")
IN_FORMAT = ChoiceParam("in_format", SCORE_FORMAT.choices, "score code of x", "u5.4/e2")
OUT_FORMAT = ChoiceParam("out_format", P_FORMAT.choices, "P format of 2^x", "fp16")


class Exp2Code(StreamPipeline):
    """2^x of an ``in_format`` code (the choices of ``golden.baps.SCORE_FORMAT``: HiF8, E4M3,
    E5M2, the distance codes uI.F), correctly rounded once to ``out_format`` (``P_FORMAT``'s:
    HiF8 TA, FP16, E4M3 and qI.F RNE): the table ``golden.exp2.exp2_reference`` verified exhaustively.

    Total over every input code: 2^NaN = the output's NaN (qI.F: its top code), 2^−Inf (a
    distance code's "far") = +0, 2^+Inf and overflow = +Inf (E4M3, qI.F: the largest value).
    Streams: ``i`` carries one input code per beat, ``o`` one output code. Latency 1 cycle
    (registered output), one result per cycle.

    ``impl="table"``: a truth table of every input code left to synthesis. ``impl="split"``:
    structured: the input's head (HiF8: dot field and exponent; E4M3/E5M2: sign and exponent;
    distance codes: the integer part of d) picks a group of codes that differ only in their low
    bits M; a group's 2^x is a constant, a power-of-two step in M, or a table on M alone, and a
    table that equals an earlier one plus a constant code offset shares it and adds the offset
    (a distance code's FP16 P: one 2^−f table, d's integer part moves the exponent field);
    identical groups share one case and 1.0 is the default (``golden.exp2_tables``).

    ``stages`` = 1 adds the one optional register cut, ``input`` (the code registered before
    the table; latency 2).
    """

    latency = 1
    CUTS = ("input",)
    PARAMS = ()             # (IN_FORMAT, OUT_FORMAT, IMPL, STAGES), set below

    @classmethod
    def check_arguments(cls, *, in_format, out_format, impl, stages):
        for param, value in ((IN_FORMAT, in_format), (OUT_FORMAT, out_format), (IMPL, impl)):
            param.check(value)
        super().check_arguments(stages=stages)

    def __init__(self, *, in_format: str = "hif8", out_format: str = "hif8", impl: str = "table",
                 stages: int = 0):
        self._in_format, self._out_format, self._impl = in_format, out_format, impl
        super().__init__(unsigned(get_format(in_format).width),
                         unsigned(get_format(out_format).width), stages=stages)

    @property
    def in_format(self) -> str:
        return self._in_format

    @property
    def out_format(self) -> str:
        return self._out_format

    @property
    def impl(self) -> str:
        return self._impl

    def datapath(self, m, payload, reg):
        (payload,) = self.cuts("input", payload)
        return reg(exp2_logic(m, payload, in_format=self._in_format,
                              out_format=self._out_format, impl=self._impl))


STAGES = stages_param(Exp2Code.CUTS)
Exp2Code.PARAMS = (IN_FORMAT, OUT_FORMAT, IMPL, STAGES)


def exp2_logic(m: Module, code, *, in_format: str, out_format: str, impl: str) -> Signal:
    """The combinational 2^x of ``Exp2Code`` (shared with ``SoftmaxLanes``' lanes)."""
    result = Signal(get_format(out_format).width, name="exp2")
    if impl == "table":
        table = exp2_reference(in_format, out_format)
        with m.Switch(code):
            for c, out in enumerate(table):
                with m.Case(c):
                    m.d.comb += result.eq(int(out))
    else:
        _split(m, code, result, in_format, out_format)
    return result


def _split(m: Module, code, result, in_format: str, out_format: str):
    """The groups of ``golden.exp2_tables``: constants, the first result plus M shifted
    (stepped), and tables on M, each shared table built once with its offset chosen by the
    group; 1.0 is the default."""
    width = len(result)
    m.d.comb += result.eq(int(get_format(out_format).encode(1.0)))
    groups = exp2_groups(in_format, out_format)
    shared = shared_tables(groups)
    tables, offsets = {}, {}
    for b in sorted({b for b, _ in shared.values()}):                 # the shared tables
        base = groups[b]
        tables[b] = Signal(width, name=f"exp2_table{b}")
        offsets[b] = Signal(width, name=f"exp2_offset{b}")
        with m.Switch(code[:base.mant_bits]):
            for k, value in enumerate(base.results):
                with m.Case(k):
                    m.d.comb += tables[b].eq(value)
    for i, group in enumerate(groups):
        mant = code[:group.mant_bits]
        with m.If(code.matches(*group.patterns)):
            if group.kind == "constant":
                m.d.comb += result.eq(group.results[0])
            elif group.kind == "stepped":
                m.d.comb += result.eq(group.results[0] + (mant << group.step_shift))
            elif i in shared:
                b, offset = shared[i]
                m.d.comb += [offsets[b].eq(offset % (1 << width)),
                             result.eq((tables[b] + offsets[b])[:width])]
            else:                              # a table of its own, inside the group's case
                with m.Switch(mant):
                    for k, value in enumerate(group.results):
                        with m.Case(k):
                            m.d.comb += result.eq(value)
