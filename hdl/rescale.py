"""``Rescale``: the matrix-side block-aware rescaling datapath (``baps.md`` block 1)."""

from amaranth import Array, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .baps_layouts import code_beat, score_beat, shift_shape
from .pipeline import discard
from .score_arith import ceil_of_fixed, fp32_to_fixed, hif8_of_difference

__all__ = ["Rescale", "check_tile_params"]


def check_tile_params(*, br, bc, lanes, m_width) -> None:
    """``ValueError`` naming the first bad tile parameter and what is allowed."""
    for name, value, lo, hi in (("br", br, 1, 4096), ("bc", bc, 1, 4096), ("lanes", lanes, 1, 256),
                                ("m_width", m_width, 2, 32)):
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise ValueError(f"{name}={value!r} is not allowed; allowed: integers {lo}..{hi}")
    if bc % lanes:
        raise ValueError(f"bc={bc} is not a multiple of lanes={lanes}; allowed: bc = k·lanes")


class Rescale(wiring.Component):
    """FP32 scores in (``lanes`` per beat, block-major), HiF8 x = t − m codes out, same beats.

    Per row and block: b = max of the block's scores (NaN ignored), m_new = max(m_old, ceil(b))
    (saturating ``m_width``-bit signed; restarts on ``first_block``), x = HiF8_TA(t − m_new)
    rounded once from the exact difference, shift = m_old − m_new. Bit-exact with
    ``golden.baps``. The row's ``bc`` scores are buffered (two ping-pong buffers) because m_new
    is needed before the first subtraction; while one row drains the next fills, so the steady
    state is ``lanes`` scores per cycle, with a latency of ``bc / lanes`` cycles.
    """

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, m_width: int = 16):
        try:
            check_tile_params(br=br, bc=bc, lanes=lanes, m_width=m_width)
        except ValueError:
            discard(self)
            raise
        self.br, self.bc, self.lanes, self.m_width = br, bc, lanes, m_width
        super().__init__({
            "i": In(stream.Signature(score_beat(lanes, br))),
            "o": Out(stream.Signature(code_beat(lanes, 8, br, m_width))),
        })

    def elaborate(self, platform):
        m = Module()
        lanes, beats = self.lanes, self.bc // self.lanes
        lo = -(1 << (self.m_width - 1))

        buffers = Array(Signal(32 * lanes, name=f"buf{k}") for k in range(2 * beats))
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
        ceils = [ceil_of_fixed(m, fp32_to_fixed(m, self.i.payload.scores[k]), self.m_width)
                 for k in range(lanes)]
        acc = Mux(fill_beat == 0, lo, cmax)
        for k, c in enumerate(ceils):        # a chain of signals: nested Muxes would repeat `acc`
            step = Signal(signed(self.m_width), name=f"max{k}")
            m.d.comb += step.eq(Mux(c > acc, c, acc))
            acc = step
        m_old = Signal(signed(self.m_width))          # (ArrayProxy reads go through signals:
        m.d.comb += [beat_max.eq(acc), self.i.ready.eq(~full.bit_select(fill_sel, 1)),
                     m_old.eq(m_reg[self.i.payload.row])]   # each use would copy the mux)
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += buffers[fill_sel * beats + fill_beat].eq(self.i.payload.scores.as_value())
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

        # Drain side: x = HiF8(t − m_new) for the buffered row, one beat of `lanes` per cycle.
        drain_sel = Signal()
        drain_beat = Signal(range(beats))
        word = Signal(32 * lanes)
        cur = Signal.like(meta[0], name="cur_meta")
        m.d.comb += [word.eq(buffers[drain_sel * beats + drain_beat]),
                     cur.eq(Mux(drain_sel, meta[1].as_value(), meta[0].as_value()))]
        m_new_out = cur.m
        o = self.o.payload
        for k in range(lanes):
            f = fp32_to_fixed(m, word[32 * k:32 * (k + 1)])
            m.d.comb += o.codes[k].eq(hif8_of_difference(m, f, m_new_out))
        m.d.comb += [
            self.o.valid.eq(full.bit_select(drain_sel, 1)),
            o.row.eq(cur.row),
            o.shift.eq(cur.shift),
            o.first_block.eq(cur.first),
            o.last_block.eq(cur.last),
            o.first_beat.eq(drain_beat == 0),
            o.last_beat.eq(drain_beat == beats - 1),
        ]
        with m.If(self.o.valid & self.o.ready):
            with m.If(drain_beat == beats - 1):
                m.d.sync += [drain_sel.eq(~drain_sel), drain_beat.eq(0)]
            with m.Else():
                m.d.sync += drain_beat.eq(drain_beat + 1)

        # Buffer occupancy: set when a row is complete, cleared when it has drained.
        filled = self.i.valid & self.i.ready & (fill_beat == beats - 1)
        drained = self.o.valid & self.o.ready & (drain_beat == beats - 1)
        for k in range(2):
            with m.If(filled & (fill_sel == k)):
                m.d.sync += full[k].eq(1)
            with m.Elif(drained & (drain_sel == k)):
                m.d.sync += full[k].eq(0)
        return m
