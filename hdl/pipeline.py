"""A valid/ready stream pipeline with a global stall, the base of every one-result-per-cycle unit."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["StreamPipeline", "discard"]


def discard(*components) -> None:
    """Mark components built during a refused construction as deliberately unused (no Amaranth
    "created but never used" warning for an object whose parameters were rejected)."""
    for c in components:
        c._MustUse__silence = True


class StreamPipeline(wiring.Component):
    """Input stream ``i`` → ``latency`` register stages → output stream ``o``.

    All stages advance together when the output holds nothing or is being read
    (``advance = ~o.valid | o.ready``; ``i.ready = advance``), so one transfer per cycle is accepted
    at steady state, no beat is lost or duplicated under backpressure, ``o.valid`` comes from a
    register and never waits on ``o.ready``, and the payload stays stable until transferred.

    Subclasses set ``latency`` and implement ``datapath(m, payload, reg)``, returning the output
    payload; ``reg(value)`` is a register enabled by ``advance``, to be used exactly ``latency``
    times along every path.
    """

    latency: int = 1

    def __init__(self, in_shape, out_shape):
        super().__init__({
            "i": In(stream.Signature(in_shape)),
            "o": Out(stream.Signature(out_shape)),
        })
        self._in_flight = None

    def in_flight(self) -> Signal:
        """The number of beats held (valid stages), for the formal stream proofs: not a port,
        and built only when asked for before elaboration (the design's netlist is unchanged)."""
        if self._in_flight is None:
            self._in_flight = Signal(range(self.latency + 1), name="in_flight")
        return self._in_flight

    def reject(self, message: str):
        """Raise ``ValueError(message)`` from ``__init__`` without Amaranth's unused-object warning."""
        discard(self)
        raise ValueError(message)

    def datapath(self, m: Module, payload, reg):
        raise NotImplementedError

    def elaborate(self, platform):
        m = Module()
        advance = Signal()
        m.d.comb += [
            advance.eq(~self.o.valid | self.o.ready),
            self.i.ready.eq(advance),
        ]
        count = 0

        def reg(value):
            nonlocal count
            count += 1
            r = Signal.like(value, name=f"stage{count}_{getattr(value, 'name', 'value')}")
            with m.If(advance):
                m.d.sync += r.eq(value)
            return r

        valid = self.i.valid
        stages = []
        for k in range(self.latency):
            v = Signal(name=f"valid_{k + 1}")
            with m.If(advance):
                m.d.sync += v.eq(valid)
            valid = v
            stages.append(v)
        if self._in_flight is not None:
            m.d.comb += self._in_flight.eq(sum(stages))
        m.d.comb += [
            self.o.valid.eq(valid),
            self.o.payload.eq(self.datapath(m, self.i.payload, reg)),
        ]
        return m
