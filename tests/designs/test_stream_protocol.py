"""Every registered design under receivers of several ready policies (``sim.amaranth_stream``):
a receiver that raises ready only after it sees valid (legal; a sender whose valid waits for
ready deadlocks with it) and one ready every other cycle (the random and the always-ready
receivers are every other test's). ``run_stream`` checks
the stream rules on every cycle (valid held, payload stable until the transfer). The datapaths
that take a beat per cycle keep up with the receiver at every ``stages`` value: no cycle with the
receiver ready and data inside goes without a transfer."""

import pytest
from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from baps_rtl.designs import DESIGNS, Config, all_configs
from baps_rtl.golden.baps_stream import TileShape, score_beats, tile_scores
from baps_rtl.designs.beats import pack
from baps_rtl.designs.tiles import tile_stimulus
from baps_rtl.hdl.rescale import Rescale
from baps_rtl.sim.amaranth_stream import RECEIVERS, StreamProtocolError, run_stream


def smallest_config(name: str) -> Config:
    """The design's regression configuration with the shortest stimulus."""
    return min((c for c in all_configs(which="regress") if c.name == name),
               key=lambda c: len(c.stimulus(1)))


@pytest.mark.parametrize("receiver", [       # random and always: every other test's receivers
    pytest.param(r, marks=() if r == "after_valid" else pytest.mark.slow)
    for r in RECEIVERS if r not in ("random", "always")])
