"""The HCCS datapath (``golden.hccs``): ``FixedScoreCast`` (int8 logits) → ``MatrixVectorLink``
(8 bits per score, the head's integers beside the framing) → ``HccsLanes``. Bit-exact with
``golden.hccs``."""

from amaranth import Array, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..golden.fixed_scores import FRAC_BITS, MASK_CODE
from ..golden.hccs import ONE, RECIPROCAL
from . import codec
from .beat_layouts import norm_beat
from .fixed_cast import FixedScoreCast, fixed_link_beat
from .link import LINK_DEPTH, MatrixVectorLink
from .pipeline import ArgumentsChecked, Cuts, check_stages, stages_param
from ..golden.tile import BC, BR, LANES, check_tile_params
from .datapath import ThreeBlockDatapath
from .trees import adder_tree, max_tree
from .tile_buffer import TILE_BLOCKS, output_pass, tile_buffer, tile_walk

__all__ = ["HEAD", "HccsLanes", "HccsDatapath", "STAGES"]

HEAD = data.StructLayout({"b": unsigned(15), "s": unsigned(7), "dmax": unsigned(7)})
QUOTIENT_BITS = ONE.bit_length()          # 23: ⌊(255·2^15) / Σ⌋ < 2^23 for Σ ≥ 1


def _clipped(m: Module, codes, big, head, row, cut, name: str):
    """(s per lane, row): s = B − S·min(M − c, Dmax), 0 for a masked code (unsigned, < 2^15),
    with the optional cut ``name`` after the clipped distances (before the products)."""
    deltas, masked = [], []
    for k, code in enumerate(codes):
        dist = Signal(unsigned(8), name=f"hccs_dist{k}")
        m.d.comb += dist.eq(big - code)              # M ≥ c: 0..254
        delta = Signal(unsigned(7), name=f"hccs_delta{k}")
        m.d.comb += delta.eq(Mux(dist > head.dmax, head.dmax, dist))
        deltas.append(delta)
        masked.append(code == MASK_CODE)
    flags = Cat(*masked)
    deltas, flags, b, scale, row = cut(name, deltas, flags, head.b, head.s, row)
    s = []
    for k, delta in enumerate(deltas):
        sk = Signal(unsigned(15), name=f"hccs_s{k}")
        m.d.comb += sk.eq(Mux(flags[k], 0, b - scale * delta))
        s.append(sk)
    return s, row


