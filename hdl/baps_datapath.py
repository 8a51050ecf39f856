"""``BapsDatapath``: Rescale → MatrixVectorLink (8-bit) → SoftmaxLanes, one tile at a time."""

from amaranth import Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from .baps_layouts import prob_beat, score_beat
from .link import MatrixVectorLink
from .pipeline import discard
from .rescale import Rescale
from .softmax_lanes import SoftmaxLanes

__all__ = ["BapsDatapath"]


class BapsDatapath(wiring.Component):
    """FP32 scores in (``lanes`` per beat, block-major, framed by row and first/last block), HiF8
    P codes out with l (FP32) at each row's end. The link is ``8·lanes`` bits wide (W/8 HiF8
    codes per beat). Parameters are validated at construction (``ValueError`` names the value)."""

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, link_width: int | None = None,
                 m_width: int = 16, l_int_bits: int = 16, link_depth: int = 0,
                 impl: str = "table"):
        link_width = 8 * lanes if link_width is None else link_width
        try:
            if link_width != 8 * lanes:
                raise ValueError(f"link_width={link_width!r} does not carry lanes={lanes} HiF8 "
                                 f"codes per beat; allowed: 8·lanes = {8 * lanes}")
            self.rescale = Rescale(br=br, bc=bc, lanes=lanes, m_width=m_width)
            self.link = MatrixVectorLink(width=link_width, element="hif8", br=br, m_width=m_width,
                                         depth=link_depth)
            self.lanes_unit = SoftmaxLanes(br=br, bc=bc, lanes=lanes, m_width=m_width,
                                           l_int_bits=l_int_bits, impl=impl)
        except (ValueError, TypeError):
            discard(self, *(getattr(self, n) for n in ("rescale", "link", "lanes_unit")
                             if hasattr(self, n)))
            raise
        self.br, self.bc, self.lanes = br, bc, lanes
        super().__init__({
            "i": In(stream.Signature(score_beat(lanes, br))),
            "o": Out(stream.Signature(prob_beat(lanes, br))),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.rescale = self.rescale
        m.submodules.link = self.link
        m.submodules.lanes = self.lanes_unit
        wiring.connect(m, wiring.flipped(self.i), self.rescale.i)
        wiring.connect(m, self.rescale.o, self.link.i)
        wiring.connect(m, self.link.o, self.lanes_unit.i)
        wiring.connect(m, self.lanes_unit.o, wiring.flipped(self.o))
        return m
