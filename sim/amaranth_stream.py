"""Run a stream unit in the Amaranth simulator: all inputs in, all outputs collected.

The fast tier of verification (no build step): random idle cycles on the input, backpressure on
the output under a chosen receiver (random by default), seeded; every output transfer is
recorded in order, and the output is held to the stream rules every cycle.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from amaranth.lib import data
from amaranth.sim import Simulator

from ..designs.beats import pack
from ..hdl.beat_layouts import FRAME

__all__ = ["run_stream", "StreamRun", "StreamProtocolError", "RECEIVERS", "to_python", "pack"]


def to_python(layout, value):
    """A sampled payload as nested dicts/lists of ints (``layout`` None: a plain int); a beat's
    framing struct is flat in the dict (``designs.beats``)."""
    if layout is None:
        return int(value)
    layout = data.Layout.cast(layout)
    if isinstance(layout, data.ArrayLayout):
        return [to_python(_sub(layout.elem_shape), value[i]) for i in range(layout.length)]
    out = {}
    for name, f in layout:
        item = to_python(_sub(f.shape), value[name])
        out.update(item if name == FRAME else {name: item})
    return out


def _sub(shape):
    return shape if isinstance(shape, (data.Layout, data.ArrayLayout, data.StructLayout)) else None


@dataclass
class StreamRun:
    outputs: list[int] = field(default_factory=list)
    input_cycles: list[int] = field(default_factory=list)    # cycle of each input transfer
    output_cycles: list[int] = field(default_factory=list)   # cycle of each output transfer
    ready_cycles: list[int] = field(default_factory=list)    # cycles with the output ready
    cycles: int = 0


RECEIVERS = ("random", "always", "after_valid", "alternate")
"""The output's ready policies: ``random`` (not ready with probability ``stall``, always ready
while draining), ``always``, ``after_valid`` (ready only in the cycle after it saw valid: legal,
and a deadlock for a sender whose valid waits for ready) and ``alternate`` (every other cycle)."""


class StreamProtocolError(AssertionError):
    """The unit broke the stream rules on its output: valid dropped, or the payload changed,
    before the transfer."""


def run_stream(dut, inputs, *, seed: int = 1, idle: float = 0.1, stall: float = 0.2,
               drain: int = 16, receiver: str = "random") -> StreamRun:
    """Feed ``inputs`` through ``dut.i``; return the outputs of ``dut.o`` and transfer cycles.

    The output is received under the ``receiver`` policy (``RECEIVERS``) and checked every cycle:
    once valid, it stays valid with the same payload until the transfer
    (``StreamProtocolError`` names the cycle). The run continues ``drain`` cycles after the last
    input is taken, so a unit that emits extra beats shows them; it stops after 1000 cycles
    without a transfer.
    """
    if receiver not in RECEIVERS:
        raise ValueError(f"receiver {receiver!r} is not allowed; allowed: {', '.join(RECEIVERS)}")
    in_layout = dut.i.payload.shape() if isinstance(dut.i.payload, data.View) else None
    out_layout = dut.o.payload.shape() if isinstance(dut.o.payload, data.View) else None
    inputs = [pack(in_layout, v) if in_layout is not None else int(v) for v in inputs]
    run = StreamRun()
    rng = random.Random(seed)

    def ready_now(draining: bool, saw_valid: bool) -> bool:
        if receiver == "random":
            return draining or rng.random() >= stall
        if receiver == "after_valid":
            return saw_valid
        return receiver == "always" or run.cycles % 2 == 1

    async def testbench(ctx):
        sent = 0
        presenting = False
        quiet = 0
        left = drain
        held = None             # the payload offered and not yet taken
        saw_valid = False
        while left > 0 and quiet < 1000:
            if not presenting and sent < len(inputs) and rng.random() >= idle:
                presenting = True
                ctx.set(dut.i.payload.as_value() if in_layout is not None else dut.i.payload,
                        inputs[sent])
            ctx.set(dut.i.valid, presenting)
            draining = sent == len(inputs)
            ctx.set(dut.o.ready, ready_now(draining, saw_valid))
            _, _, took, i_valid, gave, o_valid, payload = await ctx.tick().sample(
                dut.i.ready, dut.i.valid, dut.o.ready, dut.o.valid, dut.o.payload)
            beat = to_python(out_layout, payload) if o_valid else None
            if held is not None and (not o_valid or beat != held):
                raise StreamProtocolError(
                    f"cycle {run.cycles}: the output " + ("dropped valid" if not o_valid else
                                                          "changed its payload")
                    + " before the transfer")
            held = beat if o_valid and not gave else None
            saw_valid = bool(o_valid)
            if took and i_valid:
                presenting = False
                sent += 1
                run.input_cycles.append(run.cycles)
            if gave:
                run.ready_cycles.append(run.cycles)
            if gave and o_valid:
                run.outputs.append(beat)
                run.output_cycles.append(run.cycles)
            run.cycles += 1
            quiet = 0 if (took and i_valid) or (gave and o_valid) else quiet + 1
            if draining:
                left -= 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    sim.run()
    return run
