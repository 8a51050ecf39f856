"""The FP16 online-softmax datapath (``../shared/spec/fp16_datapath.md``), the baseline BAPS is
compared against: ``Fp16Cast`` (matrix side) → ``MatrixVectorLink`` (16-bit codes, no side band)
→ ``Fp16SoftmaxLanes`` (vector side). Bit-exact with ``golden.fp16_datapath``."""

from amaranth import Array, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..golden import exp2_fp16_model
from ..golden.formats import FP16, FP32
from ..golden.fp16_datapath import EXP2_ACCURACY
from . import codec
from .baps_layouts import code_beat, prob_beat, row_bits, score_beat
from .exp2_fp16 import exp2_fp16_logic
from .fp32_arith import add_fp32, mul_fp32
from .link import MatrixVectorLink
from .pipeline import discard
from .rescale import check_tile_params
from .row_buffer import ping_pong_buffer

__all__ = ["Fp16Cast", "Fp16SoftmaxLanes", "Fp16Datapath", "fp16_difference"]

NEG_INF = 0xFC00


def _link_beat(lanes: int, br: int):
    return code_beat(lanes, FP16.width, br, None)


def _check(br, bc, lanes, accuracy):
    check_tile_params(br=br, bc=bc, lanes=lanes)
    EXP2_ACCURACY.check(accuracy)


class Fp16Cast(wiring.Component):
    """FP32 scores in (``score_beat``), FP16 codes out (RNE, ``codec.cast``), with the beat
    framing the vector side needs (first/last beat of the row's block). Latency 1 cycle (a
    registered output), one beat per cycle."""

    latency = 1

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8):
        try:
            check_tile_params(br=br, bc=bc, lanes=lanes)
        except ValueError:
            discard(self)
            raise
        self.br, self.bc, self.lanes = br, bc, lanes
        super().__init__({"i": In(stream.Signature(score_beat(lanes, br))),
                          "o": Out(stream.Signature(_link_beat(lanes, br)))})

    def elaborate(self, platform):
        m = Module()
        beats = self.bc // self.lanes
        advance = Signal()
        beat = Signal(range(beats))
        m.d.comb += [advance.eq(~self.o.valid | self.o.ready), self.i.ready.eq(advance)]
        i, o = self.i.payload, self.o.payload
        with m.If(advance):
            m.d.sync += [self.o.valid.eq(self.i.valid), o.row.eq(i.row),
                         o.first_block.eq(i.first_block), o.last_block.eq(i.last_block),
                         o.first_beat.eq(beat == 0), o.last_beat.eq(beat == beats - 1)]
            m.d.sync += [o.codes[k].eq(codec.cast(m, FP32, FP16, i.scores[k]))
                         for k in range(self.lanes)]
            with m.If(self.i.valid):
                m.d.sync += beat.eq(Mux(beat == beats - 1, 0, beat + 1))
        return m


def _order_key(code):
    """FP16 codes (not NaN) as unsigned keys in value order (−0 just below +0)."""
    return Mux(code[15], ~code, code | 0x8000)


def _is_nan(code):
    return (code[10:15] == 0x1F) & (code[:10] != 0)


def fp16_difference(m: Module, a, b) -> Signal:
    """FP16_RNE(a − b) for FP16 codes with a ≤ b (a score and the running max, or the old and
    the new max), rounded once from the exact difference (both are multiples of 2^−24): NaN when
    a is NaN or both are +Inf; −Inf when a = −Inf (a masked key, even below a −Inf max) or
    b = +Inf; +0 when equal."""
    fa, fb = codec.decode(m, FP16, a), codec.decode(m, FP16, b)
    frac, int_bits = -FP16.finest_boundary, FP16.binade_range[1] + 2
    ta = codec.to_fixed(m, FP16, fa, frac, int_bits)
    tb = codec.to_fixed(m, FP16, fb, frac, int_bits)
    mag = Signal(int_bits + frac + 1, name="difference_mag")
    m.d.comb += mag.eq(tb.t - ta.t)
    rounded = codec.round_fixed(m, FP16, mag, frac)
    out = Signal(16, name="difference")
    with m.If(fa.nan | (fa.inf & fb.inf & ~fa.sign & ~fb.sign)):
        m.d.comb += out.eq(FP16.nan_code)
    with m.Elif((fa.inf & fa.sign) | (fb.inf & ~fb.sign)):
        m.d.comb += out.eq(NEG_INF)
    with m.Else():
        m.d.comb += out.eq(codec.apply_sign(FP16, mag != 0, rounded))
    return out


