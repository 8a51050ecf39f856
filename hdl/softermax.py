"""The Softermax datapath (``golden.softermax``): ``FixedScoreCast`` (Q(6,2)) →
``MatrixVectorLink`` (8 bits per score) → ``SoftermaxLanes``. Bit-exact with
``golden.softermax``."""

from amaranth import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..golden.fixed_scores import MASK_CODE, Q6_2
from ..golden.softermax import D_MAX, POW2_Q15, RECIP_C0, RECIP_C1, RECIP_SEGMENTS
from . import codec
from .beat_layouts import norm_beat
from .fixed_cast import FixedScoreCast, fixed_link_beat
from .link import LINK_DEPTH, MatrixVectorLink
from .pipeline import ArgumentsChecked, Cuts, check_stages, stages_param
from ..golden.tile import BC, BR, LANES, check_tile_params
from .datapath import ThreeBlockDatapath
from .trees import adder_tree, max_tree
from .tile_buffer import TILE_BLOCKS, output_pass, tile_buffer

__all__ = ["SoftermaxLanes", "SoftermaxDatapath", "STAGES"]

M_SHAPE = signed(7)                   # the integer running max, −32..32
M_INIT = -32


def _table(values, index, width: int):
    return Array(Const(v, width) for v in values)[index]


def _shift_right(m: Module, value, amount, width: int, limit: int, name: str):
    """``value`` >> ``amount`` (unsigned ``amount``; ≥ ``limit`` gives 0)."""
    out = Signal(width, name=name)
    m.d.comb += out.eq(Mux(amount >= limit, 0, value >> amount[:limit.bit_length()]))
    return out


