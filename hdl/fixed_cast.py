"""``FixedScoreCast``: the matrix side of the int8 datapaths (Softermax, HCCS): FP32 scores to
signed 8-bit fixed-point codes (``golden.fixed_scores``), with the beat framing the vector side
needs."""

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import data

from ..golden.fixed_scores import CODE_MAX, FRAC_BITS, MASK_CODE
from ..golden.formats import FP32
from . import codec
from .beat_layouts import FRAME, frame, same_frame, score_beat
from ..golden.tile import check_tile_params
from .pipeline import StreamPipeline

__all__ = ["FixedScoreCast", "fixed_link_beat", "fixed_score_code"]


def fixed_link_beat(lanes: int, br: int, side=None) -> data.StructLayout:
    """One link beat: ``lanes`` int8 codes (two's complement), framing, and an optional per-beat
    side band ``side`` (a layout, or None)."""
    fields = {"codes": data.ArrayLayout(signed(8), lanes),
              FRAME: frame(br, "first_beat", "last_beat")}
    if side is not None:
        fields["side"] = side
    return data.StructLayout(fields)


def fixed_score_code(m: Module, bits, frac_bits: int) -> Signal:
    """The int8 code of the FP32 pattern ``bits``: RNE(t·2^frac_bits) saturated to ±127,
    −Inf and NaN → −128 (bit-exact with ``FixedScoreFormat.encode``)."""
    f = codec.decode(m, FP32, bits)
    fx = codec.to_fixed(m, FP32, f, frac_bits + 1, 9 - frac_bits)     # floor(2^(F+1)·t)
    half = fx.t >> 1
    up = fx.t[0] & (fx.inexact | half[0])                  # guard, and sticky or odd: RNE
    rounded = Signal(signed(len(fx.t)), name="fixed_rounded")
    m.d.comb += rounded.eq(half + up)
    code = Signal(signed(8), name="fixed_code")
    with m.If(fx.nan | (f.inf & f.sign)):
        m.d.comb += code.eq(MASK_CODE)
    with m.Elif(fx.pos_huge | (rounded > CODE_MAX)):
        m.d.comb += code.eq(CODE_MAX)
    with m.Elif(fx.neg_huge | (rounded < -CODE_MAX)):
        m.d.comb += code.eq(-CODE_MAX)
    with m.Else():
        m.d.comb += code.eq(rounded)
    return code


class FixedScoreCast(StreamPipeline):
    """FP32 scores in (``score_beat``, plus ``side`` when given), int8 codes out
    (``fixed_link_beat``). Latency 1 cycle (a registered output), one beat per cycle."""

    latency = 1

    @classmethod
    def check_arguments(cls, *, br, bc, lanes, frac_bits, side):
        check_tile_params(br=br, bc=bc, lanes=lanes)
        FRAC_BITS.check(frac_bits)

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, frac_bits: int = 2,
                 side=None):
        self.br, self.bc, self.lanes, self.frac_bits = br, bc, lanes, frac_bits
        in_beat = score_beat(lanes, br)
        if side is not None:
            in_beat = data.StructLayout({**{n: f.shape for n, f in in_beat}, "side": side})
        self.has_side = side is not None
        super().__init__(in_beat, fixed_link_beat(lanes, br, side))

    def datapath(self, m, i, reg):
        beats = self.bc // self.lanes
        beat = Signal(range(beats), name="beat")
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += beat.eq(Mux(beat == beats - 1, 0, beat + 1))
        o = Signal(self.o.payload.shape(), name="cast")
        m.d.comb += [o.codes[k].eq(fixed_score_code(m, i.scores[k], self.frac_bits))
                     for k in range(self.lanes)]
        m.d.comb += [*same_frame(o.frame, i.frame), o.frame.first_beat.eq(beat == 0),
                     o.frame.last_beat.eq(beat == beats - 1)]
        if self.has_side:
            m.d.comb += o.side.eq(i.side)
        return reg(o)