class Fp16SoftmaxLanes(wiring.Component):
    """FP16 scores in (``lanes`` per beat, framed), P = EXP2_FP16(FP16(s − m)) out (FP16), l
    (FP32) at each row's end.

    Fill: each row's block goes into one half of a ``Memory`` (two ping-pong halves of bc/lanes
    words of 16·lanes bits, synchronous read) while its max b (NaN ignored) is kept; at the last
    beat m_new = max(m_old, b) per row (FP16, exact; m_old = −Inf on the first block). Drain: a
    read stage (the word and its side band), then per lane x = ``fp16_difference``(s, m_new) and
    p = the FP16 EXP2 (``accuracy``, combinational), α = EXP2(``fp16_difference``(m_old, m_new))
    once per row and block, the block sum S of p exact in fixed point, and at the block's last
    beat l = FP32(FP32(α·l) + FP32(S)) per row (NaN when any p or α is NaN); an output register.
    Streaming: a beat leaves bc/lanes + 2 cycles after its row's last beat arrived at the
    earliest; one beat per cycle in steady state.
    """

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, accuracy: str = "correct"):
        try:
            _check(br, bc, lanes, accuracy)
        except ValueError:
            discard(self)
            raise
        self.br, self.bc, self.lanes, self.accuracy = br, bc, lanes, accuracy
        super().__init__({"i": In(stream.Signature(_link_beat(lanes, br))),
                          "o": Out(stream.Signature(prob_beat(lanes, br, FP16.width)))})

    def elaborate(self, platform):
        m = Module()
        lanes, beats = self.lanes, self.bc // self.lanes
        design = exp2_fp16_model.DESIGNS[self.accuracy]
        i = self.i.payload

        m_reg = Array(Signal(16, name=f"m{r}", init=NEG_INF) for r in range(self.br))

        # Fill side: block max over lanes and beats, the row's new max.
        accepted = self.i.valid & self.i.ready
        cmax = Signal(16, name="block_max")
        acc = Mux(i.first_beat, NEG_INF, cmax)
        for k in range(lanes):
            code = Mux(_is_nan(i.codes[k]), NEG_INF, i.codes[k])
            step = Signal(16, name=f"max{k}")
            m.d.comb += step.eq(Mux(_order_key(code) > _order_key(acc), code, acc))
            acc = step
        m_old = Signal(16, name="m_old")
        m_new = Signal(16, name="m_new")
        meta_in = Signal(_meta_layout(self.br), name="meta_in")
        m.d.comb += [m_old.eq(Mux(i.first_block, NEG_INF, m_reg[i.row])),
                     m_new.eq(Mux(_order_key(acc) > _order_key(m_old), acc, m_old)),
                     meta_in.m_new.eq(m_new), meta_in.m_old.eq(m_old), meta_in.row.eq(i.row),
                     meta_in.first.eq(i.first_block), meta_in.last.eq(i.last_block)]
        with m.If(accepted):
            m.d.sync += cmax.eq(acc)
            with m.If(i.last_beat):
                m.d.sync += m_reg[i.row].eq(m_new)

        # The row buffer and its read stage (the word and its side band).
        advance = Signal()
        ready, d = ping_pong_buffer(
            m, width=FP16.width * lanes, beats=beats, meta_layout=_meta_layout(self.br),
            write_en=accepted, write_index=_beat_index(m, i, beats, accepted),
            write_last=i.last_beat, write_data=i.codes.as_value(), meta_in=meta_in,
            read_en=advance)
        m.d.comb += [self.i.ready.eq(ready), advance.eq(~self.o.valid | self.o.ready)]

        # Lanes: x, p, the block sum; α and l at the block's last beat.
        p_codes, beat_sum, beat_nan = [], 0, 0
        for k in range(lanes):
            s = d.data[FP16.width * k:FP16.width * (k + 1)]
            p = exp2_fp16_logic(m, fp16_difference(m, s, d.meta.m_new), design)
            p_codes.append(p)
            f = codec.decode(m, FP16, p)
            value = codec.to_fixed(m, FP16, f, -FP16.binade_range[0], 1)   # p·2^24, p ≤ 1
            beat_sum = beat_sum + Mux(f.nan, 0, value.t)
            beat_nan = beat_nan | f.nan
        sum_bits = 25 + (beats * lanes).bit_length()
        block, block_nan = Signal(sum_bits, name="block_sum"), Signal(name="block_nan")
        total, total_nan = Signal(sum_bits, name="block_total"), Signal(name="block_total_nan")
        m.d.comb += [total.eq(Mux(d.first_beat, 0, block) + beat_sum),
                     total_nan.eq(Mux(d.first_beat, 0, block_nan) | beat_nan)]
        alpha = exp2_fp16_logic(m, fp16_difference(m, d.meta.m_old, d.meta.m_new), design)
        row_l = Array(Signal(32, name=f"l{r}") for r in range(self.br))
        row_nan = Array(Signal(name=f"nan{r}") for r in range(self.br))
        l_old = Signal(32, name="l_old")
        m.d.comb += l_old.eq(Mux(d.meta.first, 0, row_l[d.meta.row]))
        fa = codec.decode(m, FP16, alpha)
        block32 = codec.round_fixed(m, FP32, total, -FP16.binade_range[0])
        l_new = add_fp32(m, mul_fp32(m, fa, codec.decode(m, FP32, l_old)), block32)
        l_nan = Signal(name="l_nan")
        m.d.comb += l_nan.eq(total_nan | fa.nan | (~d.meta.first & row_nan[d.meta.row]))
        with m.If(advance & d.valid):
            m.d.sync += [block.eq(total), block_nan.eq(total_nan)]
            with m.If(d.last_beat):
                m.d.sync += [row_l[d.meta.row].eq(l_new), row_nan[d.meta.row].eq(l_nan)]

        # Output register.
        o = self.o.payload
        end = d.meta.last & d.last_beat
        with m.If(advance):
            m.d.sync += [self.o.valid.eq(d.valid), o.row.eq(d.meta.row),
                         o.first_block.eq(d.meta.first), o.last_block.eq(d.meta.last),
                         o.last_beat.eq(d.last_beat), o.end_of_row.eq(end),
                         o.l.eq(Mux(end, Mux(l_nan, FP32.nan_code, l_new), 0))]
            m.d.sync += [o.p[k].eq(p_codes[k]) for k in range(lanes)]
        return m