class SoftermaxLanes(ArgumentsChecked, wiring.Component):
    """Q(6,2) codes in (``fixed_link_beat``), Q(1,7) p out (``norm_beat``) in the same
    block-major order, a tile after its last beat arrived.

    Fill (one beat per cycle, the unnormed unit): the beat's max code (masked −128 ignored), its
    ceiling m_new = max(m_old, ⌈c_max/4⌉) per row; per lane u = 2^(c/4 − m_new) in Q(1,15) from
    a 4-entry table and a right shift; the row's d (Q(10,6)) = (d >> (m_new − m_old)) + Σ u >> 9,
    saturating. Each beat's u and m_new go into one half of a ping-pong ``tile_buffer`` (up to
    ``blocks`` blocks per row); at the tile's end each row's d and final m are kept with it.
    Drain (the other half, the normalization unit): one pass in arrival order, per beat the
    row's reciprocal (leading one of d, an 8-segment chord, Q(1,7)) and per lane
    p = min(((u >> (m_final − m_beat))·r) >> (e + 9), 255).

    ``stages`` enables optional register cuts in the order of ``CUTS``: ``fill.max`` splits the
    unnormed unit after the running max (the beat's max and m in one cycle, u, d and the buffer
    write in the next; a tile's last beat then holds the next tile's first for one cycle),
    ``out.recip`` cuts the normalization after the reciprocal and the shifted u,
    ``out.product`` after the products, ``out.norm`` after d's normalization (before the
    reciprocal's table), ``fill.u`` splits the unnormed unit after u (the buffer write; the
    row's d in the next cycle)."""

    CUTS = ("fill.max", "out.recip", "out.product", "out.norm", "fill.u")

    @classmethod
    def check_arguments(cls, *, br, bc, lanes, blocks, stages):
        check_tile_params(br=br, bc=bc, lanes=lanes)
        TILE_BLOCKS.check(blocks)
        check_stages(stages, cls.CUTS)

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, blocks: int = 4,
                 stages: int = 0):
        self.enabled = check_stages(stages, self.CUTS)
        self.br, self.bc, self.lanes, self.blocks = br, bc, lanes, blocks
        super().__init__({"i": In(stream.Signature(fixed_link_beat(lanes, br))),
                          "o": Out(stream.Signature(norm_beat(lanes, br)))})

    def _running_max(self, m, codes, m_old, seen):
        """(m_new, any key unmasked) of one beat."""
        beat_max = max_tree(list(codes), lambda a, b: a > b)
        any_valid = Signal(name="beat_any")
        ceil = Signal(signed(7), name="beat_ceil")
        m.d.comb += [any_valid.eq(beat_max != MASK_CODE), ceil.eq((beat_max + 3) >> 2)]
        m_new = Signal(M_SHAPE, name="m_new")
        m.d.comb += m_new.eq(Mux(any_valid, Mux(seen & (m_old > ceil), m_old, ceil), m_old))
        return m_new, any_valid

    def _unnormed(self, m, codes, m_new):
        """u per lane of one beat: 2^(c/4 − m_new) in Q(1,15), 0 for a masked code."""
        u = []
        for k, c in enumerate(codes):
            diff = Signal(signed(10), name=f"diff{k}")
            m.d.comb += diff.eq(c - (m_new << 2))
            amount = Signal(unsigned(8), name=f"u_shift{k}")
            m.d.comb += amount.eq(-(diff >> 2))
            table = _table(POW2_Q15, diff[:2], 16)
            shifted = _shift_right(m, table, amount, 16, 16, f"u_shifted{k}")
            uk = Signal(16, name=f"u{k}")
            m.d.comb += uk.eq(Mux(c == MASK_CODE, 0, shifted))
            u.append(uk)
        return u

    def _renormed(self, m, d_old, shift, u):
        """The row's d (Q(10,6)) after one beat: (d_old >> shift) + Σ u >> 9, saturating."""
        total = Signal(17, name="d_sum")
        m.d.comb += total.eq(_shift_right(m, d_old, shift, 16, 16, "d_renorm")
                             + adder_tree([v >> 9 for v in u]))
        d_new = Signal(16, name="d_new")
        m.d.comb += d_new.eq(Mux(total > D_MAX, D_MAX, total))
        return d_new

    def _normalized(self, m, d):
        """(e, norm): d = 2^e·mant, norm = mant·2^15 (the leading one at bit 15)."""
        e = codec.leading_one(m, d)
        norm = Signal(16, name="recip_norm")
        amount = Signal(range(16), name="recip_shift")
        m.d.comb += [amount.eq(15 - e), norm.eq(d << amount)]
        return e, norm

    def _reciprocal(self, m, norm):
        """r ≈ 128/mant in Q(1,7) of ``norm`` = mant·2^15 (``golden.softermax.reciprocal_q7``)."""
        seg_bits = RECIP_SEGMENTS.bit_length() - 1
        s, t = norm[15 - seg_bits:15], norm[7 - seg_bits:15 - seg_bits]
        r12 = Signal(13, name="recip_q12")
        m.d.comb += r12.eq(_table(RECIP_C0, s, 13) - ((_table(RECIP_C1, s, 10) * t) >> 8))
        r = Signal(8, name="recip_q7")
        m.d.comb += r.eq((r12 + 16) >> 5)
        return r

    def elaborate(self, platform):
        m = Module()
        accept = Signal(name="fill_accept")
        a, m_fill = self._fill_max(m, accept)
        b, b_valid, u, tile_end, buf, m_half = self._fill_buffer(m, a, accept, m_fill)
        d_half = self._fill_sum(m, b, b_valid, u, tile_end, buf)

        # Drain: the normalization unit.
        sel = buf.drain_sel
        d_rows = Array(Mux(sel, d_half[1][r], d_half[0][r]) for r in range(self.br))
        m_rows = Array(Mux(sel, m_half[1][r], m_half[0][r]) for r in range(self.br))
        start_out = Signal()
        out_idle, out_issue, out_addr = output_pass(
            m, buf, br=self.br, beats=self.bc // self.lanes, max_blocks=self.blocks,
            words=self.br * self.blocks * (self.bc // self.lanes), start=start_out, o=self.o,
            compute=lambda m, word, row, cut: self._output(m, word, d_rows[row], m_rows[row], cut),
            cuts=Cuts(tuple(n for n in self.enabled if n.startswith("out."))))
        m.d.comb += [buf.read_addr.eq(out_addr), buf.read_en.eq(out_issue)]
        with m.FSM(name="drain"):
            with m.State("idle"):
                with m.If(buf.full):
                    m.d.comb += start_out.eq(1)
                    m.next = "out"
            with m.State("out"):
                with m.If(out_idle):
                    m.d.comb += buf.release.eq(1)
                    m.next = "idle"
        return m

    def _fill_max(self, m, accept):
        """Fill, stage A: the beat's max and the row's running max. Returns (the stage's value,
        the rows' running maxima)."""
        br, lanes = self.br, self.lanes
        i = self.i.payload
        m_fill = Array(Signal(M_SHAPE, name=f"m_fill{r}", init=M_INIT) for r in range(br))
        seen_fill = Array(Signal(name=f"seen{r}") for r in range(br))
        f = i.frame
        row_start = f.first_block & f.first_beat
        m_old, seen = Signal(M_SHAPE, name="m_old"), Signal(name="seen")
        m.d.comb += [m_old.eq(Mux(row_start, M_INIT, m_fill[f.row])),
                     seen.eq(~row_start & seen_fill[f.row])]
        m_new, any_valid = self._running_max(m, i.codes, m_old, seen)
        with m.If(accept):
            m.d.sync += [m_fill[f.row].eq(m_new), seen_fill[f.row].eq(seen | any_valid)]
        stage = data.StructLayout({"codes": data.ArrayLayout(signed(8), lanes), "m_new": M_SHAPE,
                                   "m_old": M_SHAPE, "seen": 1, "row": range(br),
                                   "row_start": 1, "last_beat": 1, "last_block": 1})
        a = Signal(stage, name="fill_a")
        m.d.comb += [a.codes.eq(i.codes), a.m_new.eq(m_new), a.m_old.eq(m_old), a.seen.eq(seen),
                     a.row.eq(f.row), a.row_start.eq(row_start), a.last_beat.eq(f.last_beat),
                     a.last_block.eq(f.last_block)]
        return a, m_fill

    def _fill_buffer(self, m, a, accept, m_fill):
        """Fill, stage B (after the optional cut ``fill.max``): u = 2^(x − m) into the tile
        buffer, the input's ready, and each half's maxima at the tile's end. Returns (the stage's
        value, its valid, u, the tile's end, the buffer, the maxima per half)."""
        br, lanes = self.br, self.lanes
        cut_fill = "fill.max" in self.enabled
        if cut_fill:
            b, b_valid = Signal(a.shape(), name="fill_b"), Signal(name="fill_b_valid")
            m.d.sync += b_valid.eq(accept)
            with m.If(accept):
                m.d.sync += b.eq(a)
        else:
            b, b_valid = a, accept
        tile_end = Signal(name="tile_end")
        m.d.comb += tile_end.eq(b.last_block & b.last_beat & (b.row == br - 1))
        block = Signal(range(self.blocks), name="fill_block")
        u = self._unnormed(m, list(b.codes), b.m_new)
        buf = tile_buffer(m, width=16 * lanes + len(b.m_new),
                          words=br * self.blocks * (self.bc // lanes), max_blocks=self.blocks,
                          write_en=b_valid, write_data=Cat(*u, b.m_new), tile_end=tile_end,
                          block_index=block)
        # a tile's last beat in stage B holds the next tile's first: its half is not known yet
        ready = buf.ready & ~(b_valid & tile_end) if cut_fill else buf.ready
        m.d.comb += [self.i.ready.eq(ready), accept.eq(self.i.valid & ready)]
        m_half = [[Signal(M_SHAPE, name=f"m{k}_{r}") for r in range(br)] for k in range(2)]
        with m.If(b_valid):
            with m.If(b.last_beat & (b.row == br - 1)):
                m.d.sync += block.eq(Mux(b.last_block, 0, block + 1))
            with m.If(tile_end):
                for k in range(2):
                    with m.If(buf.fill_sel == k):
                        # without the cut, stage A updates m_fill on this same edge
                        m.d.sync += [m_half[k][r].eq(m_fill[r] if cut_fill else
                                                     Mux(b.row == r, b.m_new, m_fill[r]))
                                     for r in range(br)]
        return b, b_valid, u, tile_end, buf, m_half

    def _fill_sum(self, m, b, b_valid, u, tile_end, buf):
        """Fill, stage C (after the optional cut ``fill.u``): the row's d, kept at the tile's end
        for the half it closed. The stage never stalls (B's beat is written when it is valid).
        Returns the row sums per half."""
        br = self.br
        shift = Signal(unsigned(7), name="d_shift")
        m.d.comb += shift.eq(Mux(b.seen, b.m_new - b.m_old, 0))
        closing = Signal(data.StructLayout({"row": range(br), "row_start": 1, "tile_end": 1,
                                            "half": 1, "shift": unsigned(7)}), name="fill_c")
        m.d.comb += [closing.row.eq(b.row), closing.row_start.eq(b.row_start),
                     closing.tile_end.eq(tile_end), closing.half.eq(buf.fill_sel),
                     closing.shift.eq(shift)]
        c, c_valid, c_u = closing, b_valid, u
        if "fill.u" in self.enabled:
            c, c_valid = Signal.like(closing, name="fill_c_reg"), Signal(name="fill_c_valid")
            c_u = [Signal.like(v, name=f"fill_c_u{k}") for k, v in enumerate(u)]
            m.d.sync += [c.eq(closing), c_valid.eq(b_valid)]
            m.d.sync += [r.eq(v) for r, v in zip(c_u, u)]
        d_fill = Array(Signal(16, name=f"d_fill{r}") for r in range(br))
        d_old = Signal(16, name="d_old")
        m.d.comb += d_old.eq(Mux(c.row_start, 0, d_fill[c.row]))
        d_new = self._renormed(m, d_old, c.shift, c_u)
        d_half = [[Signal(16, name=f"d{k}_{r}") for r in range(br)] for k in range(2)]
        with m.If(c_valid):
            m.d.sync += d_fill[c.row].eq(d_new)
            with m.If(c.tile_end):
                for k in range(2):
                    with m.If(c.half == k):
                        m.d.sync += [d_half[k][r].eq(Mux(c.row == r, d_new, d_fill[r]))
                                     for r in range(br)]
        return d_half

    def _output(self, m, word, d_row, m_row, cut):
        """The normalization of one buffered beat: each u shifted to the row's final max,
        times the piecewise-linear reciprocal of d, to Q(1,7) saturated (optional cuts
        ``out.norm``, ``out.recip``, ``out.product``)."""
        lanes = self.lanes
        d, m_final = Signal(16, name="out_d"), Signal(M_SHAPE, name="out_m")
        m.d.comb += [d.eq(d_row), m_final.eq(m_row)]
        e, norm = self._normalized(m, d)
        m_beat = Signal(M_SHAPE, name="out_m_beat")
        m.d.comb += m_beat.eq(word[16 * lanes:])
        shift = Signal(unsigned(7), name="out_shift")
        m.d.comb += shift.eq(m_final - m_beat)
        v = [_shift_right(m, word[16 * k:16 * (k + 1)], shift, 16, 16, f"v{k}")
             for k in range(lanes)]
        e, norm, v = cut("out.norm", e, norm, v)
        r = self._reciprocal(m, norm)
        e, r, v = cut("out.recip", e, r, v)
        products = []
        for k in range(lanes):
            p = Signal(24, name=f"p_product{k}")
            m.d.comb += p.eq(v[k] * r)
            products.append(p)
        e, products = cut("out.product", e, products)
        out = []
        for k in range(lanes):
            p = Signal(24, name=f"p_full{k}")
            m.d.comb += p.eq(products[k] >> (e + 9))
            out.append(Mux(p > 255, 255, p))
        return out



STAGES = stages_param(SoftermaxLanes.CUTS)


class SoftermaxDatapath(ThreeBlockDatapath):
    """FP32 scores in (``score_beat``), Q(1,7) probabilities out (``norm_beat``): FixedScoreCast
    (Q(6,2)) → 8-bit link → SoftermaxLanes with a tile buffer of ``blocks`` key blocks per row.
    ``stages``: the vector side's optional register cuts."""

    PARAMS = (BR, BC, LANES, TILE_BLOCKS, LINK_DEPTH, STAGES)
    BLOCK_NAMES = ("cast", "link", "lanes")
    timing = ("tile-buffered, no fixed latency: a tile's beats are cast in 1 cycle and pass the "
              "unnormed unit into the buffer; its normalization pass starts after its last beat, "
              "one beat per cycle, while the next tile fills the other half")

    def blocks(self, p):
        return (FixedScoreCast(br=p.br, bc=p.bc, lanes=p.lanes, frac_bits=Q6_2.frac_bits),
                MatrixVectorLink(layout=fixed_link_beat(p.lanes, p.br), depth=p.link_depth),
                SoftermaxLanes(br=p.br, bc=p.bc, lanes=p.lanes, blocks=p.blocks,
                               stages=p.stages))
