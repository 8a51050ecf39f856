"""The ping-pong row buffer both datapaths put in front of their per-row arithmetic: a row's block
must be complete (its max known) before its first beat can be processed."""

from dataclasses import dataclass

from amaranth import Module, Mux, Signal, Value
from amaranth.lib.memory import Memory

__all__ = ["RowBufferRead", "ping_pong_buffer"]


@dataclass
class RowBufferRead:
    """The read stage: ``valid`` with the beat's ``data``, the block's side band ``meta`` and
    its ``first_beat``/``last_beat`` flags, all registered (held while ``read_en`` is low)."""
    valid: Signal
    data: Value
    meta: Signal
    first_beat: Signal
    last_beat: Signal


def ping_pong_buffer(m: Module, *, width: int, beats: int, meta_layout, write_en, write_index,
                     write_last, write_data, meta_in, read_en) -> tuple[Signal, RowBufferRead]:
    """Two halves of one ``Memory`` (2·``beats`` words of ``width`` bits, synchronous read: block
    RAM on an FPGA). A block's ``beats`` beats fill one half (``write_en``, the beat's
    ``write_index``, ``write_last`` on its last beat, when ``meta_in`` is kept as the half's side
    band) while the other half is read, one beat per cycle where ``read_en`` is high, into the
    read stage. A half is free again once its last beat has been read. Returns (ready to accept a
    beat, the read stage)."""
    m.submodules.buffer = buffer = Memory(shape=width, depth=2 * beats, init=[])
    write, read = buffer.write_port(), buffer.read_port(domain="sync")
    full = Signal(2)
    meta = [Signal(meta_layout, name=f"meta{k}") for k in range(2)]
    fill_sel = Signal()
    ready = Signal()
    m.d.comb += [ready.eq(~full.bit_select(fill_sel, 1)),
                 write.addr.eq(fill_sel * beats + write_index), write.data.eq(write_data),
                 write.en.eq(write_en)]
    filled = write_en & write_last
    with m.If(filled):
        m.d.sync += fill_sel.eq(~fill_sel)
        for k in range(2):
            with m.If(fill_sel == k):
                m.d.sync += meta[k].eq(meta_in)

    drain_sel = Signal()
    drain_beat = Signal(range(beats))
    pending = full.bit_select(drain_sel, 1)            # a beat to read
    out = RowBufferRead(Signal(name="read_valid"), read.data,
                        Signal(meta_layout, name="read_meta"), Signal(name="read_first_beat"),
                        Signal(name="read_last_beat"))
    m.d.comb += [read.addr.eq(drain_sel * beats + drain_beat), read.en.eq(read_en)]
    with m.If(read_en):
        # Per-half side band read with a Mux, not an Array: Icarus never evaluates the
        # `always @*` block of an Array read whose inputs keep their initial values (X out).
        m.d.sync += [out.valid.eq(pending),
                     out.meta.eq(Mux(drain_sel, meta[1].as_value(), meta[0].as_value())),
                     out.first_beat.eq(drain_beat == 0), out.last_beat.eq(drain_beat == beats - 1)]
        with m.If(pending):
            with m.If(drain_beat == beats - 1):
                m.d.sync += [drain_sel.eq(~drain_sel), drain_beat.eq(0)]
            with m.Else():
                m.d.sync += drain_beat.eq(drain_beat + 1)
    drained = read_en & pending & (drain_beat == beats - 1)
    for k in range(2):
        with m.If(filled & (fill_sel == k)):
            m.d.sync += full[k].eq(1)
        with m.Elif(drained & (drain_sel == k)):
            m.d.sync += full[k].eq(0)
    return ready, out
