"""``Rescale``: the matrix-side block-aware rescaling datapath (``baps.md`` block 1)."""

from amaranth import Array, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..golden.baps import BC, BR, LANES, M_WIDTH, SCORE_FORMAT
from ..golden.formats import FP32, NumberFormat, get_format
from . import codec
from .baps_layouts import code_beat, score_beat, shift_shape
from .pipeline import discard

__all__ = ["Rescale", "check_tile_params", "score_fixed_point", "ceil_of_fixed",
           "code_of_difference"]


def check_tile_params(*, br, bc, lanes, m_width) -> None:
    """``ValueError`` naming the first bad tile parameter and what is allowed."""
    for param, value in ((BR, br), (BC, bc), (LANES, lanes), (M_WIDTH, m_width)):
        param.check(value)
    if bc % lanes:
        raise ValueError(f"bc={bc} is not a multiple of lanes={lanes}; allowed: bc = k·lanes")


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


def code_of_difference(m: Module, fmt: NumberFormat, f, frac: int, mx):
    """fmt(t − mx), rounded once from the exact difference, for the fixed-point score ``f`` and
    the integer ``mx`` (bit-exact with ``golden.baps.code_of_difference``)."""
    big_m = Signal(signed(len(f.t) + 1))
    m.d.comb += big_m.eq(mx << frac)
    positive = Signal()
    a = Signal(len(f.t) + 1)                 # floor(|t − m|·2^frac); the remainder is f.inexact
    m.d.comb += [
        positive.eq((f.t > big_m) | ((f.t == big_m) & f.inexact)),
        a.eq(Mux(positive, f.t - big_m, big_m - f.t - f.inexact)),
    ]
    mag = codec.round_fixed(m, fmt, a, frac, sticky=f.inexact)
    overflow = fmt.overflow_code()
    code = Signal(fmt.width, name=f"x_{fmt.name}")
    with m.If(f.nan):
        m.d.comb += code.eq(fmt.nan_code)
    with m.Elif(f.pos_huge):
        m.d.comb += code.eq(overflow)
    with m.Elif(f.neg_huge):
        m.d.comb += code.eq(codec.apply_sign(fmt, 1, overflow))
    with m.Else():
        m.d.comb += code.eq(codec.apply_sign(fmt, ~positive, mag))
    return code