def _meta_layout(br: int):
    """The side band of a buffered row's block: both maxima, the row and its block flags."""
    return data.StructLayout({"m_new": 16, "m_old": 16, "row": row_bits(br), "first": 1,
                              "last": 1})


def _beat_index(m: Module, payload, beats: int, accepted) -> Signal:
    """The beat's index within its row's block: counted from ``first_beat``."""
    count = Signal(range(beats), name="fill_beat")
    index = Signal(range(beats), name="fill_index")
    m.d.comb += index.eq(Mux(payload.first_beat, 0, count))
    with m.If(accepted):
        m.d.sync += count.eq(Mux(index == beats - 1, 0, index + 1))
    return index


class Fp16Datapath(wiring.Component):
    """FP32 scores in (``score_beat``), P (FP16) out with l (FP32) at each row's end: the FP16
    online-softmax baseline. The link carries ``lanes`` FP16 codes (16·lanes bits) per beat plus
    the framing, no side band. Parameters are validated at construction."""

    latency = None
    timing = ("streaming, no fixed latency: a beat is cast in 1 cycle, crosses the link FIFO "
              "(link_depth beats), and leaves the vector side bc / lanes + 2 cycles after its "
              "row's block is in; up to one beat per cycle in steady state")

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, link_depth: int = 0,
                 accuracy: str = "correct"):
        try:
            _check(br, bc, lanes, accuracy)
            self.cast = Fp16Cast(br=br, bc=bc, lanes=lanes)
            self.link = MatrixVectorLink(width=FP16.width * lanes, element="fp16", br=br,
                                         m_width=None, depth=link_depth)
            self.lanes_unit = Fp16SoftmaxLanes(br=br, bc=bc, lanes=lanes, accuracy=accuracy)
        except (ValueError, TypeError):
            discard(self, *(getattr(self, n) for n in ("cast", "link", "lanes_unit")
                             if hasattr(self, n)))
            raise
        self.br, self.bc, self.lanes = br, bc, lanes
        super().__init__({"i": In(stream.Signature(score_beat(lanes, br))),
                          "o": Out(stream.Signature(prob_beat(lanes, br, FP16.width)))})

    def elaborate(self, platform):
        m = Module()
        m.submodules.cast = self.cast
        m.submodules.link = self.link
        m.submodules.lanes = self.lanes_unit
        wiring.connect(m, wiring.flipped(self.i), self.cast.i)
        wiring.connect(m, self.cast.o, self.link.i)
        wiring.connect(m, self.link.o, self.lanes_unit.i)
        wiring.connect(m, self.lanes_unit.o, wiring.flipped(self.o))
        return m
