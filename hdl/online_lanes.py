"""The stateful frame shared by the online-softmax vector sides whose running max is a
floating-point score (``Fp16SoftmaxLanes``: FP16; ``E4m3PcastLanes``: FP32): the fill side's
block max and the rows' running maxima, the ping-pong row buffer, the block-sum accumulator with
the rows' l and NaN flags, and the write-back of l as a block's last beat leaves. A subclass
builds the three stateless stages ``fill`` (the beat's max), ``drain`` (the lanes: P, the beat
sum, α) and ``update`` (l = FP32(FP32(α·l) + block sum)) and sets ``FORMAT`` and ``sum_bits``."""

from amaranth import Array, Cat, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from ..golden.formats import IEEEFormat
from .beat_layouts import prob_beat, row_bits
from .pipeline import ArgumentsChecked, StagedLogic
from .trees import max_tree
from .row_buffer import ping_pong_buffer

__all__ = ["OnlineSoftmaxLanes", "greater", "is_nan", "meta_layout", "beat_index"]


def _order_key(code):
    """IEEE codes (not NaN) as unsigned keys in value order (−0 just below +0)."""
    top = len(code) - 1
    return Mux(code[top], ~code, code | (1 << top))


def greater(a, b):
    """a > b for IEEE codes of one width (NaN excluded by the caller)."""
    return _order_key(a) > _order_key(b)


def is_nan(code):
    """The IEEE code ``code`` (FP16 or FP32, by its width) is a NaN."""
    exp_bits = {16: 5, 32: 8}[len(code)]
    man_bits = len(code) - 1 - exp_bits
    return (code[man_bits:-1] == (1 << exp_bits) - 1) & (code[:man_bits] != 0)


def meta_layout(br: int, width: int):
    """The side band of a buffered row's block: both maxima, the row and its block flags."""
    return data.StructLayout({"m_new": width, "m_old": width, "row": row_bits(br), "first": 1,
                              "last": 1})


def beat_index(m: Module, payload, beats: int, accepted) -> Signal:
    """The beat's index within its row's block: counted from ``first_beat``."""
    count = Signal(range(beats), name="fill_beat")
    index = Signal(range(beats), name="fill_index")
    m.d.comb += index.eq(Mux(payload.frame.first_beat, 0, count))
    with m.If(accepted):
        m.d.sync += count.eq(Mux(index == beats - 1, 0, index + 1))
    return index


