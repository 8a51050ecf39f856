"""The ping-pong tile buffer of the row-normalizing datapaths (Softermax, HCCS): their outputs
are divided by a sum over the whole row, so every beat of a tile is kept until its row's sum
is known. One half fills with a tile while the other half drains."""

from dataclasses import dataclass

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import data
from amaranth.lib.memory import Memory

from ..golden.params import IntParam
from .pipeline import NO_CUTS

__all__ = ["TileBuffer", "tile_buffer", "TileWalk", "tile_walk", "output_pass", "TILE_BLOCKS"]

TILE_BLOCKS = IntParam("blocks", 1, 64, "key blocks per row the tile buffer holds", 4)


@dataclass
class TileBuffer:
    """Handles of ``tile_buffer``: ``ready`` (the filling half is free), ``full`` (the draining
    half holds a whole tile), ``blocks`` (that tile's block count − 1), ``fill_sel`` /
    ``drain_sel`` (the halves), and the read port (``read_addr`` within the half, ``read_en``,
    ``read_data`` one cycle later, held while ``read_en`` is low); ``release`` frees the draining
    half (the drain's last read was issued)."""
    ready: Signal
    full: Signal
    blocks: Signal
    fill_sel: Signal
    drain_sel: Signal
    read_addr: Signal
    read_en: Signal
    read_data: object
    release: Signal


def tile_buffer(m: Module, *, width: int, words: int, max_blocks: int, write_en, write_data,
                tile_end, block_index) -> TileBuffer:
    """Two halves of one ``Memory`` of ``words`` words of ``width`` bits each (a tile's beats in
    arrival order: block-major, row, beat). Beats are written in order while ``write_en``;
    ``tile_end`` (with ``write_en``) closes the tile, whose block count is ``block_index`` + 1."""
    m.submodules.tile_buffer = buffer = Memory(shape=width, depth=2 * words, init=[])
    write, read = buffer.write_port(), buffer.read_port(domain="sync")
    full = Signal(2, name="tile_full")
    blocks = [Signal(range(max_blocks), name=f"tile_blocks{k}") for k in range(2)]
    fill_sel, drain_sel = Signal(name="fill_sel"), Signal(name="drain_sel")
    count = Signal(range(words), name="fill_count")
    h = TileBuffer(ready=Signal(name="tile_ready"), full=Signal(name="drain_full"),
                   blocks=Signal(range(max_blocks), name="drain_blocks"), fill_sel=fill_sel,
                   drain_sel=drain_sel, read_addr=Signal(range(words), name="read_addr"),
                   read_en=Signal(name="read_en"), read_data=read.data,
                   release=Signal(name="release"))
    m.d.comb += [h.ready.eq(~full.bit_select(fill_sel, 1)),
                 write.addr.eq(fill_sel * words + count), write.data.eq(write_data),
                 write.en.eq(write_en),
                 h.full.eq(full.bit_select(drain_sel, 1)),
                 h.blocks.eq(Mux(drain_sel, blocks[1], blocks[0])),
                 read.addr.eq(drain_sel * words + h.read_addr), read.en.eq(h.read_en)]
    closing = write_en & tile_end
    with m.If(write_en):
        m.d.sync += count.eq(Mux(tile_end, 0, count + 1))
    with m.If(closing):
        m.d.sync += fill_sel.eq(~fill_sel)
        for k in range(2):
            with m.If(fill_sel == k):
                m.d.sync += blocks[k].eq(block_index)
    with m.If(h.release):
        m.d.sync += drain_sel.eq(~drain_sel)
    for k in range(2):
        with m.If(closing & (fill_sel == k)):
            m.d.sync += full[k].eq(1)
        with m.Elif(h.release & (drain_sel == k)):
            m.d.sync += full[k].eq(0)
    return h


@dataclass
class TileWalk:
    """Counters over a stored tile: ``block`` (0..``blocks``), ``row`` (0..br − 1), ``beat``
    (0..beats per row − 1), the word address ``addr`` of (block, row, beat), and ``last`` (this
    is the walk's final position). ``step`` advances; ``restart`` returns to the start."""
    block: Signal
    row: Signal
    beat: Signal
    addr: Signal
    last: Signal
    step: Signal
    restart: Signal


