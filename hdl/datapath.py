"""``ThreeBlockDatapath``: the one shape of every softmax datapath — a matrix-side block, the
matrix-to-vector link, a vector-side block, in a row — validated before anything is built."""

from __future__ import annotations

from types import SimpleNamespace
from typing import ClassVar

from amaranth import Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ..golden.tile import check_tile
from .pipeline import ArgumentsChecked

__all__ = ["ThreeBlockDatapath"]


class ThreeBlockDatapath(ArgumentsChecked, wiring.Component):
    """Matrix side → link → vector side; ports ``i`` (the matrix block's input stream) and ``o``
    (the vector block's output stream).

    A subclass declares ``PARAMS`` (every knob as a ``golden.params`` parameter with its default:
    the one declaration the design registry's parameter class and the command line derive
    from), ``BLOCK_NAMES`` (the three submodules' names in the netlist), optionally ``rules``
    (rules between parameters beyond the tile's bc = k·lanes) and ``blocks`` (the three
    components from the checked values). The constructor takes the parameters as keywords,
    checks every value and rule first (``ValueError``/``TypeError`` naming the value and what is
    allowed) and only then builds the blocks: a refused parameter builds nothing. The checked
    values are ``self.params``; the blocks ``self.matrix``, ``self.link``, ``self.vector``."""

    PARAMS: ClassVar[tuple] = ()
    BLOCK_NAMES: ClassVar[tuple] = ("matrix", "link", "vector")
    latency = None                  # streaming or tile-buffered: see the subclass's ``timing``

    @classmethod
    def check_arguments(cls, **values):
        cls.validate(values)

    def __init__(self, **values):
        # ``check_arguments`` has checked ``values`` before the object was created
        self.params = p = SimpleNamespace(**{q.name: values.get(q.name, q.default)
                                             for q in self.PARAMS})
        self.br, self.bc, self.lanes = p.br, p.bc, p.lanes
        self.matrix, self.link, self.vector = self.blocks(p)
        super().__init__({"i": In(stream.Signature(self.matrix.i.payload.shape())),
                          "o": Out(stream.Signature(self.vector.o.payload.shape()))})

    @classmethod
    def validate(cls, values: dict) -> SimpleNamespace:
        """Every parameter of ``PARAMS`` (defaults for those not given) checked, then the rules."""
        spec = {p.name: p for p in cls.PARAMS}
        unknown = sorted(set(values) - set(spec))
        if unknown:
            raise TypeError(f"{cls.__name__}: unknown parameter {unknown[0]!r}; allowed: "
                            f"{', '.join(spec)}")
        checked = SimpleNamespace(**{n: p.check(values.get(n, p.default))
                                     for n, p in spec.items()})
        cls.check_rules(checked)
        return checked

    @classmethod
    def check_rules(cls, p) -> None:
        """The rules between parameters whose values are already checked one by one (``p``: any
        object with them as attributes): the tile's bc = k·lanes, then ``rules``."""
        check_tile(p.bc, p.lanes)
        cls.rules(p)

    @classmethod
    def rules(cls, p: SimpleNamespace) -> None:
        """Rules between checked parameters (``ValueError`` naming the values)."""

    def blocks(self, p: SimpleNamespace) -> tuple:
        """(matrix-side block, link, vector-side block) for the checked parameters ``p``."""
        raise NotImplementedError

    def elaborate(self, platform):
        m = Module()
        for name, block in zip(self.BLOCK_NAMES, (self.matrix, self.link, self.vector)):
            m.submodules[name] = block
        wiring.connect(m, wiring.flipped(self.i), self.matrix.i)
        wiring.connect(m, self.matrix.o, self.link.i)
        wiring.connect(m, self.link.o, self.vector.i)
        wiring.connect(m, self.vector.o, wiring.flipped(self.o))
        return m
