"""``SoftmaxLanes``: the vector-side EXP2 lanes and per-row running sums (``baps.md`` block 4)."""

from amaranth import Array, C, Cat, Module, Mux, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ..golden.formats import HIF8
from .baps_layouts import code_beat, prob_beat
from .exp2_hif8 import IMPLS, exp2_hif8_logic
from .hif8_decode import decode_hif8
from .pipeline import discard
from .rescale import check_tile_params

__all__ = ["SoftmaxLanes", "L_FRAC"]

L_FRAC = 22          # every HiF8 value in (0, 1] is a multiple of 2^-22
FP32_NAN, FP32_INF = 0x7FC00000, 0x7F800000


def _p_fixed(m: Module, code):
    """P (a HiF8 code with 0 ≤ P ≤ 1) as an integer in units of 2^-22; ``special`` for NaN,
    +Inf and P > 1 (possible only above a saturated running max)."""
    f = decode_hif8(m, code)
    value = Signal(L_FRAC + 1, name="p_fixed")
    special = Signal(name="p_special")
    shift = Signal(range(32))
    m.d.comb += shift.eq(f.exponent + L_FRAC)            # E ∈ [−22, 0] → 0..22
    in_range = ~f.sign & ~f.zero & ~f.nan & ~f.inf & (f.exponent <= 0)
    big = (f.exponent > 0) | ((f.exponent == 0) & (f.sig != 8))
    m.d.comb += [
        value.eq(Mux(in_range & ~big, (f.sig << shift) >> 3, 0)),
        special.eq(f.nan | f.inf | (~f.zero & ~f.sign & big)),
    ]
    return value, special, f.nan


def _fixed_to_fp32(m: Module, l, nan, inf):
    """FP32 (RNE) of l · 2^-22 for an unsigned fixed-point ``l``; NaN / +Inf flags win."""
    width = len(l)
    p = Signal(range(width))
    for i in range(width):
        with m.If(l[i]):
            m.d.comb += p.eq(i)
    norm = Signal(width + 24)            # leading one at bit width+23, then the fraction
    m.d.comb += norm.eq((l << (width + 23)) >> p)
    top = width + 23
    mant = norm[top - 23:top]
    guard = norm[top - 24]
    sticky = norm[:top - 24] != 0
    up = guard & (sticky | mant[0])
    rounded = Signal(25)
    m.d.comb += rounded.eq(Cat(mant, C(1, 1)) + up)       # 1.mant + up, may carry to 2.0
    exp = Signal(9)
    m.d.comb += exp.eq(p - L_FRAC + 127 + rounded[24])
    out = Signal(32, name="l_fp32")
    with m.If(nan):
        m.d.comb += out.eq(FP32_NAN)
    with m.Elif(inf):
        m.d.comb += out.eq(FP32_INF)
    with m.Elif(l == 0):
        m.d.comb += out.eq(0)
    with m.Else():
        m.d.comb += out.eq(Cat(Mux(rounded[24], 0, rounded[:23]), exp[:8], C(0, 1)))
    return out


class SoftmaxLanes(wiring.Component):
    """HiF8 x codes in (``lanes`` per beat with the side band), P = HiF8(2^x) out, l at row ends.

    ``lanes`` EXP2 units (``Exp2HiF8`` logic, HiF8 out, ``impl`` table or split) in parallel; per
    row r of ``br`` a running sum l[r] = (l[r] >> −shift) + Σ P in unsigned fixed point with 22
    fraction bits and ``l_int_bits`` integer bits (a shift, no multiplier; the shift truncates;
    the sum saturates), restarted on the row's first block. At the last beat of the row's last
    block the beat also carries l as FP32 (RNE; NaN/+Inf when a P was NaN/+Inf or > 1).
    Bit-exact with ``golden.baps``. Latency 2 cycles, one beat per cycle, global stall.
    """

    latency = 2

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, m_width: int = 16,
                 l_int_bits: int = 16, impl: str = "table"):
        try:
            check_tile_params(br=br, bc=bc, lanes=lanes, m_width=m_width)
            if impl not in IMPLS:
                raise ValueError(f"impl={impl!r} is not allowed; allowed: {', '.join(IMPLS)}")
            if not isinstance(l_int_bits, int) or not 1 <= l_int_bits <= 40:
                raise ValueError(f"l_int_bits={l_int_bits!r} is not allowed; allowed: integers 1..40")
        except ValueError:
            discard(self)
            raise
        self.br, self.bc, self.lanes, self.m_width = br, bc, lanes, m_width
        self.l_int_bits, self.impl = l_int_bits, impl
        super().__init__({
            "i": In(stream.Signature(code_beat(lanes, 8, br, m_width))),
            "o": Out(stream.Signature(prob_beat(lanes, br))),
        })

    def elaborate(self, platform):
        m = Module()
        lanes = self.lanes
        l_width = self.l_int_bits + L_FRAC
        l_max = (1 << l_width) - 1
        advance = Signal()
        m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance)]

        # Stage A: the EXP2 lanes, registered with the side band.
        a = Signal.like(self.i.payload, name="a")
        a_valid = Signal()
        a_p = Signal.like(self.o.payload.p, name="a_p")
        p_codes = [exp2_hif8_logic(m, self.i.payload.codes[k], out_format="hif8", impl=self.impl)
                   for k in range(lanes)]
        with m.If(advance):
            m.d.sync += [a_valid.eq(self.i.valid), a.eq(self.i.payload)]
            m.d.sync += [a_p[k].eq(p_codes[k]) for k in range(lanes)]

        # Running sums: beat sum of P, rescale on the row's first beat, write back on its last.
        beat_sum = 0
        beat_special = 0
        beat_nan = 0
        for k in range(lanes):
            value, special, nan = _p_fixed(m, a_p[k])
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
                o.l.eq(Mux(end, _fixed_to_fp32(m, new_l, new_nan, new_inf), 0)),
            ]
        return m
