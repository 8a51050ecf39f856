"""``SoftmaxLanes``: the vector-side EXP2 lanes and per-row running sums (``baps.md`` block 4)."""

from amaranth import Array, Cat, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..golden.baps import L_INT_BITS, M_WIDTH, P_FORMAT, SCORE_FORMAT, sum_frac_bits
from ..golden.formats import FP32, NumberFormat, UFixedFormat
from . import codec
from .beat_layouts import FRAME, code_beat, prob_beat
from .exp2_code import IMPL, exp2_logic
from .pipeline import ArgumentsChecked, Cuts, StagedLogic, check_stages, stages_param
from ..golden.tile import check_tile_params
from .trees import adder_tree

__all__ = ["SoftmaxLanes", "STAGES"]


def _p_fixed(m: Module, fmt: NumberFormat, code, frac: int):
    """P (a ``fmt`` code with 0 ≤ P ≤ 1) as an integer in units of 2^−frac; ``special`` for NaN,
    +Inf and P > 1 (possible only above a saturated running max; a qI.F P's NaN is its top
    code, > 1)."""
    if isinstance(fmt, UFixedFormat):         # P = code·2^−F and frac = F: the code itself
        special = Signal(name="p_special")
        m.d.comb += special.eq(code > (1 << frac))
        return Mux(special, 0, code), special, 0
    f = codec.decode(m, fmt, code)
    fixed = codec.to_fixed(m, fmt, f, frac, 1)
    value = Signal(frac + 1, name="p_fixed")
    special = Signal(name="p_special")
    m.d.comb += [
        special.eq(f.nan | f.inf | fixed.pos_huge | (fixed.t > (1 << frac))),
        value.eq(Mux(special | f.sign, 0, fixed.t)),
    ]
    return value, special, f.nan