@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_every_design_under_every_receiver(name, receiver):
    config = smallest_config(name)
    inputs = config.stimulus(1)
    if config.design.datapath is None:
        inputs = inputs[::max(1, len(inputs) // 64)]    # a unit maps each input alone: ~64 codes
    run = run_stream(config.build(), inputs, seed=2, idle=0.1, drain=400, receiver=receiver)
    got = [pack(config.params.layouts()[1], o) if hasattr(config.params, "layouts") else o
           for o in run.outputs]
    assert got == config.expected(inputs), config.module_name


class _ValidWaitsForReady(wiring.Component):
    """A one-register stage whose output valid waits for ready (the planted bug: the stream
    rules forbid it)."""
    i: In(stream.Signature(8))
    o: Out(stream.Signature(8))

    def elaborate(self, platform):
        m = Module()
        full = Signal()
        data = Signal(8)
        m.d.comb += [self.i.ready.eq(~full), self.o.payload.eq(data),
                     self.o.valid.eq(full & self.o.ready)]
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [full.eq(1), data.eq(self.i.payload)]
        with m.Elif(self.o.valid):
            m.d.sync += full.eq(0)
        return m


class _DropsValid(_ValidWaitsForReady):
    """Offers each beat for one cycle only, taken or not."""

    def elaborate(self, platform):
        m = Module()
        full = Signal()
        data = Signal(8)
        m.d.comb += [self.i.ready.eq(~full), self.o.payload.eq(data), self.o.valid.eq(full)]
        with m.If(self.i.valid & self.i.ready):
            m.d.sync += [full.eq(1), data.eq(self.i.payload)]
        with m.Else():
            m.d.sync += full.eq(0)
        return m


def test_the_receivers_catch_broken_senders():
    beats = list(range(20))
    # valid waiting for ready: the after-valid receiver never sees a beat
    assert run_stream(_ValidWaitsForReady(), beats, receiver="after_valid").outputs == []
    assert run_stream(_ValidWaitsForReady(), beats, receiver="always").outputs == beats
    # a beat withdrawn before its transfer: named by the checker
    with pytest.raises(StreamProtocolError, match="dropped valid before the transfer"):
        run_stream(_DropsValid(), beats, receiver="alternate")


FULL_RATE = ("baps_datapath", "fp16_datapath", "e4m3_pcast_datapath")
"""The datapaths that take one beat per cycle (HCCS and Softermax read a row again to
normalize it)."""


def _stages_values(name: str) -> range:
    return range(DESIGNS[name].params.SPEC["stages"].hi + 1)


@pytest.mark.parametrize("name,stages", [
    pytest.param(n, s, marks=() if s == _stages_values(n)[-1] else pytest.mark.slow)
    for n in FULL_RATE for s in _stages_values(n)])  # the default suite: every cut
def test_full_rate_datapaths_use_every_ready_cycle(name, stages):
    """Input always valid, the receiver ready every other cycle: from the first output to the
    last, every ready cycle carries a beat (a stage that loads only when the next one is ready
    loses cycles here). Br·Bc/lanes = 16 beats between a row's block ends: more than any l
    update is deep (a shorter tile waits for it by design, ``hdl.online_lanes``)."""
    config = Config.of(name, {"br": 4, "bc": 16, "lanes": 4, "stages": stages})
    # two tiles of two blocks: every boundary
    inputs = tile_stimulus(config.params, 3, cases=("medium",), blocks=2) * 2
    run = run_stream(config.build(), inputs, idle=0.0, receiver="alternate", drain=200)
    assert [pack(config.params.layouts()[1], o) for o in run.outputs] == config.expected(inputs)
    first, last = run.output_cycles[0], run.output_cycles[-1]
    idle_ready = sorted(set(c for c in run.ready_cycles if first <= c <= last)
                        - set(run.output_cycles))
    assert idle_ready == [], f"{config.module_name}: ready without a beat in cycles {idle_ready[:8]}"


TILE_BUFFERED = tuple(sorted(n for n, d in DESIGNS.items()
                            if d.datapath is not None and "blocks" in d.params.SPEC))


@pytest.mark.parametrize("name", TILE_BUFFERED)
def test_tile_buffered_datapaths_fill_the_next_tile_while_the_last_drains(name):
    """Softermax and HCCS hold a whole tile (two passes over it) in a double buffer: with the
    input always valid and the receiver always ready, the second tile is taken beat after beat
    right behind the first (its half of the buffer is empty), not after the first has drained."""
    assert TILE_BUFFERED                            # the registry names them; none is a bug
    config = Config.of(name, {"br": 2, "bc": 8, "lanes": 2, "blocks": 2})
    inputs = tile_stimulus(config.params, 3, cases=("medium", "wide", "medium"), blocks=2)
    per_tile = len(inputs) // 3
    run = run_stream(config.build(), inputs, idle=0.0, receiver="always", drain=200)
    assert [pack(config.params.layouts()[1], o) for o in run.outputs] == config.expected(inputs)
    taken = run.input_cycles[:2 * per_tile]
    gaps = [b - a for a, b in zip(taken, taken[1:]) if b - a != 1]
    assert gaps == [], f"{config.module_name}: the input paused {gaps} cycles within two tiles"


@pytest.mark.parametrize("name", sorted(n for n, d in DESIGNS.items() if d.datapath is not None))
def test_every_datapath_with_blocks_of_six_beats(name):
    """Bc / lanes = 6 beats per row's block, not a power of two: a beat counter that wraps one
    too late wraps at 8 instead (a power of two hides it: the register wraps by itself)."""
    config = Config.of(name, {"br": 2, "bc": 12, "lanes": 2,
                              **DESIGNS[name].datapath.study_params})
    blocks = getattr(config.params, "blocks", 3)    # a tile buffer takes whole tiles
    inputs = tile_stimulus(config.params, 5, cases=("medium", "corners"), blocks=blocks)
    run = run_stream(config.build(), inputs, seed=5, drain=400)
    assert [pack(config.params.layouts()[1], o) for o in run.outputs] == config.expected(inputs)


def _late_cycles(run, beats: int, latency: int) -> list[int]:
    """Ready cycles that passed while the next beat could have gone: beat n of a block row is
    due ``latency`` + n cycles after the row's last input beat was taken, and after the beat
    before it."""
    late, out, ready = [], run.output_cycles, set(run.ready_cycles)
    for n, t in enumerate(out):
        group, k = divmod(n, beats)
        due = max(run.input_cycles[(group + 1) * beats - 1] + latency + k,
                  out[n - 1] + 1 if n else 0)
        late += [c for c in range(due, t) if c in ready]
    return late


@pytest.mark.parametrize("stages", [pytest.param(s, marks=() if s in (1, 2) else pytest.mark.slow)
                                    for s in range(4)])
def test_rescale_keeps_its_read_stage_full_under_idles_and_backpressure(stages):
    """Input with idles, random backpressure: no ready cycle passes while a beat could have gone
    (its latency measured on an unobstructed run). A read stage that loads only when the next
    stage is ready loses cycles here from ``stages`` = 1. Up to 3 stages the code side has at
    most one register; a ``StreamPipeline`` of two or more advances them together and keeps a
    bubble behind a stalled output, a cost of its simple design, not checked here."""
    for br, bc, lanes in [(2, 8, 4)]:
        shape = TileShape(br, bc, lanes, 6)
        inputs = score_beats(tile_scores("medium", shape, 3), shape) * 2
        beats = bc // lanes
        clear = run_stream(Rescale(br=br, bc=bc, lanes=lanes, stages=stages), inputs, idle=0.0,
                           receiver="always", drain=50)
        latency = min(clear.output_cycles[g * beats] - clear.input_cycles[(g + 1) * beats - 1]
                      for g in range(len(inputs) // beats))
        for seed in range(4):
            run = run_stream(Rescale(br=br, bc=bc, lanes=lanes, stages=stages), inputs,
                             seed=seed, idle=0.3, stall=0.3, drain=50)
            assert _late_cycles(run, beats, latency) == [], (br, bc, lanes, seed)