class Rescale(wiring.Component):
    """FP32 scores in (``lanes`` per beat, block-major), x = t − m codes out (``score_format``,
    HiF8 by default), same beats.

    Per row and block: b = max of the block's scores (NaN ignored), m_new = max(m_old, ceil(b))
    (saturating ``m_width``-bit signed; restarts on ``first_block``), x = fmt(t − m_new)
    rounded once from the exact difference (fixed point sized from ``m_width`` and the format:
    ``score_fixed_point``), shift = m_old − m_new. Bit-exact with
    ``golden.baps``. The row's ``bc`` scores are buffered (two ping-pong halves of one
    ``Memory`` of 2·bc/lanes words of 32·lanes bits, synchronous read: block RAM on an FPGA)
    because m_new is needed before the first subtraction; while one row drains the next fills,
    so the steady state is ``lanes`` scores per cycle. A beat leaves ``bc / lanes`` + 1 cycles
    after its row's last beat arrived at the earliest (the read takes a cycle; the output stage
    holds the word and its side band while the consumer stalls).
    """

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, m_width: int = 16,
                 score_format: str = "hif8"):
        try:
            check_tile_params(br=br, bc=bc, lanes=lanes, m_width=m_width)
            SCORE_FORMAT.check(score_format)
        except ValueError:
            discard(self)
            raise
        self.br, self.bc, self.lanes, self.m_width = br, bc, lanes, m_width
        self.score_format = get_format(score_format)
        self.frac, self.int_bits = score_fixed_point(self.score_format, m_width)
        super().__init__({
            "i": In(stream.Signature(score_beat(lanes, br))),
            "o": Out(stream.Signature(code_beat(lanes, self.score_format.width, br, m_width))),
        })

    def _fixed(self, m, bits):
        return codec.to_fixed(m, FP32, codec.decode(m, FP32, bits), self.frac, self.int_bits)

    def elaborate(self, platform):
        m = Module()
        lanes, beats = self.lanes, self.bc // self.lanes
        lo = -(1 << (self.m_width - 1))

        m.submodules.buffer = buffer = Memory(shape=FP32.width * lanes, depth=2 * beats, init=[])
        write = buffer.write_port()
        read = buffer.read_port(domain="sync")
        m_reg = Array(Signal(signed(self.m_width), name=f"m{r}") for r in range(self.br))
        full = Signal(2)
        # Per-buffer side band. Read with a Mux, not an Array: Icarus never evaluates the
        # `always @*` block of an Array read whose inputs keep their initial values (X out).
        meta = [Signal(data.StructLayout({"m": signed(self.m_width),
                                          "shift": shift_shape(self.m_width),
                                          "row": self.i.payload.row.shape(),
                                          "first": 1, "last": 1}), name=f"meta{k}")
                for k in range(2)]

        # Fill side: buffer the row's beats, running max of the lanes' ceilings.
        fill_sel = Signal()
        fill_beat = Signal(range(beats))
        cmax = Signal(signed(self.m_width))
        beat_max = Signal(signed(self.m_width))
        ceils = [ceil_of_fixed(m, self._fixed(m, self.i.payload.scores[k]), self.frac, self.m_width)
                 for k in range(lanes)]
        acc = Mux(fill_beat == 0, lo, cmax)
        for k, c in enumerate(ceils):        # a chain of signals: nested Muxes would repeat `acc`
            step = Signal(signed(self.m_width), name=f"max{k}")
            m.d.comb += step.eq(Mux(c > acc, c, acc))
            acc = step
        m_old = Signal(signed(self.m_width))          # (ArrayProxy reads go through signals:
        m.d.comb += [beat_max.eq(acc), self.i.ready.eq(~full.bit_select(fill_sel, 1)),
                     m_old.eq(m_reg[self.i.payload.row])]   # each use would copy the mux)
        m.d.comb += [write.addr.eq(fill_sel * beats + fill_beat),
                     write.data.eq(self.i.payload.scores.as_value()),
                     write.en.eq(self.i.valid & self.i.ready)]
        with m.If(self.i.valid & self.i.ready):
            with m.If(fill_beat == beats - 1):
                row = self.i.payload.row
                m_new = Signal(signed(self.m_width), name="m_new")
                m.d.comb += m_new.eq(Mux(self.i.payload.first_block | (beat_max > m_old),
                                         beat_max, m_old))
                m.d.sync += [m_reg[row].eq(m_new), fill_sel.eq(~fill_sel), fill_beat.eq(0)]
                for k in range(2):
                    with m.If(fill_sel == k):
                        m.d.sync += [
                            meta[k].m.eq(m_new),
                            meta[k].shift.eq(Mux(self.i.payload.first_block, 0, m_old - m_new)),
                            meta[k].row.eq(row),
                            meta[k].first.eq(self.i.payload.first_block),
                            meta[k].last.eq(self.i.payload.last_block),
                        ]
            with m.Else():
                m.d.sync += [fill_beat.eq(fill_beat + 1), cmax.eq(beat_max)]

        # Drain side: read the buffered row one beat per cycle into the output stage (the read
        # port's data and these registers, held while the consumer stalls); x = HiF8(t − m_new)
        # for its ``lanes`` scores.
        drain_sel = Signal()
        drain_beat = Signal(range(beats))
        ready_row = full.bit_select(drain_sel, 1)      # a beat to read
        take = Signal()                                # the output stage is free this cycle
        cur = Signal.like(meta[0], name="cur_meta")
        out_meta = Signal.like(meta[0], name="out_meta")
        out_valid = Signal()
        out_first_beat = Signal()
        out_last_beat = Signal()
        m.d.comb += [take.eq(~out_valid | self.o.ready),
                     read.addr.eq(drain_sel * beats + drain_beat), read.en.eq(take),
                     cur.eq(Mux(drain_sel, meta[1].as_value(), meta[0].as_value()))]
        with m.If(take):
            m.d.sync += [out_valid.eq(ready_row), out_meta.eq(cur),
                         out_first_beat.eq(drain_beat == 0),
                         out_last_beat.eq(drain_beat == beats - 1)]
            with m.If(ready_row):
                with m.If(drain_beat == beats - 1):
                    m.d.sync += [drain_sel.eq(~drain_sel), drain_beat.eq(0)]
                with m.Else():
                    m.d.sync += drain_beat.eq(drain_beat + 1)
        o = self.o.payload
        for k in range(lanes):
            f = self._fixed(m, read.data[FP32.width * k:FP32.width * (k + 1)])
            m.d.comb += o.codes[k].eq(code_of_difference(m, self.score_format, f, self.frac,
                                                         out_meta.m))
        m.d.comb += [
            self.o.valid.eq(out_valid),
            o.row.eq(out_meta.row),
            o.shift.eq(out_meta.shift),
            o.first_block.eq(out_meta.first),
            o.last_block.eq(out_meta.last),
            o.first_beat.eq(out_first_beat),
            o.last_beat.eq(out_last_beat),
        ]

        # Buffer occupancy: set when a row is complete, cleared when its last beat is read.
        filled = self.i.valid & self.i.ready & (fill_beat == beats - 1)
        drained = take & ready_row & (drain_beat == beats - 1)
        for k in range(2):
            with m.If(filled & (fill_sel == k)):
                m.d.sync += full[k].eq(1)
            with m.Elif(drained & (drain_sel == k)):
                m.d.sync += full[k].eq(0)
        return m
