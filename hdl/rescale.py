"""``Rescale``: the matrix-side block-aware rescaling datapath (``baps.md`` block 1)."""

from amaranth import Array, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..golden.baps import M_WIDTH, SCORE_FORMAT
from ..golden.tile import check_tile_params
from ..golden.formats import FP32, NumberFormat
from . import codec
from .beat_layouts import FRAME, code_beat, same_frame, score_beat, shift_shape
from .trees import max_tree
from .pipeline import NO_CUTS, ArgumentsChecked, Cuts, StagedLogic, check_stages, stages_param
from .row_buffer import ping_pong_buffer

__all__ = ["Rescale", "score_fixed_point", "ceil_of_fixed",
           "code_of_difference", "STAGES"]


def score_fixed_point(fmt: NumberFormat, m_width: int) -> tuple[int, int]:
    """(fraction bits, integer bits) of the exact fixed point of FP32 scores t.

    Fraction: every rounding boundary of ``fmt`` is a multiple of 2^−frac (HiF8: 2^−23), so the
    code of t − m depends only on floor((t − m)·2^frac) and whether a remainder exists. Integer:
    |t| < 2^int is kept exactly; beyond, |t − m| ≥ 2^int − 2^(m_width−1) already overflows
    ``fmt`` (HiF8: ≥ 2^16), and ceil(t) is beyond the saturating m, for every m_width."""
    frac = -fmt.finest_boundary
    overflow_exp = fmt.binade_range[1] + 1
    return frac, max(m_width - 1, overflow_exp) + 1


def ceil_of_fixed(m: Module, f, frac: int, m_width: int):
    """ceil(t) clamped to a signed ``m_width``-bit integer; NaN counts as the minimum (ignored by
    a max), ±Inf and huge values as the limits."""
    lo, hi = -(1 << (m_width - 1)), (1 << (m_width - 1)) - 1
    c = Signal(signed(len(f.t) - frac + 1))
    m.d.comb += c.eq((f.t + ((1 << frac) - 1) + f.inexact) >> frac)
    out = Signal(signed(m_width))
    with m.If(f.nan | f.neg_huge | (c < lo)):
        m.d.comb += out.eq(lo)
    with m.Elif(f.pos_huge | (c > hi)):
        m.d.comb += out.eq(hi)
    with m.Else():
        m.d.comb += out.eq(c)
    return out


def code_of_difference(m: Module, fmt: NumberFormat, f, frac: int, mx, cuts=NO_CUTS):
    """fmt(t − mx), rounded once from the exact difference, for the fixed-point score ``f`` and
    the integer ``mx`` (bit-exact with ``golden.baps.code_of_difference``); for a distance code
    the code of |t − mx| (0 when t > mx; far for NaN and −Inf). ``cuts``: optional
    register cuts ``difference`` (after |t − mx|) and ``normalize`` (inside the rounding)."""
    big_m = Signal(signed(len(f.t) + 1))
    m.d.comb += big_m.eq(mx << frac)
    positive = Signal()
    a = Signal(len(f.t) + 1)                 # floor(|t − m|·2^frac); the remainder is f.inexact
    m.d.comb += [
        positive.eq((f.t > big_m) | ((f.t == big_m) & f.inexact)),
        a.eq(Mux(positive, f.t - big_m, big_m - f.t - f.inexact)),
    ]
    flags = (f.nan, f.pos_huge, f.neg_huge, f.inexact)
    a, positive, flags = cuts("difference", a, positive, flags)
    norm, e, zero = codec.normalize(m, a, frac)
    norm, e, zero, positive, flags = cuts("normalize", norm, e, zero, positive, flags)
    nan, pos_huge, neg_huge, inexact = flags
    mag = codec.round_normalized(m, fmt, norm, e, zero, frac, sticky=inexact)
    code = Signal(fmt.width, name=f"x_{fmt.name}")
    if not fmt.signed:                      # a distance code: d = −x, x > 0 clamps to d = 0
        with m.If(nan | neg_huge):
            m.d.comb += code.eq(fmt.nan_code)     # far (NaN has no code of its own)
        with m.Elif(pos_huge | positive):
            m.d.comb += code.eq(0)
        with m.Else():
            m.d.comb += code.eq(mag)
        return code
    overflow = fmt.overflow_code()
    with m.If(nan):
        m.d.comb += code.eq(fmt.nan_code)
    with m.Elif(pos_huge):
        m.d.comb += code.eq(overflow)
    with m.Elif(neg_huge):
        m.d.comb += code.eq(codec.apply_sign(fmt, 1, overflow))
    with m.Else():
        m.d.comb += code.eq(codec.apply_sign(fmt, ~positive, mag))
    return code