class SoftmaxLanes(ArgumentsChecked, wiring.Component):
    """x codes in (``score_format``, ``lanes`` per beat with the side band), P = 2^x out
    (``p_format``), l at row ends.

    ``lanes`` EXP2 units (``Exp2Code`` logic, ``impl`` table or split) in parallel; per row r of
    ``br`` a running sum l[r] = (l[r] >> −shift) + Σ P in unsigned fixed point with F fraction bits
    (every P in (0, 1] is a multiple of 2^−F: 22 for HiF8, 24 FP16, 9 E4M3, F for qI.F) and
    ``l_int_bits`` integer bits (a shift, no multiplier; the shift truncates; the sum saturates),
    restarted on the row's first block. At the last beat of the row's last block the beat also
    carries l as FP32 (RNE; NaN/+Inf when a P was NaN/+Inf or > 1). Bit-exact with
    ``golden.baps``.

    Three parts in a stream: ``front`` (stateless: the EXP2 lanes, a register, the P values in
    fixed point and their beat sum, a balanced adder tree), the running sums with an output
    register, and ``tail`` (stateless: l to FP32). Latency 2 cycles + ``stages``, one beat per
    cycle, global stall. ``stages`` enables optional register cuts in the order of ``CUTS``:
    ``core.rescale`` (the row's l read and shifted a cycle before the accumulation: a row's
    first beat that follows its own previous block's last beat waits one cycle, which happens
    only with br = 1), ``front.sum`` (after the beat sum), ``front.fixed`` (after the P values
    in fixed point), ``tail.normalize`` (inside l's rounding to FP32).
    """

    CUTS = ("core.rescale", "front.sum", "front.fixed", "tail.normalize")

    @classmethod
    def check_arguments(cls, *, br, bc, lanes, m_width, l_int_bits, impl, score_format, p_format,
                        stages):
        check_tile_params(br=br, bc=bc, lanes=lanes)
        M_WIDTH.check(m_width)
        for param, value in ((IMPL, impl), (L_INT_BITS, l_int_bits),
                             (SCORE_FORMAT, score_format), (P_FORMAT, p_format)):
            param.check(value)
        check_stages(stages, cls.CUTS)

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, m_width: int = 16,
                 l_int_bits: int = 16, impl: str = "table", score_format="hif8",
                 p_format="hif8", stages: int = 0):
        enabled = Cuts(check_stages(stages, self.CUTS))
        self.br, self.bc, self.lanes, self.m_width = br, bc, lanes, m_width
        self.l_int_bits, self.impl, self.stages = l_int_bits, impl, stages
        self.latency = 2 + stages
        self._split = "core.rescale" in enabled.enabled
        self.score_format = SCORE_FORMAT.resolve(score_format)
        self.p_format = P_FORMAT.resolve(p_format)
        self.l_frac = sum_frac_bits(self.p_format)
        self.l_width = l_int_bits + self.l_frac
        in_beat = code_beat(lanes, self.score_format.width, br, m_width)
        out_beat = prob_beat(lanes, br, self.p_format.width)
        sum_width = self.l_frac + 1 + (lanes - 1).bit_length()
        framing = in_beat[FRAME].shape
        self._summed = data.StructLayout({
            "p": data.ArrayLayout(self.p_format.width, lanes), "row": framing["row"].shape,
            "shift": framing["shift"].shape, "first_block": 1, "last_block": 1,
            "first_beat": 1, "last_beat": 1, "sum": sum_width, "special": 1, "nan": 1})
        self._summed_row = data.StructLayout({
            "p": data.ArrayLayout(self.p_format.width, lanes), "row": framing["row"].shape,
            "first_block": 1, "last_block": 1, "last_beat": 1, "end": 1, "l": self.l_width,
            "l_nan": 1, "l_inf": 1})
        self.front = StagedLogic(in_beat, self._summed, self._front_logic,
                                 ("exp2",) + enabled.sub("front"))
        self.tail = StagedLogic(self._summed_row, out_beat, self._tail_logic, enabled.sub("tail"))
        super().__init__({"i": In(stream.Signature(in_beat)), "o": Out(stream.Signature(out_beat))})

    def _front_logic(self, m, i, cuts):
        """P codes of the beat (registered: the cut ``exp2`` is always on) and their sum."""
        o = Signal(self._summed, name="summed")
        p_codes = [exp2_logic(m, i.codes[k], in_format=self.score_format.name,
                              out_format=self.p_format.name, impl=self.impl)
                   for k in range(self.lanes)]
        side = i.as_value()
        p_codes, side = cuts("exp2", p_codes, side)
        values, specials, nans = [], [], []
        for k in range(self.lanes):
            value, special, nan = _p_fixed(m, self.p_format, p_codes[k], self.l_frac)
            values.append(value)
            specials.append(special)
            nans.append(nan)
        p_codes, side, values, specials, nans = cuts("fixed", p_codes, side, values, specials,
                                                     nans)
        a = Signal.like(i, name="side")
        m.d.comb += a.eq(side)
        total = adder_tree(values)
        m.d.comb += [o.p[k].eq(p_codes[k]) for k in range(self.lanes)]
        m.d.comb += [o.row.eq(a.frame.row), o.shift.eq(a.frame.shift),
                     o.first_block.eq(a.frame.first_block), o.last_block.eq(a.frame.last_block),
                     o.first_beat.eq(a.frame.first_beat), o.last_beat.eq(a.frame.last_beat),
                     o.sum.eq(total),
                     o.special.eq(Cat(*specials).any()), o.nan.eq(Cat(*nans).any())]
        (o_cut,) = cuts("sum", o.as_value())
        out = Signal(self._summed, name="summed_out")
        m.d.comb += out.eq(o_cut)
        return out

    def _tail_logic(self, m, r, cuts):
        """l to FP32 at the row's end (RNE; NaN and +Inf flags win)."""
        o = Signal(self.tail.o.payload.shape(), name="probs")
        norm, e, zero = codec.normalize(m, r.l, self.l_frac)
        rest = r.as_value()
        norm, e, zero, rest = cuts("normalize", norm, e, zero, rest)
        q = Signal(self._summed_row, name="row_out")
        m.d.comb += q.eq(rest)
        code = codec.round_normalized(m, FP32, norm, e, zero, self.l_frac)
        m.d.comb += [o.p.eq(q.p), o.frame.row.eq(q.row), o.frame.first_block.eq(q.first_block),
                     o.frame.last_block.eq(q.last_block), o.frame.last_beat.eq(q.last_beat),
                     o.frame.end_of_row.eq(q.end),
                     o.l.eq(Mux(q.end, Mux(q.l_nan, FP32.nan_code,
                                           Mux(q.l_inf, FP32.inf_code, code)), 0))]
        return o

    def elaborate(self, platform):
        m = Module()
        m.submodules.front = self.front
        m.submodules.tail = self.tail
        wiring.connect(m, wiring.flipped(self.i), self.front.i)
        wiring.connect(m, self.tail.o, wiring.flipped(self.o))
        l_width = self.l_width
        l_max = (1 << l_width) - 1
        advance = Signal()
        src, dst = self.front.o, self.tail.i
        m.d.comb += advance.eq(~dst.valid | dst.ready)
        a = src.payload

        # The row's old l, rescaled for its first beat (a register stage with core.rescale).
        row_l = Array(Signal(l_width, name=f"l{r}") for r in range(self.br))
        row_inf = Array(Signal(name=f"inf{r}") for r in range(self.br))
        row_nan = Array(Signal(name=f"nan{r}") for r in range(self.br))
        distance = Signal(range(1 << (self.m_width + 1)))
        m.d.comb += distance.eq(-a.shift)
        old_l, old_inf, old_nan = Signal(l_width), Signal(), Signal()
        m.d.comb += [old_l.eq(row_l[a.row]), old_inf.eq(row_inf[a.row]),
                     old_nan.eq(row_nan[a.row])]
        first_l = Signal(l_width, name="first_l")
        first_inf, first_nan = Signal(name="first_inf"), Signal(name="first_nan")
        m.d.comb += [first_l.eq(Mux(a.first_block | (distance >= l_width), 0, old_l >> distance)),
                     first_inf.eq(~a.first_block & old_inf),
                     first_nan.eq(~a.first_block & old_nan)]
        if self._split:
            b = Signal(self._summed, name="rescaled_beat")
            b_valid = Signal(name="rescaled_valid")
            b_l, b_inf, b_nan = Signal(l_width, name="b_l"), Signal(), Signal()
            hazard = Signal()
            m.d.comb += [hazard.eq(b_valid & b.last_beat & (b.row == a.row) & a.first_beat),
                         src.ready.eq(advance & ~hazard)]
            with m.If(advance):
                m.d.sync += [b_valid.eq(src.valid & ~hazard), b.eq(a), b_l.eq(first_l),
                             b_inf.eq(first_inf), b_nan.eq(first_nan)]
        else:
            b, b_valid, b_l, b_inf, b_nan = a, src.valid, first_l, first_inf, first_nan
            m.d.comb += src.ready.eq(advance)

        # Running sums: the rescaled l on the row's first beat, write back on its last.
        acc, acc_inf, acc_nan = Signal(l_width), Signal(), Signal()
        base = Mux(b.first_beat, b_l, acc)
        base_inf = Mux(b.first_beat, b_inf, acc_inf)
        base_nan = Mux(b.first_beat, b_nan, acc_nan)
        total = Signal(l_width + 1)
        new_l, new_inf, new_nan = Signal(l_width), Signal(), Signal()
        m.d.comb += [
            total.eq(base + b.sum),
            new_l.eq(Mux(total[l_width], l_max, total)),          # saturate on the carry
            new_inf.eq(base_inf | (b.special & ~b.nan)),
            new_nan.eq(base_nan | b.nan),
        ]
        with m.If(advance & b_valid):
            m.d.sync += [acc.eq(new_l), acc_inf.eq(new_inf), acc_nan.eq(new_nan)]
            with m.If(b.last_beat):
                m.d.sync += [row_l[b.row].eq(new_l), row_inf[b.row].eq(new_inf),
                             row_nan[b.row].eq(new_nan)]

        # The output register (l in fixed point; ``tail`` rounds it to FP32).
        o = dst.payload
        with m.If(advance):
            m.d.sync += [
                dst.valid.eq(b_valid),
                o.p.eq(b.p),
                o.row.eq(b.row),
                o.first_block.eq(b.first_block),
                o.last_block.eq(b.last_block),
                o.last_beat.eq(b.last_beat),
                o.end.eq(b.last_block & b.last_beat),
                o.l.eq(new_l), o.l_nan.eq(new_nan), o.l_inf.eq(new_inf),
            ]
        return m




STAGES = stages_param(SoftmaxLanes.CUTS)