class HccsLanes(ArgumentsChecked, wiring.Component):
    """int8 codes in (``fixed_link_beat`` with the head's B, S, Dmax as side band, read on the
    tile's first beat), uint8 p out (``norm_beat``) in the same block-major order, a tile after
    its last beat arrived.

    Fill: every beat of a tile (up to ``blocks`` blocks per row) goes into one half of a
    ping-pong ``tile_buffer`` while each row's max M is kept. Drain (the other half): a sum pass
    reads each row's beats (s per lane, Σ in 32 bits), then one reciprocal per row (``exact``: a
    radix-2 restoring divider, 23 cycles per row; ``pow2``: the leading one of Σ), then the
    output pass p = min((s·inv) >> 15, 255) or min((255·s) >> k, 255). A tile of T beats thus
    drains in about 2T (+ 23·br) cycles: HCCS needs the row's max before any score and its sum
    before any output, two passes over the stored row.

    ``stages`` enables optional register cuts in the order of ``CUTS``: ``out.s`` after the
    output pass's s, ``sum.s`` after the sum pass's s (before its adder tree), ``out.product``
    after the output's products, ``out.delta`` and ``sum.delta`` after the clipped distances
    (before S·δ) of the output and the sum pass, ``out.partial`` after the output product's two
    partial products (s times the factor's low and high halves), ``sum.beat`` after the sum
    pass's beat sum (before the row's accumulator)."""

    CUTS = ("out.s", "sum.s", "out.product", "out.delta", "sum.delta", "out.partial",
            "sum.beat")

    @classmethod
    def check_arguments(cls, *, br, bc, lanes, blocks, reciprocal, stages):
        check_tile_params(br=br, bc=bc, lanes=lanes)
        TILE_BLOCKS.check(blocks)
        RECIPROCAL.check(reciprocal)
        check_stages(stages, cls.CUTS)

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, blocks: int = 4,
                 reciprocal: str = "exact", stages: int = 0):
        self.enabled = check_stages(stages, self.CUTS)
        self.br, self.bc, self.lanes, self.blocks, self.reciprocal = br, bc, lanes, blocks, reciprocal
        super().__init__({"i": In(stream.Signature(fixed_link_beat(lanes, br, HEAD))),
                          "o": Out(stream.Signature(norm_beat(lanes, br)))})

    def elaborate(self, platform):
        m = Module()
        br, lanes = self.br, self.lanes
        beats = self.bc // lanes
        words = br * self.blocks * beats
        i = self.i.payload
        accepted = Signal()
        tile_start, tile_end = Signal(), Signal()
        block = Signal(range(self.blocks), name="fill_block")
        f = i.frame
        m.d.comb += [tile_start.eq(f.first_block & f.first_beat & (f.row == 0)),
                     tile_end.eq(f.last_block & f.last_beat & (f.row == br - 1))]
        buf = tile_buffer(m, width=8 * lanes, words=words, max_blocks=self.blocks,
                          write_en=accepted, write_data=i.codes.as_value(), tile_end=tile_end,
                          block_index=block)
        m.d.comb += [self.i.ready.eq(buf.ready), accepted.eq(self.i.valid & buf.ready)]
        m_half, head_half = self._fill(m, i, accepted, tile_start, tile_end, block, buf)

        # Drain: the draining half's maxima and head, the row sums and reciprocals.
        sel = buf.drain_sel
        maxima = Array(Mux(sel, m_half[1][r], m_half[0][r]) for r in range(br))
        hd = Signal(HEAD, name="head_drain")
        m.d.comb += hd.eq(Mux(sel, head_half[1].as_value(), head_half[0].as_value()))
        sums = Array(Signal(32, name=f"sum{r}") for r in range(br))
        inv = Array(Signal(QUOTIENT_BITS, name=f"inv{r}") for r in range(br))

        def lane_values(word, row, cut, name):
            codes = data.View(data.ArrayLayout(signed(8), lanes), word)
            return _clipped(m, [codes[k] for k in range(lanes)], maxima[row], hd, row, cut, name)

        walk = tile_walk(m, br=br, beats=beats, max_blocks=self.blocks, words=words,
                         blocks=buf.blocks, row_major=True, name="sum")
        sum_v, sum_row, sum_first = Signal(), Signal(range(br)), Signal()
        div_row = Signal(range(br), name="div_row")
        div_bit = Signal(range(QUOTIENT_BITS), name="div_bit")
        rem = Signal(33, name="div_rem")
        quo = Signal(QUOTIENT_BITS, name="div_quotient")
        start_out = Signal()

        out_idle, out_issue, out_addr = output_pass(
            m, buf, br=br, beats=beats, max_blocks=self.blocks, words=words, start=start_out,
            o=self.o, compute=lambda m, word, row, cut: self._output(
                m, lane_values(word, row, cut, "out.delta"), sums, inv, cut),
            cuts=Cuts(tuple(n for n in self.enabled if n.startswith("out."))))
        in_flight = self._sum_pass(m, buf, lane_values, sums, sum_v, sum_row, sum_first)

        with m.FSM(name="drain"):
            with m.State("idle"):
                m.d.comb += walk.restart.eq(1)
                with m.If(buf.full):
                    m.next = "sum"
            with m.State("sum"):
                m.d.comb += [buf.read_addr.eq(walk.addr), buf.read_en.eq(1), walk.step.eq(1)]
                m.d.sync += [sum_v.eq(1), sum_row.eq(walk.row),
                             sum_first.eq((walk.block == 0) & (walk.beat == 0))]
                with m.If(walk.last):
                    m.next = "sum_end"
            with m.State("sum_end"):                        # the last beat sum is added
                m.d.sync += [div_row.eq(0), div_bit.eq(QUOTIENT_BITS - 1), rem.eq(0)]
                with m.If(~in_flight.any()):                 # waits behind the sum's cuts
                    if self.reciprocal == "exact":
                        m.next = "divide"
                    else:
                        m.d.comb += start_out.eq(1)
                        m.next = "out"
            if self.reciprocal == "exact":
                with m.State("divide"):
                    self._divide_step(m, sums, inv, div_row, div_bit, rem, quo, start_out)
            with m.State("out"):
                m.d.comb += [buf.read_addr.eq(out_addr), buf.read_en.eq(out_issue)]
                with m.If(~start_out & out_idle):
                    m.d.comb += buf.release.eq(1)
                    m.next = "idle"
        return m

    def _fill(self, m, i, accepted, tile_start, tile_end, block, buf):
        """The fill side: each row's running max, the tile's head, the block count; at the tile's
        end both are latched into the filled half. Returns (maxima per half, head per half)."""
        br = self.br
        m_fill = Array(Signal(signed(8), name=f"max_fill{r}") for r in range(br))
        m_half = [[Signal(signed(8), name=f"max{k}_{r}") for r in range(br)] for k in range(2)]
        head_fill = Signal(HEAD, name="head_fill")
        head_half = [Signal(HEAD, name=f"head{k}") for k in range(2)]
        beat_max = max_tree(list(i.codes), lambda a, b: a > b)
        row_max = Signal(signed(8), name="row_max")
        f = i.frame
        m.d.comb += row_max.eq(Mux(f.first_block & f.first_beat, beat_max,
                                   Mux(beat_max > m_fill[f.row], beat_max, m_fill[f.row])))
        head = Mux(tile_start, i.side.as_value(), head_fill.as_value())
        with m.If(accepted):
            m.d.sync += m_fill[f.row].eq(row_max)
            with m.If(tile_start):
                m.d.sync += head_fill.eq(i.side)
            with m.If(f.last_beat & (f.row == br - 1)):
                m.d.sync += block.eq(Mux(f.last_block, 0, block + 1))
            with m.If(tile_end):
                for k in range(2):
                    with m.If(buf.fill_sel == k):
                        m.d.sync += head_half[k].eq(head)
                        m.d.sync += [m_half[k][r].eq(Mux(f.row == r, row_max, m_fill[r]))
                                     for r in range(br)]
        return m_half, head_half

    def _output(self, m, clipped, sums, inv, cut):
        """The output pass's arithmetic on one beat: s·(255 << 15 / Σ) >> 15 (exact) or
        s·255 >> ⌊log2 Σ⌋ (pow2), saturated to uint8 (optional cuts ``out.s``,
        ``out.partial``, ``out.product``)."""
        s, row = clipped
        if self.reciprocal == "exact":
            factor, shift = Signal(QUOTIENT_BITS, name="out_factor"), 15
            m.d.comb += factor.eq(inv[row])
        else:
            total = Signal(32, name="out_sum")
            m.d.comb += total.eq(sums[row])
            factor, shift = 255, codec.leading_one(m, total)
        s, factor, shift = cut("out.s", s, factor, shift)
        if "out.partial" in self.enabled:
            # s·factor as two partial products (factor's low and high halves), summed after
            # the cut
            half = QUOTIENT_BITS // 2
            low, high = ((factor & ((1 << half) - 1), factor >> half)
                         if isinstance(factor, int) else (factor[:half], factor[half:]))
            lows = [Signal(len(v) + half, name=f"out_low{k}") for k, v in enumerate(s)]
            highs = [Signal(len(v) + QUOTIENT_BITS - half, name=f"out_high{k}")
                     for k, v in enumerate(s)]
            m.d.comb += [x.eq(v * low) for x, v in zip(lows, s)]
            m.d.comb += [x.eq(v * high) for x, v in zip(highs, s)]
            lows, highs, shift = cut("out.partial", lows, highs, shift)
            terms = [lo + (hi << half) for lo, hi in zip(lows, highs)]
        else:
            terms = [v * factor for v in s]
        products = [Signal(len(v) + QUOTIENT_BITS, name=f"out_product{k}")
                    for k, v in enumerate(s)]
        m.d.comb += [p.eq(t) for p, t in zip(products, terms)]
        products, shift = cut("out.product", products, shift)
        return [Mux((p >> shift) > 255, 255, p >> shift) for p in products]

    def _sum_pass(self, m, buf, lane_values, sums, sum_v, sum_row, sum_first):
        """The sum pass: read, s per lane, the beat's sum, into the row's Σ (optional cuts
        ``sum.delta``, ``sum.s``, ``sum.beat``; the pass never stalls, so they always advance).
        Returns the valid flags of the beats not yet at the accumulator."""
        def registered(value):
            r = Signal.like(value, name=f"sum_stage_{getattr(value, 'name', 'value')}")
            m.d.sync += r.eq(value)
            return r

        sum_cuts = Cuts(tuple(n for n in self.enabled if n.startswith("sum.")), registered)
        sum_stages = [(sum_v, sum_first)]           # each cut's valid and first-beat flags

        def sum_cut(name, *values):
            if name not in sum_cuts.enabled:
                return values
            v, first, *rest = sum_cuts(name, *sum_stages[-1], *values)
            sum_stages.append((v, first))
            return tuple(rest)

        s_lanes, acc_row = lane_values(buf.read_data, sum_row, sum_cut, "sum.delta")
        s_lanes, acc_row = sum_cut("sum.s", s_lanes, acc_row)
        beat_sum = Signal(15 + (self.lanes - 1).bit_length(), name="sum_beat")
        m.d.comb += beat_sum.eq(adder_tree(s_lanes))
        beat_sum, acc_row = sum_cut("sum.beat", beat_sum, acc_row)
        sum_cuts.check_used()
        acc_v, acc_first = sum_stages[-1]
        with m.If(acc_v):
            m.d.sync += sums[acc_row].eq(Mux(acc_first, 0, sums[acc_row]) + beat_sum)
        in_flight = Cat(*(v for v, _ in sum_stages[:-1]))   # beats not yet at the accumulator
        m.d.sync += sum_v.eq(0)
        return in_flight

    def _divide_step(self, m, sums, inv, div_row, div_bit, rem, quo, start_out):
        """One bit of the rows' exact reciprocals ⌊(255 << 15) / Σ⌋ per cycle (restoring
        division), row after row; the output pass starts after the last row's last bit."""
        trial = Cat(Const(ONE, QUOTIENT_BITS).bit_select(div_bit, 1), rem[:32])
        take = trial >= sums[div_row]
        bit = Signal(name="div_take")
        m.d.comb += bit.eq(take)
        m.d.sync += [rem.eq(Mux(take, trial - sums[div_row], trial)),
                     quo.eq(Cat(bit, quo[:-1])), div_bit.eq(div_bit - 1)]
        with m.If(div_bit == 0):
            m.d.sync += [inv[div_row].eq(Cat(bit, quo[:-1])), rem.eq(0),
                         div_bit.eq(QUOTIENT_BITS - 1), div_row.eq(div_row + 1)]
            with m.If(div_row == self.br - 1):
                m.d.comb += start_out.eq(1)
                m.next = "out"