def tile_walk(m: Module, *, br: int, beats: int, max_blocks: int, words: int, blocks,
              row_major: bool, name: str) -> TileWalk:
    """A walk over a stored tile of ``blocks`` + 1 blocks: block-major (the arrival and output
    order: block, row, beat) or ``row_major`` (row, block, beat: one row's beats together)."""
    w = TileWalk(block=Signal(range(max_blocks), name=f"{name}_block"),
                 row=Signal(range(br), name=f"{name}_row"),
                 beat=Signal(range(beats), name=f"{name}_beat"),
                 addr=Signal(range(words), name=f"{name}_addr"), last=Signal(name=f"{name}_last"),
                 step=Signal(name=f"{name}_step"), restart=Signal(name=f"{name}_restart"))
    last_beat, last_row, last_block = w.beat == beats - 1, w.row == br - 1, w.block == blocks
    m.d.comb += [w.addr.eq((w.block * br + w.row) * beats + w.beat),
                 w.last.eq(last_beat & last_row & last_block)]
    outer, inner = (w.row, w.block) if row_major else (w.block, w.row)
    inner_last = last_block if row_major else last_row
    with m.If(w.restart):
        m.d.sync += [w.block.eq(0), w.row.eq(0), w.beat.eq(0)]
    with m.Elif(w.step):
        with m.If(~last_beat):
            m.d.sync += w.beat.eq(w.beat + 1)
        with m.Else():
            m.d.sync += w.beat.eq(0)
            with m.If(~inner_last):
                m.d.sync += inner.eq(inner + 1)
            with m.Else():
                m.d.sync += [inner.eq(0), outer.eq(outer + 1)]
    return w


def output_pass(m: Module, buf: TileBuffer, *, br: int, beats: int, max_blocks: int, words: int,
                start, o, compute, cuts=NO_CUTS):
    """The normalization pass: read the draining tile in block-major order, one beat per cycle
    under backpressure, into ``o`` (a stream of ``norm_beat``). ``start`` (a pulse) begins it;
    ``compute(m, word, row, cut)`` gives the beat's ``p`` values from the stored word and its
    row; it may call ``cut(name, *values)`` (the named optional cuts of ``cuts``) to register
    values, and the beat's valid flag and framing are registered beside them. Pipeline: read (the
    memory's synchronous port), ``compute`` with its cuts, then ``o``'s register; everything
    advances when ``o`` is empty or read. Returns (idle, issue, addr): no read is pending or in
    flight (the caller may release the half and use the read port again); the caller drives the
    read port with ``read_en`` = issue and ``read_addr`` = addr while the pass runs."""
    walk = tile_walk(m, br=br, beats=beats, max_blocks=max_blocks, words=words,
                     blocks=buf.blocks, row_major=False, name="out")
    busy = Signal(name="out_busy")
    advance = Signal(name="out_advance")
    meta = data.StructLayout({"row": range(br), "first_block": 1, "last_block": 1,
                              "last_beat": 1, "end_of_row": 1})
    v1 = Signal(name="out_read_valid")
    meta1 = Signal(meta, name="out_read_meta")
    issue = Signal(name="out_issue")
    idle = Signal(name="out_idle")
    m.d.comb += [advance.eq(~o.valid | o.ready), issue.eq(busy & advance),
                 walk.step.eq(issue), walk.restart.eq(start)]
    with m.If(start):
        m.d.sync += busy.eq(1)
    with m.Elif(issue & walk.last):
        m.d.sync += busy.eq(0)
    with m.If(advance):
        m.d.sync += [v1.eq(issue), meta1.row.eq(walk.row),
                     meta1.first_block.eq(walk.block == 0),
                     meta1.last_block.eq(walk.block == buf.blocks),
                     meta1.last_beat.eq(walk.beat == beats - 1),
                     meta1.end_of_row.eq((walk.block == buf.blocks) & (walk.beat == beats - 1))]
    valids, stage = [v1], {"valid": v1, "meta": meta1}

    def reg(value):
        if isinstance(value, int):
            return value                        # constants need no register
        r = Signal.like(value, name=f"out_stage_{getattr(value, 'name', 'value')}")
        with m.If(advance):
            m.d.sync += r.eq(value)
        return r

    def cut(name, *values):
        if name not in cuts.enabled:
            return values
        if name not in cuts.used:
            cuts.used.append(name)
        v, framing = Signal(name=f"out_valid_{name}"), Signal(meta, name=f"out_meta_{name}")
        with m.If(advance):
            m.d.sync += [v.eq(stage["valid"]), framing.eq(stage["meta"])]
        valids.append(v)
        stage.update(valid=v, meta=framing)
        return tuple(type(x)(reg(y) for y in x) if isinstance(x, (list, tuple)) else reg(x)
                     for x in values)

    p = compute(m, buf.read_data, meta1.row, cut)
    cuts.check_used()
    last = stage["meta"]
    with m.If(advance):
        m.d.sync += o.valid.eq(stage["valid"])
        q = o.payload
        m.d.sync += [q.frame.row.eq(last.row), q.frame.first_block.eq(last.first_block),
                     q.frame.last_block.eq(last.last_block), q.frame.last_beat.eq(last.last_beat),
                     q.frame.end_of_row.eq(last.end_of_row)]
        m.d.sync += [q.p[k].eq(p[k]) for k in range(len(p))]
    m.d.comb += idle.eq(~busy & ~Cat(*valids).any())
    return idle, issue, walk.addr
