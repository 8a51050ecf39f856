"""The FP8 E4M3 P-cast datapath (``golden.e4m3_pcast``, FlashAttention-3's FP8 arrangement):
``ScoreFraming`` (matrix side: FP32 scores unchanged) → ``MatrixVectorLink`` (32 bits per score)
→ ``E4m3PcastLanes``. Bit-exact with ``golden.e4m3_pcast``."""

from amaranth import Cat, Mux, Signal

from ..golden.e4m3_pcast import SCALE_LOG2, SUM_FRAC
from ..golden.formats import E4M3, FP32
from . import codec
from .beat_layouts import code_beat, same_frame, score_beat
from .exp2_fp32 import DISTANCE_CUTS, EXP2_CUTS, exp2_fp32_logic, fp32_distance
from .fp32_arith import add_fp32, mul_fp32
from .link import LINK_DEPTH, MatrixVectorLink
from .pipeline import Cuts, StreamPipeline, check_stages, stages_param
from ..golden.tile import BC, BR, LANES, check_tile_params
from .datapath import ThreeBlockDatapath
from .online_lanes import OnlineSoftmaxLanes, is_nan
from .trees import adder_tree

__all__ = ["ScoreFraming", "E4m3PcastLanes", "E4m3PcastDatapath", "STAGES"]

NEG_INF = 0xFF800000
POS_INF = 0x7F800000


def _link_beat(lanes: int, br: int):
    return code_beat(lanes, 32, br, None)


class ScoreFraming(StreamPipeline):
    """FP32 scores in (``score_beat``), the same FP32 scores out with the beat framing the vector
    side needs (first/last beat of the row's block). Latency 1 cycle (a registered output)."""

    latency = 1

    @classmethod
    def check_arguments(cls, *, br, bc, lanes):
        check_tile_params(br=br, bc=bc, lanes=lanes)

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8):
        self.br, self.bc, self.lanes = br, bc, lanes
        super().__init__(score_beat(lanes, br), _link_beat(lanes, br))

    def datapath(self, m, i, reg):
        beats = self.bc // self.lanes
        beat = Signal(range(beats), name="beat")
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += beat.eq(Mux(beat == beats - 1, 0, beat + 1))
        o = Signal(_link_beat(self.lanes, self.br), name="framed")
        m.d.comb += [o.codes.eq(i.scores), *same_frame(o.frame, i.frame),
                     o.frame.first_beat.eq(beat == 0), o.frame.last_beat.eq(beat == beats - 1)]
        return reg(o)


