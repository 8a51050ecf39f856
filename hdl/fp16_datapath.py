"""The FP16 online-softmax datapath (``docs/spec/fp16_datapath.md``), the baseline BAPS is
compared against: ``Fp16Cast`` (matrix side) → ``MatrixVectorLink`` (16-bit codes, no side band)
→ ``Fp16SoftmaxLanes`` (vector side). Bit-exact with ``golden.fp16_datapath``."""

from amaranth import Cat, Module, Mux, Signal

from ..golden import exp2_fp16_model
from ..golden.formats import FP16, FP32
from ..golden.fp16_datapath import EXP2_ACCURACY
from . import codec
from .beat_layouts import code_beat, frame, same_frame, score_beat
from .exp2_fp16 import exp2_fp16_logic
from .fp32_arith import add_fp32, mul_fp32
from .link import LINK_DEPTH, MatrixVectorLink
from .pipeline import NO_CUTS, Cuts, StreamPipeline, check_stages, stages_param
from ..golden.tile import BC, BR, LANES, check_tile_params
from .datapath import ThreeBlockDatapath
from .online_lanes import OnlineSoftmaxLanes
from .trees import adder_tree

__all__ = ["Fp16Cast", "Fp16SoftmaxLanes", "Fp16Datapath", "fp16_difference", "STAGES"]

NEG_INF = 0xFC00


def _link_beat(lanes: int, br: int):
    return code_beat(lanes, FP16.width, br, None)


def _check(br, bc, lanes, accuracy):
    check_tile_params(br=br, bc=bc, lanes=lanes)
    EXP2_ACCURACY.check(accuracy)


class Fp16Cast(StreamPipeline):
    """FP32 scores in (``score_beat``), FP16 codes out (RNE, ``codec.cast``), with the beat
    framing the vector side needs (first/last beat of the row's block). Latency 1 cycle (a
    registered output) + ``stages``, one beat per cycle. Optional register cuts, in the order
    ``stages`` enables them: ``normalize`` (inside the rounding), ``fixed`` (after the fixed
    point of |t|)."""

    latency = 1
    CUTS = ("normalize", "fixed")

    @classmethod
    def check_arguments(cls, *, br, bc, lanes, stages):
        check_tile_params(br=br, bc=bc, lanes=lanes)
        super().check_arguments(stages=stages)

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, stages: int = 0):
        self.br, self.bc, self.lanes = br, bc, lanes
        super().__init__(score_beat(lanes, br), _link_beat(lanes, br), stages=stages)

    def datapath(self, m, i, reg):
        beats = self.bc // self.lanes
        beat = Signal(range(beats), name="beat")
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += beat.eq(Mux(beat == beats - 1, 0, beat + 1))
        side = Signal(frame(self.br, "first_beat", "last_beat"), name="framing")
        m.d.comb += [*same_frame(side, i.frame), side.first_beat.eq(beat == 0),
                     side.last_beat.eq(beat == beats - 1)]
        codes = [codec.cast(m, FP32, FP16, i.scores[k], cuts=self.cuts) for k in range(self.lanes)]
        for name in reversed(self.CUTS):          # the framing crosses every cut beside the codes
            (side,) = self.cuts(name, side)
        o = Signal(_link_beat(self.lanes, self.br), name="cast")
        m.d.comb += [o.codes[k].eq(codes[k]) for k in range(self.lanes)]
        m.d.comb += same_frame(o.frame, side)
        return reg(o)


def fp16_difference(m: Module, a, b, cuts=NO_CUTS) -> Signal:
    """FP16_RNE(a − b) for FP16 codes with a ≤ b (a score and the running max, or the old and
    the new max), rounded once from the exact difference (both are multiples of 2^−24): NaN when
    a is NaN or both are +Inf; −Inf when a = −Inf (a masked key, even below a −Inf max) or
    b = +Inf; +0 when equal. ``cuts``: optional register cuts ``fixed`` (after both fixed
    points), ``subtract`` (after the difference) and ``normalize`` (inside the rounding).
    (A cut after the decoding was tried: the FP16 datapath at 5 ns got slower, 5.78 against
    5.42 ns, so it is not offered.)"""
    fa, fb = codec.decode(m, FP16, a), codec.decode(m, FP16, b)
    frac, int_bits = -FP16.finest_boundary, FP16.binade_range[1] + 2
    ta = codec.to_fixed(m, FP16, fa, frac, int_bits)
    tb = codec.to_fixed(m, FP16, fb, frac, int_bits)
    nan, neg_inf = Signal(name="difference_nan"), Signal(name="difference_neg_inf")
    m.d.comb += [nan.eq(fa.nan | (fa.inf & fb.inf & ~fa.sign & ~fb.sign)),
                 neg_inf.eq((fa.inf & fa.sign) | (fb.inf & ~fb.sign))]
    t_a, t_b, nan, neg_inf = cuts("fixed", ta.t, tb.t, nan, neg_inf)
    mag = Signal(int_bits + frac + 1, name="difference_mag")
    m.d.comb += mag.eq(t_b - t_a)
    mag, nan, neg_inf = cuts("subtract", mag, nan, neg_inf)
    norm, e, zero = codec.normalize(m, mag, frac)
    norm, e, zero, nan, neg_inf = cuts("normalize", norm, e, zero, nan, neg_inf)
    rounded = codec.round_normalized(m, FP16, norm, e, zero, frac)
    out = Signal(16, name="difference")
    with m.If(nan):
        m.d.comb += out.eq(FP16.nan_code)
    with m.Elif(neg_inf):
        m.d.comb += out.eq(NEG_INF)
    with m.Else():
        m.d.comb += out.eq(codec.apply_sign(FP16, ~zero, rounded))
    return out