class Rescale(ArgumentsChecked, wiring.Component):
    """FP32 scores in (``lanes`` per beat, block-major), x = t − m codes out (``score_format``,
    HiF8 by default), same beats.

    Per row and block: b = max of the block's scores (NaN ignored), m_new = max(m_old, ceil(b))
    (saturating ``m_width``-bit signed; restarts on ``first_block``), x = fmt(t − m_new)
    rounded once from the exact difference (fixed point sized from ``m_width`` and the format:
    ``score_fixed_point``), shift = m_old − m_new. Bit-exact with
    ``golden.baps``. The row's ``bc`` scores are buffered (two ping-pong halves of one
    ``Memory`` of 2·bc/lanes words of 32·lanes bits, synchronous read: block RAM on an FPGA)
    because m_new is needed before the first subtraction; while one row drains the next fills,
    so the steady state is ``lanes`` scores per cycle.

    Three parts in a stream: ``fill`` (stateless: the lanes' ceilings and their max, a balanced
    tree), the row buffer with the per-row max, and ``code`` (stateless: the codes of t − m).
    ``stages`` enables optional register cuts in the order of ``CUTS``: ``code.normalize``
    (inside the rounding), ``fill.ceil`` (after the ceilings), ``fill.max`` (after their max),
    ``code.difference`` (after |t − m|), ``code.fixed`` (after t's fixed point),
    ``fill.fixed`` (after the fixed points of the ceilings' inputs). The shift
    m_old − m_new is computed on the code side (the buffer keeps both maxima). With ``stages`` = 0 a beat leaves
    ``bc / lanes`` + 1 cycles after its row's last beat arrived at the earliest (the read takes
    a cycle; the read stage holds the word while the consumer stalls); each cut adds a cycle.
    """

    CUTS = ("code.normalize", "fill.ceil", "fill.max", "code.difference", "code.fixed",
            "fill.fixed")

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, m_width: int = 16,
                 score_format="hif8", stages: int = 0):
        enabled = Cuts(check_stages(stages, self.CUTS))
        self.br, self.bc, self.lanes, self.m_width = br, bc, lanes, m_width
        self.stages = stages
        self.score_format = SCORE_FORMAT.resolve(score_format)
        self.frac, self.int_bits = score_fixed_point(self.score_format, m_width)
        in_beat = score_beat(lanes, br)
        out_beat = code_beat(lanes, self.score_format.width, br, m_width)
        self._filled = data.StructLayout({"beat": in_beat, "beat_max": signed(m_width)})
        row = in_beat[FRAME].shape["row"].shape
        self._drained = data.StructLayout({
            "scores": data.ArrayLayout(FP32.width, lanes), "m": signed(m_width),
            "m_old": signed(m_width), "row": row, "first_block": 1,
            "last_block": 1, "first_beat": 1, "last_beat": 1})
        self._side = data.StructLayout({
            "shift": shift_shape(m_width), "row": row, "first_block": 1,
            "last_block": 1, "first_beat": 1, "last_beat": 1})
        self.fill = StagedLogic(in_beat, self._filled, self._fill_logic, enabled.sub("fill"))
        self.code = StagedLogic(self._drained, out_beat, self._code_logic, enabled.sub("code"))
        super().__init__({
            "i": In(stream.Signature(in_beat)),
            "o": Out(stream.Signature(out_beat)),
        })

    @classmethod
    def check_arguments(cls, *, br, bc, lanes, m_width, score_format, stages):
        check_tile_params(br=br, bc=bc, lanes=lanes)
        M_WIDTH.check(m_width)
        SCORE_FORMAT.check(score_format)
        check_stages(stages, cls.CUTS)

    def _fixed(self, m, bits):
        return codec.to_fixed(m, FP32, codec.decode(m, FP32, bits), self.frac, self.int_bits)

    def _fill_logic(self, m, i, cuts):
        """The beat with its lanes' ceilings' max (stateless)."""
        fixed = [self._fixed(m, i.scores[k]) for k in range(self.lanes)]
        beat, fixed = cuts("fixed", i.as_value(), fixed)
        ceils = [ceil_of_fixed(m, f, self.frac, self.m_width) for f in fixed]
        beat, ceils = cuts("ceil", beat, ceils)
        best = Signal(signed(self.m_width), name="beat_max")
        m.d.comb += best.eq(max_tree(ceils, lambda a, b: a > b))
        beat, best = cuts("max", beat, best)
        out = Signal(self._filled, name="filled")
        m.d.comb += [out.beat.eq(beat), out.beat_max.eq(best)]
        return out

    def _code_logic(self, m, d, cuts):
        """The beat's codes of t − m (stateless). Every lane passes each cut (one register
        stage for the beat); the side band crosses each cut beside them."""
        o = Signal(self.code.o.payload.shape(), name="codes")
        side = Signal(self._side, name="side")
        m.d.comb += [side.shift.eq(Mux(d.first_block, 0, d.m_old - d.m)), side.row.eq(d.row),
                     side.first_block.eq(d.first_block), side.last_block.eq(d.last_block),
                     side.first_beat.eq(d.first_beat), side.last_beat.eq(d.last_beat)]
        fixed = [self._fixed(m, d.scores[k]) for k in range(self.lanes)]
        fixed, mx, side = cuts("fixed", fixed, d.m, side)
        codes = [code_of_difference(m, self.score_format, fixed[k], self.frac, mx, cuts)
                 for k in range(self.lanes)]
        (side,) = cuts("difference", side)
        (side,) = cuts("normalize", side)
        m.d.comb += [o.codes[k].eq(codes[k]) for k in range(self.lanes)]
        m.d.comb += same_frame(o.frame, side)
        return o

    def elaborate(self, platform):
        m = Module()
        m.submodules.fill = self.fill
        m.submodules.code = self.code
        wiring.connect(m, wiring.flipped(self.i), self.fill.i)
        wiring.connect(m, self.code.o, wiring.flipped(self.o))
        lanes, beats = self.lanes, self.bc // self.lanes

        m_reg = Array(Signal(signed(self.m_width), name=f"m{r}") for r in range(self.br))
        meta_layout = data.StructLayout({"m": signed(self.m_width),
                                         "m_old": signed(self.m_width),
                                         "row": self.i.payload.frame.row.shape(), "first": 1,
                                         "last": 1})

        # The row's running max over its beats, and the row's new max at its last beat.
        filled = self.fill.o
        i = filled.payload.beat
        accepted = filled.valid & filled.ready
        fill_beat = Signal(range(beats))
        cmax = Signal(signed(self.m_width))
        beat_max = Signal(signed(self.m_width))
        b = filled.payload.beat_max
        m.d.comb += beat_max.eq(Mux((fill_beat == 0) | (b > cmax), b, cmax))
        m_old = Signal(signed(self.m_width))          # (ArrayProxy reads go through signals:
        m_new = Signal(signed(self.m_width), name="m_new")   # each use would copy the mux)
        meta_in = Signal(meta_layout, name="meta_in")
        m.d.comb += [m_old.eq(m_reg[i.frame.row]),
                     m_new.eq(Mux(i.frame.first_block | (beat_max > m_old), beat_max, m_old)),
                     meta_in.m.eq(m_new), meta_in.m_old.eq(m_old),
                     meta_in.row.eq(i.frame.row), meta_in.first.eq(i.frame.first_block),
                     meta_in.last.eq(i.frame.last_block)]
        with m.If(accepted):
            with m.If(fill_beat == beats - 1):
                m.d.sync += [m_reg[i.frame.row].eq(m_new), fill_beat.eq(0)]
            with m.Else():
                m.d.sync += [fill_beat.eq(fill_beat + 1), cmax.eq(beat_max)]

        # The row buffer; its read stage feeds ``code`` (held while it stalls).
        take = Signal()
        ready, out = ping_pong_buffer(
            m, width=FP32.width * lanes, beats=beats, meta_layout=meta_layout,
            write_en=accepted, write_index=fill_beat, write_last=fill_beat == beats - 1,
            write_data=i.scores.as_value(), meta_in=meta_in, read_en=take)
        d = self.code.i.payload
        m.d.comb += [filled.ready.eq(ready), take.eq(~out.valid | self.code.i.ready),
                     self.code.i.valid.eq(out.valid),
                     d.scores.eq(out.data), d.m.eq(out.meta.m), d.m_old.eq(out.meta.m_old),
                     d.row.eq(out.meta.row), d.first_block.eq(out.meta.first),
                     d.last_block.eq(out.meta.last), d.first_beat.eq(out.first_beat),
                     d.last_beat.eq(out.last_beat)]
        return m


STAGES = stages_param(Rescale.CUTS)
