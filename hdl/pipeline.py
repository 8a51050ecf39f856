"""A valid/ready stream pipeline with a global stall, the base of every one-result-per-cycle unit."""

from __future__ import annotations

import inspect

from amaranth import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ..golden.params import IntParam

__all__ = ["StreamPipeline", "StagedLogic", "Cuts", "NO_CUTS", "stages_param", "check_stages",
           "ArgumentsChecked"]


def stages_param(cuts: tuple[str, ...]) -> IntParam:
    """The ``stages`` parameter of a block whose optional register cuts are ``cuts``."""
    return IntParam("stages", 0, len(cuts),
                    "optional register cuts, enabled in the order " + ", ".join(cuts), 0)


def check_stages(stages, cuts: tuple[str, ...]) -> tuple[str, ...]:
    """The enabled cuts (the first ``stages`` of ``cuts``), or ``ValueError`` naming the bad
    value and the allowed range."""
    stages_param(cuts).check(stages)
    return tuple(cuts[:stages])


class Cuts:
    """Optional register cuts at named points of combinational logic.

    ``cuts(name, *values)`` returns ``values`` (a tuple) unchanged, or registered by ``reg``
    when ``name`` is enabled; integers pass through (constants need no register), lists and
    tuples are registered element by element. A name is one register stage however many times it
    is reached (the lanes of a beat each pass it); every value that crosses the point must pass
    through it. Every enabled name must be reached (``check_used``), so a cut that the logic
    never passes cannot silently shorten a pipeline.
    A name may carry a prefix (``"fill.ceil"``): ``sub(prefix)`` gives the cuts of one part.
    """

    def __init__(self, enabled=(), reg=None):
        self.enabled = tuple(enabled)
        self.reg = reg
        self.used: list[str] = []

    def __call__(self, name: str, *values):
        if name not in self.enabled:
            return values
        if name not in self.used:
            self.used.append(name)
        return tuple(self._register(v) for v in values)

    def _register(self, value):
        if isinstance(value, int):
            return value
        if isinstance(value, (list, tuple)):
            return type(value)(self._register(v) for v in value)
        return self.reg(value)

    def sub(self, prefix: str) -> tuple[str, ...]:
        """The enabled names under ``prefix.`` with the prefix removed."""
        return tuple(n[len(prefix) + 1:] for n in self.enabled if n.startswith(prefix + "."))

    def check_used(self) -> None:
        missing = [n for n in self.enabled if n not in self.used]
        if missing:
            raise AssertionError(f"register cuts never reached: {', '.join(missing)}")


NO_CUTS = Cuts()


class ArgumentsChecked:
    """Mixin for components: ``check_arguments(**values)`` (``values``: every parameter of
    ``__init__``, defaults filled in) runs before Amaranth creates the object, so a refused
    parameter raises ``ValueError``/``TypeError`` naming it and leaves no half-built component
    (nor Amaranth's "created but never used" warning). The default checks ``stages`` against
    ``CUTS``."""

    CUTS: tuple[str, ...] = ()

    def __new__(cls, *args, src_loc_at=0, **kwargs):
        try:
            bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{cls.__name__}: {exc}") from None
        bound.apply_defaults()
        values = {}
        for name, value in list(bound.arguments.items())[1:]:
            kind = bound.signature.parameters[name].kind
            values.update(value if kind is inspect.Parameter.VAR_KEYWORD else {name: value})
        cls.check_arguments(**values)
        return super().__new__(cls, src_loc_at=src_loc_at + 1)

    @classmethod
    def check_arguments(cls, **values) -> None:
        if "stages" in values:
            check_stages(values["stages"], cls.CUTS)


class StreamPipeline(ArgumentsChecked, wiring.Component):
    """Input stream ``i`` → ``latency`` register stages → output stream ``o``.

    All stages advance together when the output holds nothing or is being read
    (``advance = ~o.valid | o.ready``; ``i.ready = advance``), so one transfer per cycle is accepted
    at steady state, no beat is lost or duplicated under backpressure, ``o.valid`` comes from a
    register and never waits on ``o.ready``, and the payload stays stable until transferred.

    Subclasses set ``latency`` and implement ``datapath(m, payload, reg)``, returning the output
    payload; ``reg(value)`` is a register enabled by ``advance``, to be used exactly ``latency``
    times along every path.

    Optional register cuts: ``CUTS`` names them in the order ``stages`` enables them; the
    datapath passes its values through ``self.cuts(name, ...)`` at each point, and the latency
    is ``latency`` + ``stages``.
    """

    latency: int = 1
    CUTS: tuple[str, ...] = ()

    def __init__(self, in_shape, out_shape, *, stages: int = 0):
        self.enabled_cuts = check_stages(stages, self.CUTS)
        self.stages = stages
        self.latency = type(self).latency + stages
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
            m.d.comb += self._in_flight.eq(sum(stages) if stages else 0)
        self._cuts = Cuts(self.enabled_cuts, reg)
        m.d.comb += [
            self.o.valid.eq(valid),
            self.o.payload.eq(self.datapath(m, self.i.payload, reg)),
        ]
        self._cuts.check_used()
        return m

    @property
    def cuts(self) -> Cuts:
        """The optional cuts of this elaboration (inside ``datapath``)."""
        return self._cuts


class StagedLogic(StreamPipeline):
    """A stateless stream stage of a larger block: ``logic(m, payload, cuts)`` returns the output
    payload; ``cuts`` names the enabled register cuts (latency = their number, 0: a wire)."""

    latency = 0

    def __init__(self, in_shape, out_shape, logic, cuts: tuple[str, ...] = ()):
        self.CUTS = tuple(cuts)
        self._logic = logic
        super().__init__(in_shape, out_shape, stages=len(self.CUTS))

    def datapath(self, m, payload, reg):
        return self._logic(m, payload, self.cuts)