class E4m3PcastLanes(OnlineSoftmaxLanes):
    """FP32 scores in (``lanes`` per beat, framed), P (E4M3) out, l (FP32) at each row's end.

    As ``Fp16SoftmaxLanes`` with FP32 scores: fill (the beat's max, NaN ignored) into one half of
    a ping-pong row buffer; at the block's last beat m_new = max(m_old, b). Drain, per lane:
    x = ``fp32_distance``(t, m_new), P̃ = ``exp2_fp32_logic``(x)·S, P = E4M3(P̃), the term
    ⌊P̃·2^(40 − s)⌋; α = EXP2(``fp32_distance``(m_old, m_new)); the block sum σ in fixed point;
    at the block's last beat l = FP32(FP32(α·l) + FP32(σ)), NaN when any P̃ or α is NaN.
    ``stages`` enables optional register cuts in the order of ``CUTS``."""

    FORMAT = FP32
    CUTS = ("lanes.exp2", "update.mul.product", "lanes.dist", "lanes.sum", "update.block",
            "update.add.align", "update.mul.normalize", "update.add.sum", "update.mul.round",
            "update.mul.out", "update.add.order", "lanes.cast", "fill.max",
            "lanes.dist.sum", "lanes.exp2.product", "lanes.dist.align", "lanes.exp2.table",
            "lanes.dist.round", "lanes.exp2.fraction", "lanes.exp2.sum")

    @classmethod
    def check_arguments(cls, *, br, bc, lanes, scale_log2, stages):
        check_tile_params(br=br, bc=bc, lanes=lanes)
        SCALE_LOG2.check(scale_log2)
        check_stages(stages, cls.CUTS)

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, scale_log2: int = 8,
                 stages: int = 0):
        enabled = Cuts(check_stages(stages, self.CUTS))
        self.br, self.bc, self.lanes, self.scale_log2 = br, bc, lanes, scale_log2
        self.frac = SUM_FRAC - scale_log2
        term_bits = self.frac + 9                    # ⌊P̃·2^frac⌋ for P̃ < 2^9
        in_beat = _link_beat(lanes, br)
        self.sum_bits = term_bits + (bc - 1).bit_length() + 1
        self._build_stages(in_beat=in_beat, enabled=enabled, p_bits=E4M3.width,
                           beat_sum_bits=term_bits + (lanes - 1).bit_length(), alpha_bits=32)

    # -- the stateless parts --------------------------------------------------------------------

    def _lanes_logic(self, m, d, cuts):
        m_new, m_old = d.meta.m_new, d.meta.m_old
        dist_cuts = lambda name, *values: cuts(f"dist.{name}", *values)
        exp2_cuts = lambda name, *values: cuts(f"exp2.{name}", *values)
        new_inf = m_new == POS_INF
        flags, xs = [], []
        for k in range(self.lanes):
            t = d.codes[k]
            nan = Signal(name=f"t_nan{k}")
            zero = Signal(name=f"t_zero{k}")
            m.d.comb += [nan.eq(is_nan(t) | (t == POS_INF)), zero.eq((t == NEG_INF) | new_inf)]
            flags.append((nan, zero))
            xs.append(fp32_distance(m, t, m_new, dist_cuts))
        a_nan, a_zero = Signal(name="alpha_nan"), Signal(name="alpha_zero")
        m.d.comb += [a_nan.eq(m_old == POS_INF), a_zero.eq((m_old == NEG_INF) | new_inf)]
        xa = fp32_distance(m, Mux(a_zero | a_nan, m_new, m_old), m_new, dist_cuts)
        side = Cat(d.meta.as_value(), d.first_beat, d.last_beat)
        flag_bits = Cat(*[Cat(n, z) for n, z in flags], a_nan, a_zero)
        for name in DISTANCE_CUTS:                   # what crosses the distance's inner cuts
            flag_bits, side = dist_cuts(name, flag_bits, side)
        xs, xa, flag_bits, side = cuts("dist", xs, xa, flag_bits, side)
        p32 = [exp2_fp32_logic(m, x, self.scale_log2, exp2_cuts) for x in xs]
        alpha = exp2_fp32_logic(m, xa, 0, exp2_cuts)
        for name in EXP2_CUTS:
            flag_bits, side = exp2_cuts(name, flag_bits, side)
        p32 = [Mux(flag_bits[2 * k], FP32.nan_code, Mux(flag_bits[2 * k + 1], 0, p))
               for k, p in enumerate(p32)]
        a_nan, a_zero = flag_bits[2 * self.lanes], flag_bits[2 * self.lanes + 1]
        alpha = Mux(a_nan, FP32.nan_code, Mux(a_zero, 0, alpha))
        p32, alpha, side = cuts("exp2", p32, alpha, side)
        values, nans, p8 = [], [], []
        for k, p in enumerate(p32):
            f = codec.decode(m, FP32, p)
            value = codec.to_fixed(m, FP32, f, self.frac, 9)
            values.append(Mux(f.nan, 0, value.t))
            nans.append(f.nan)
            p8.append(codec.cast(m, FP32, E4M3, p))
        nan_any = Signal(name="beat_nan")
        m.d.comb += nan_any.eq(Cat(*nans).any())
        p8, values, nan_any, alpha, side = cuts("cast", p8, values, nan_any, alpha, side)
        o = Signal(self._lanes_out, name="lanes_out")
        width = len(d.meta.as_value())
        m.d.comb += [o.p[k].eq(p8[k]) for k in range(self.lanes)]
        m.d.comb += [o.meta.eq(side[:width]), o.first_beat.eq(side[width]),
                     o.last_beat.eq(side[width + 1]), o.sum.eq(adder_tree(values)),
                     o.nan.eq(nan_any), o.alpha.eq(alpha)]
        (out,) = cuts("sum", o.as_value())
        res = Signal(self._lanes_out, name="lanes_sum")
        m.d.comb += res.eq(out)
        return res

    def _update_logic(self, m, u, cuts):
        block32 = codec.round_fixed(m, FP32, u.total, self.frac)
        rest = u.as_value()
        block32, rest = cuts("block", block32, rest)
        v = Signal(self._update_in, name="update_in")
        m.d.comb += v.eq(rest)
        fa = codec.decode(m, FP32, v.alpha)
        sub = lambda name, *values: cuts(f"mul.{name}", *values)
        product = mul_fp32(m, fa, codec.decode(m, FP32, v.l_old), sub)
        for name in ("mul.product", "mul.normalize", "mul.round"):
            block32, rest = cuts(name, block32, rest)
        product, block32, rest = cuts("mul.out", product, block32, rest)
        l_new = add_fp32(m, product, block32, lambda name, *values: cuts(f"add.{name}", *values))
        for name in ("add.order", "add.align", "add.sum"):
            (rest,) = cuts(name, rest)
        w = Signal(self._update_in, name="update_rest")
        m.d.comb += w.eq(rest)
        o = Signal(self._update_out, name="updated")
        end = w.last_block & w.last_beat
        b = o.beat
        m.d.comb += [b.p.eq(w.p), b.frame.row.eq(w.row), b.frame.first_block.eq(w.first_block),
                     b.frame.last_block.eq(w.last_block), b.frame.last_beat.eq(w.last_beat),
                     b.frame.end_of_row.eq(end),
                     b.l.eq(Mux(end, Mux(w.nan, FP32.nan_code, l_new), 0)),
                     o.l.eq(l_new), o.nan.eq(w.nan)]
        (registered,) = cuts("out", o.as_value())       # always on: a registered output
        out = Signal(self._update_out, name="update_out")
        m.d.comb += out.eq(registered)
        return out


STAGES = stages_param(E4m3PcastLanes.CUTS)


class E4m3PcastDatapath(ThreeBlockDatapath):
    """FP32 scores in (``score_beat``), E4M3 P out with l (FP32) at each row's end: the
    FlashAttention-3 FP8 arrangement. The link carries the FP32 scores unchanged (32·lanes bits)
    plus the framing. ``stages``: the vector side's optional register cuts."""

    PARAMS = (BR, BC, LANES, LINK_DEPTH, SCALE_LOG2, STAGES)
    BLOCK_NAMES = ("frame", "link", "lanes")
    timing = ("streaming, no fixed latency: a beat is framed in 1 cycle, crosses the link FIFO "
              "(link_depth beats), and leaves the vector side bc / lanes + 3 cycles (+ its "
              "stages) after its row's block is in; up to one beat per cycle in steady state")

    def blocks(self, p):
        return (ScoreFraming(br=p.br, bc=p.bc, lanes=p.lanes),
                MatrixVectorLink(layout=_link_beat(p.lanes, p.br), depth=p.link_depth),
                E4m3PcastLanes(br=p.br, bc=p.bc, lanes=p.lanes, scale_log2=p.scale_log2,
                               stages=p.stages))