class OnlineSoftmaxLanes(ArgumentsChecked, wiring.Component):
    """The frame (see the module); ``FORMAT``: the IEEE format of the scores and maxima."""

    FORMAT: IEEEFormat

    @property
    def neg_inf(self) -> int:
        return int(self.FORMAT.encode(float("-inf")))

    def _build_stages(self, *, in_beat, enabled, p_bits: int, beat_sum_bits: int,
                      alpha_bits: int):
        """The stage layouts, the three stateless stages (``_fill_logic``, the subclass's
        ``_lanes_logic`` and ``_update_logic``) and the ports: P codes of ``p_bits``, a beat sum of
        ``beat_sum_bits``, α of ``alpha_bits``, the block sum of ``self.sum_bits``."""
        width, lanes, br = self.FORMAT.width, self.lanes, self.br
        meta = meta_layout(br, width)
        self._filled = data.StructLayout({"beat": in_beat, "beat_max": width})
        self._read = data.StructLayout({"codes": data.ArrayLayout(width, lanes), "meta": meta,
                                        "first_beat": 1, "last_beat": 1})
        self._lanes_out = data.StructLayout({
            "p": data.ArrayLayout(p_bits, lanes), "meta": meta, "first_beat": 1, "last_beat": 1,
            "sum": beat_sum_bits, "nan": 1, "alpha": alpha_bits})
        self._update_in = data.StructLayout({
            "p": data.ArrayLayout(p_bits, lanes), "row": row_bits(br), "first_block": 1,
            "last_block": 1, "last_beat": 1, "total": self.sum_bits, "nan": 1,
            "alpha": alpha_bits, "l_old": 32})
        self._update_out = data.StructLayout({"beat": prob_beat(lanes, br, p_bits),
                                              "l": 32, "nan": 1})
        self.fill = StagedLogic(in_beat, self._filled, self._fill_logic, enabled.sub("fill"))
        self.drain = StagedLogic(self._read, self._lanes_out, self._lanes_logic,
                                 enabled.sub("lanes"))
        self.update = StagedLogic(self._update_in, self._update_out, self._update_logic,
                                  enabled.sub("update") + ("out",))
        super().__init__({"i": In(stream.Signature(in_beat)),
                          "o": Out(stream.Signature(prob_beat(lanes, br, p_bits)))})

    def _fill_logic(self, m, i, cuts):
        """The beat's max (NaN ignored), with an optional cut ``max``."""
        codes = [Mux(is_nan(i.codes[k]), self.neg_inf, i.codes[k]) for k in range(self.lanes)]
        best = Signal(self.FORMAT.width, name="beat_max")
        m.d.comb += best.eq(max_tree(codes, greater))
        beat, best = cuts("max", i.as_value(), best)
        out = Signal(self._filled, name="filled")
        m.d.comb += [out.beat.eq(beat), out.beat_max.eq(best)]
        return out

    def elaborate(self, platform):
        m = Module()
        lanes, beats = self.lanes, self.bc // self.lanes
        width, neg_inf = self.FORMAT.width, self.neg_inf
        m.submodules.fill = self.fill
        m.submodules.drain = self.drain
        m.submodules.update = self.update
        wiring.connect(m, wiring.flipped(self.i), self.fill.i)

        # Fill side: the block max over the beats, the row's new max at its last beat.
        m_reg = Array(Signal(width, name=f"m{r}", init=neg_inf) for r in range(self.br))
        f = self.fill.o
        i = f.payload.beat
        accepted = f.valid & f.ready
        cmax = Signal(width, name="block_max")
        acc = Signal(width, name="running_block_max")
        b = f.payload.beat_max
        m.d.comb += acc.eq(Mux(i.frame.first_beat | greater(b, cmax), b, cmax))
        m_old = Signal(width, name="m_old")
        m_new = Signal(width, name="m_new")
        meta_in = Signal(meta_layout(self.br, width), name="meta_in")
        m.d.comb += [m_old.eq(Mux(i.frame.first_block, neg_inf, m_reg[i.frame.row])),
                     m_new.eq(Mux(greater(acc, m_old), acc, m_old)),
                     meta_in.m_new.eq(m_new), meta_in.m_old.eq(m_old),
                     meta_in.row.eq(i.frame.row), meta_in.first.eq(i.frame.first_block),
                     meta_in.last.eq(i.frame.last_block)]
        with m.If(accepted):
            m.d.sync += cmax.eq(acc)
            with m.If(i.frame.last_beat):
                m.d.sync += m_reg[i.frame.row].eq(m_new)

        # The row buffer and its read stage, into ``drain``.
        take = Signal()
        ready, d = ping_pong_buffer(
            m, width=width * lanes, beats=beats, meta_layout=meta_layout(self.br, width),
            write_en=accepted, write_index=beat_index(m, i, beats, accepted),
            write_last=i.frame.last_beat, write_data=i.codes.as_value(), meta_in=meta_in,
            read_en=take)
        r = self.drain.i
        m.d.comb += [f.ready.eq(ready), take.eq(~d.valid | r.ready), r.valid.eq(d.valid),
                     r.payload.codes.eq(d.data), r.payload.meta.eq(d.meta),
                     r.payload.first_beat.eq(d.first_beat), r.payload.last_beat.eq(d.last_beat)]

        # The block sum, and the row's l read beside it. A block end whose row has an l update
        # in flight (in the accumulator register or ``update``) waits: no stale l is read.
        s, u = self.drain.o, self.update.i
        a = s.payload
        advance = u.ready                              # the accumulator register moves
        block, block_nan = Signal(self.sum_bits, name="block_sum"), Signal(name="block_nan")
        row_l = Array(Signal(32, name=f"l{k}") for k in range(self.br))
        row_nan = Array(Signal(name=f"nan{k}") for k in range(self.br))
        depth = 1 + self.update.latency
        pending = [Signal(name=f"pending{k}") for k in range(depth)]     # a block end in flight
        pending_row = [Signal(row_bits(self.br), name=f"pending_row{k}") for k in range(depth)]
        hazard = Signal()
        m.d.comb += hazard.eq(a.last_beat & Cat(*[p & (pr == a.meta.row)
                                                  for p, pr in zip(pending, pending_row)]).any())
        go = Signal()
        m.d.comb += [go.eq(s.valid & ~hazard), s.ready.eq(advance & ~hazard)]
        total, total_nan = Signal(self.sum_bits), Signal()
        m.d.comb += [total.eq(Mux(a.first_beat, 0, block) + a.sum),
                     total_nan.eq(Mux(a.first_beat, 0, block_nan) | a.nan)]
        q = u.payload
        with m.If(advance):
            m.d.sync += [u.valid.eq(go), pending[0].eq(go & a.last_beat),
                         pending_row[0].eq(a.meta.row)]
            m.d.sync += [pending[k].eq(pending[k - 1]) for k in range(1, depth)]
            m.d.sync += [pending_row[k].eq(pending_row[k - 1]) for k in range(1, depth)]
            m.d.sync += [q.p.eq(a.p), q.row.eq(a.meta.row), q.first_block.eq(a.meta.first),
                         q.last_block.eq(a.meta.last), q.last_beat.eq(a.last_beat),
                         q.total.eq(total), q.alpha.eq(a.alpha),
                         q.nan.eq(total_nan | is_nan(a.alpha)
                                  | (~a.meta.first & row_nan[a.meta.row])),
                         q.l_old.eq(Mux(a.meta.first, 0, row_l[a.meta.row]))]
            with m.If(go):
                m.d.sync += [block.eq(total), block_nan.eq(total_nan)]

        # Out: the beat; at a block end its l is written back as it leaves.
        done = self.update.o
        m.d.comb += [self.o.valid.eq(done.valid), self.o.payload.eq(done.payload.beat),
                     done.ready.eq(self.o.ready)]
        w = done.payload.beat
        with m.If(done.valid & done.ready & w.frame.last_beat):
            m.d.sync += [row_l[w.frame.row].eq(done.payload.l),
                         row_nan[w.frame.row].eq(done.payload.nan)]
        return m
