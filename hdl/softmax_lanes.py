"""``SoftmaxLanes``: the vector-side EXP2 lanes and per-row running sums (``baps.md`` block 4)."""

from amaranth import Array, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ..golden.baps import L_INT_BITS, P_FORMAT, SCORE_FORMAT, BapsConfig
from ..golden.formats import FP32, NumberFormat, get_format
from . import codec
from .baps_layouts import code_beat, prob_beat
from .exp2_hif8 import IMPL, exp2_hif8_logic
from .pipeline import discard
from .rescale import check_tile_params

__all__ = ["SoftmaxLanes"]


def _p_fixed(m: Module, fmt: NumberFormat, code, frac: int):
    """P (a ``fmt`` code with 0 ≤ P ≤ 1) as an integer in units of 2^−frac; ``special`` for NaN,
    +Inf and P > 1 (possible only above a saturated running max)."""
    f = codec.decode(m, fmt, code)
    fixed = codec.to_fixed(m, fmt, f, frac, 1)
    value = Signal(frac + 1, name="p_fixed")
    special = Signal(name="p_special")
    m.d.comb += [
        special.eq(f.nan | f.inf | fixed.pos_huge | (fixed.t > (1 << frac))),
        value.eq(Mux(special | f.sign, 0, fixed.t)),
    ]
    return value, special, f.nan


def _fixed_to_fp32(m: Module, l, frac: int, nan, inf):
    """FP32 (RNE, rounded once) of l·2^−frac for an unsigned fixed-point ``l``; NaN and +Inf
    flags win."""
    code = codec.round_fixed(m, FP32, l, frac)
    out = Signal(FP32.width, name="l_fp32")
    m.d.comb += out.eq(Mux(nan, FP32.nan_code, Mux(inf, FP32.inf_code, code)))
    return out


class SoftmaxLanes(wiring.Component):
    """x codes in (``score_format``, ``lanes`` per beat with the side band), P = 2^x out
    (``p_format``), l at row ends.

    ``lanes`` EXP2 units (``Exp2HiF8`` logic, ``impl`` table or split) in parallel; per row r of
    ``br`` a running sum l[r] = (l[r] >> −shift) + Σ P in unsigned fixed point with F fraction bits
    (every P in (0, 1] is a multiple of 2^−F: 22 for HiF8) and ``l_int_bits`` integer bits (a
    shift, no multiplier; the shift truncates; the sum saturates), restarted on the row's first
    block. At the last beat of the row's last block the beat also carries l as FP32 (RNE; NaN/+Inf
    when a P was NaN/+Inf or > 1). Bit-exact with ``golden.baps``. Latency 2 cycles, one beat per cycle, global stall.
    """

    latency = 2

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, m_width: int = 16,
                 l_int_bits: int = 16, impl: str = "table", score_format: str = "hif8",
                 p_format: str = "hif8"):
        try:
            check_tile_params(br=br, bc=bc, lanes=lanes, m_width=m_width)
            for param, value in ((IMPL, impl), (L_INT_BITS, l_int_bits),
                                 (SCORE_FORMAT, score_format), (P_FORMAT, p_format)):
                param.check(value)
        except ValueError:
            discard(self)
            raise
        self.br, self.bc, self.lanes, self.m_width = br, bc, lanes, m_width
        self.l_int_bits, self.impl = l_int_bits, impl
        self.score_format, self.p_format = get_format(score_format), get_format(p_format)
        self.l_frac = BapsConfig(p_format=p_format).l_frac_bits
        super().__init__({
            "i": In(stream.Signature(code_beat(lanes, self.score_format.width, br, m_width))),
            "o": Out(stream.Signature(prob_beat(lanes, br, self.p_format.width))),
        })

    def elaborate(self, platform):
        m = Module()
        lanes = self.lanes
        l_width = self.l_int_bits + self.l_frac
        l_max = (1 << l_width) - 1
        advance = Signal()
        m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance)]

        # Stage A: the EXP2 lanes, registered with the side band.
        a = Signal.like(self.i.payload, name="a")
        a_valid = Signal()
        a_p = Signal.like(self.o.payload.p, name="a_p")
        p_codes = [exp2_hif8_logic(m, self.i.payload.codes[k], out_format=self.p_format.name,
                                   impl=self.impl) for k in range(lanes)]
        with m.If(advance):
            m.d.sync += [a_valid.eq(self.i.valid), a.eq(self.i.payload)]
            m.d.sync += [a_p[k].eq(p_codes[k]) for k in range(lanes)]

        # Running sums: beat sum of P, rescale on the row's first beat, write back on its last.
        beat_sum = 0
        beat_special = 0
        beat_nan = 0
        for k in range(lanes):
            value, special, nan = _p_fixed(m, self.p_format, a_p[k], self.l_frac)
            beat_sum = beat_sum + value
            beat_special = beat_special | special
            beat_nan = beat_nan | nan
        row_l = Array(Signal(l_width, name=f"l{r}") for r in range(self.br))
        row_inf = Array(Signal(name=f"inf{r}") for r in range(self.br))
        row_nan = Array(Signal(name=f"nan{r}") for r in range(self.br))
        acc, acc_inf, acc_nan = Signal(l_width), Signal(), Signal()
        distance = Signal(range(1 << (self.m_width + 1)))
        m.d.comb += distance.eq(-a.shift)
        old_l, old_inf, old_nan = Signal(l_width), Signal(), Signal()
        m.d.comb += [old_l.eq(row_l[a.row]), old_inf.eq(row_inf[a.row]),
                     old_nan.eq(row_nan[a.row])]
        rescaled = Mux(distance >= l_width, 0, old_l >> distance)
        base = Mux(a.first_beat, Mux(a.first_block, 0, rescaled), acc)
        base_inf = Mux(a.first_beat, ~a.first_block & old_inf, acc_inf)
        base_nan = Mux(a.first_beat, ~a.first_block & old_nan, acc_nan)
        total = Signal(l_width + 1)
        new_l, new_inf, new_nan = Signal(l_width), Signal(), Signal()
        m.d.comb += [
            total.eq(base + beat_sum),
            new_l.eq(Mux(total > l_max, l_max, total)),
            new_inf.eq(base_inf | (beat_special & ~beat_nan)),
            new_nan.eq(base_nan | beat_nan),
        ]
        with m.If(advance & a_valid):
            m.d.sync += [acc.eq(new_l), acc_inf.eq(new_inf), acc_nan.eq(new_nan)]
            with m.If(a.last_beat):
                m.d.sync += [row_l[a.row].eq(new_l), row_inf[a.row].eq(new_inf),
                             row_nan[a.row].eq(new_nan)]

        # Stage B: the output register.
        o = self.o.payload
        end = a.last_block & a.last_beat
        with m.If(advance):
            m.d.sync += [
                self.o.valid.eq(a_valid),
                o.p.eq(a_p),
                o.row.eq(a.row),
                o.first_block.eq(a.first_block),
                o.last_block.eq(a.last_block),
                o.last_beat.eq(a.last_beat),
                o.end_of_row.eq(end),
                o.l.eq(Mux(end, _fixed_to_fp32(m, new_l, self.l_frac, new_nan, new_inf), 0)),
            ]
        return m