def _prefixed(cuts: Cuts, prefix: str):
    return lambda name, *values: cuts(f"{prefix}.{name}", *values)


class Fp16SoftmaxLanes(OnlineSoftmaxLanes):
    """FP16 scores in (``lanes`` per beat, framed), P = EXP2_FP16(FP16(s − m)) out (FP16), l
    (FP32) at each row's end.

    Fill: ``fill`` (stateless: the beat's max, NaN ignored, a balanced tree); each row's block goes
    into one half of a ``Memory`` (two ping-pong halves of bc/lanes words of 16·lanes bits,
    synchronous read) while its max b is kept; at the last beat m_new = max(m_old, b) per row
    (FP16, exact; m_old = −Inf on the first block). Drain: a read stage, then ``lanes``
    (stateless: per lane x = ``fp16_difference``(s, m_new) and p = the FP16 EXP2 (``accuracy``),
    α = EXP2(``fp16_difference``(m_old, m_new)), the beat sum of p exact in fixed point); the
    block sum S (an accumulator register, with the row's l and NaN flag read beside it); then
    ``update`` (stateless: at the block's last beat l = FP32(FP32(α·l) + FP32(S)), NaN when any
    p or α is NaN; then the output register), written back as the beat leaves. A block end whose row still has an l update
    in flight waits (a bubble), so any ``stages`` is exact for every tile shape; it costs cycles
    only when br·bc/lanes is smaller than the update's depth.

    ``stages`` enables optional register cuts in the order of ``CUTS``. With ``stages`` = 0 a beat
    leaves bc/lanes + 3 cycles after its row's last beat arrived at the earliest; each cut on the
    drain side adds a cycle.
    """

    FORMAT = FP16
    CUTS = ("lanes.exp2.product", "update.mul.product", "lanes.diff.normalize",
            "update.add.align", "lanes.sum", "update.block", "update.mul.normalize",
            "update.add.order", "update.add.sum", "update.mul.round", "update.mul.out",
            "lanes.diff.fixed", "lanes.diff.subtract",
            "lanes.exp2.lookup", "lanes.exp2.round", "fill.max")

    @classmethod
    def check_arguments(cls, *, br, bc, lanes, accuracy, stages):
        check_tile_params(br=br, bc=bc, lanes=lanes)
        EXP2_ACCURACY.check(accuracy)
        check_stages(stages, cls.CUTS)

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, accuracy: str = "correct",
                 stages: int = 0):
        enabled = Cuts(check_stages(stages, self.CUTS))
        self.br, self.bc, self.lanes, self.accuracy, self.stages = br, bc, lanes, accuracy, stages
        self.design = exp2_fp16_model.DESIGNS[accuracy]
        in_beat = _link_beat(lanes, br)
        self.sum_bits = 25 + (bc // lanes * lanes).bit_length()
        self._build_stages(in_beat=in_beat, enabled=enabled, p_bits=FP16.width,
                           beat_sum_bits=25 + (lanes - 1).bit_length(), alpha_bits=FP16.width)

    # -- the stateless parts --------------------------------------------------------------------

    def _lanes_logic(self, m, d, cuts):
        diff_cuts, exp_cuts = _prefixed(cuts, "diff"), _prefixed(cuts, "exp2")
        exp2 = lambda x: exp2_fp16_logic(m, x, self.design, cuts=exp_cuts)
        p_codes = [exp2(fp16_difference(m, d.codes[k], d.meta.m_new, diff_cuts))
                   for k in range(self.lanes)]
        alpha = exp2(fp16_difference(m, d.meta.m_old, d.meta.m_new, diff_cuts))
        side = Cat(d.meta.as_value(), d.first_beat, d.last_beat)
        for name in ("diff.fixed", "diff.subtract", "diff.normalize", "exp2.lookup",
                     "exp2.product", "exp2.round"):
            (side,) = cuts(name, side)
        values, nans = [], []
        for p in p_codes:
            f = codec.decode(m, FP16, p)
            value = codec.to_fixed(m, FP16, f, -FP16.binade_range[0], 1)   # p·2^24, p ≤ 1
            values.append(Mux(f.nan, 0, value.t))
            nans.append(f.nan)
        o = Signal(self._lanes_out, name="lanes_out")
        width = len(d.meta.as_value())
        m.d.comb += [o.p[k].eq(p_codes[k]) for k in range(self.lanes)]
        m.d.comb += [o.meta.eq(side[:width]), o.first_beat.eq(side[width]),
                     o.last_beat.eq(side[width + 1]), o.sum.eq(adder_tree(values)),
                     o.nan.eq(Cat(*nans).any()), o.alpha.eq(alpha)]
        (out,) = cuts("sum", o.as_value())
        res = Signal(self._lanes_out, name="lanes_sum")
        m.d.comb += res.eq(out)
        return res

    def _update_logic(self, m, u, cuts):
        block32 = codec.round_fixed(m, FP32, u.total, -FP16.binade_range[0])
        rest = u.as_value()
        block32, rest = cuts("block", block32, rest)
        v = Signal(self._update_in, name="update_in")
        m.d.comb += v.eq(rest)
        fa = codec.decode(m, FP16, v.alpha)
        product = mul_fp32(m, fa, codec.decode(m, FP32, v.l_old), _prefixed(cuts, "mul"))
        for name in ("mul.product", "mul.normalize", "mul.round"):
            block32, rest = cuts(name, block32, rest)
        product, block32, rest = cuts("mul.out", product, block32, rest)
        l_new = add_fp32(m, product, block32, _prefixed(cuts, "add"))
        for name in ("add.order", "add.align", "add.sum"):
            (rest,) = cuts(name, rest)
        w = Signal(self._update_in, name="update_rest")
        m.d.comb += w.eq(rest)
        l_nan = w.nan
        o = Signal(self._update_out, name="updated")
        end = w.last_block & w.last_beat
        b = o.beat
        m.d.comb += [b.p.eq(w.p), b.frame.row.eq(w.row), b.frame.first_block.eq(w.first_block),
                     b.frame.last_block.eq(w.last_block), b.frame.last_beat.eq(w.last_beat),
                     b.frame.end_of_row.eq(end),
                     b.l.eq(Mux(end, Mux(l_nan, FP32.nan_code, l_new), 0)),
                     o.l.eq(l_new), o.nan.eq(l_nan)]
        (registered,) = cuts("out", o.as_value())       # always on: a registered output
        out = Signal(self._update_out, name="update_out")
        m.d.comb += out.eq(registered)
        return out


STAGES = stages_param(max((Fp16Cast.CUTS, Fp16SoftmaxLanes.CUTS), key=len))


class Fp16Datapath(ThreeBlockDatapath):
    """FP32 scores in (``score_beat``), P (FP16) out with l (FP32) at each row's end: the FP16
    online-softmax baseline. The link carries ``lanes`` FP16 codes (16·lanes bits) per beat plus
    the framing, no side band. ``stages``: each block's optional register cuts
    (``Fp16Cast.CUTS``, ``Fp16SoftmaxLanes.CUTS``), min(stages, what the block has)."""

    PARAMS = (BR, BC, LANES, LINK_DEPTH, EXP2_ACCURACY, STAGES)
    BLOCK_NAMES = ("cast", "link", "lanes")
    timing = ("streaming, no fixed latency: a beat is cast in 1 cycle (+ its stages), crosses "
              "the link FIFO (link_depth beats), and leaves the vector side bc / lanes + 3 "
              "cycles (+ its stages) after its row's block is in; up to one beat per cycle in "
              "steady state")

    def blocks(self, p):
        return (Fp16Cast(br=p.br, bc=p.bc, lanes=p.lanes,
                         stages=min(p.stages, len(Fp16Cast.CUTS))),
                MatrixVectorLink(width=FP16.width * p.lanes, element="fp16", br=p.br,
                                 m_width=None, depth=p.link_depth),
                Fp16SoftmaxLanes(br=p.br, bc=p.bc, lanes=p.lanes, accuracy=p.accuracy,
                                 stages=min(p.stages, len(Fp16SoftmaxLanes.CUTS))))