STAGES = stages_param(HccsLanes.CUTS)


class HccsDatapath(ThreeBlockDatapath):
    """FP32 scores and a head's integers (B, S, Dmax) in, uint8 probabilities out
    (``norm_beat``): FixedScoreCast (int8 logits at 2^−frac_bits) → 8-bit link → HccsLanes with
    a tile buffer of ``blocks`` key blocks per row. ``stages``: the vector side's optional
    register cuts."""

    PARAMS = (BR, BC, LANES, TILE_BLOCKS, FRAC_BITS, RECIPROCAL, LINK_DEPTH, STAGES)
    BLOCK_NAMES = ("cast", "link", "lanes")
    timing = ("tile-buffered, no fixed latency: a tile's beats are cast in 1 cycle and buffered; "
              "its drain starts after its last beat (a sum pass, 23·br divider cycles with the "
              "exact reciprocal, then the output pass); the next tile fills the other half")

    def blocks(self, p):
        return (FixedScoreCast(br=p.br, bc=p.bc, lanes=p.lanes, frac_bits=p.frac_bits, side=HEAD),
                MatrixVectorLink(layout=fixed_link_beat(p.lanes, p.br, HEAD), depth=p.link_depth),
                HccsLanes(br=p.br, bc=p.bc, lanes=p.lanes, blocks=p.blocks,
                          reciprocal=p.reciprocal, stages=p.stages))
