"""``BapsDatapath``: Rescale → MatrixVectorLink (8-bit) → SoftmaxLanes, one tile at a time."""

from amaranth import Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from ..golden.baps import SCORE_FORMAT
from ..golden.formats import get_format
from .baps_layouts import prob_beat, score_beat
from .link import MatrixVectorLink
from .pipeline import discard, stages_param
from .rescale import Rescale
from .softmax_lanes import SoftmaxLanes

__all__ = ["BapsDatapath", "STAGES"]

STAGES = stages_param(max((Rescale.CUTS, SoftmaxLanes.CUTS), key=len))


class BapsDatapath(wiring.Component):
    """FP32 scores in (``lanes`` per beat, block-major, framed by row and first/last block), P codes
    (``p_format``) out with l (FP32) at each row's end. The link carries ``lanes`` score codes
    (``score_format``) per beat, packed densely into ``link_width`` bits (default bits·lanes; any
    W with ⌊W/bits⌋ = lanes: a 64-bit link carries 10 six-bit codes). ``stages``: each block's
    optional register cuts (``Rescale.CUTS``, ``SoftmaxLanes.CUTS``), min(stages, what the block
    has). Parameters are validated at construction (``ValueError`` names the value)."""

    latency = None          # not a fixed-latency unit: see ``timing``
    timing = ("streaming, no fixed latency: a row of a block leaves Rescale once its bc scores "
              "are in (bc / lanes cycles), then passes the link FIFO (link_depth beats) and "
              "SoftmaxLanes (2 cycles); up to one beat per cycle in steady state. `baps-rtl "
              "bench link` measures throughput and first-output latency")

    def __init__(self, *, br: int = 4, bc: int = 64, lanes: int = 8, link_width: int | None = None,
                 m_width: int = 16, l_int_bits: int = 16, link_depth: int = 0,
                 impl: str = "table", score_format: str = "hif8", p_format: str = "hif8",
                 stages: int = 0):
        try:
            STAGES.check(stages)
            SCORE_FORMAT.check(score_format)
            bits = get_format(score_format).width
            link_width = bits * lanes if link_width is None else link_width
            if (not isinstance(link_width, int) or isinstance(link_width, bool)
                    or link_width // bits != lanes):
                raise ValueError(f"link_width={link_width!r} does not carry lanes={lanes} "
                                 f"{score_format} codes per beat (⌊W/{bits}⌋ of them); allowed: "
                                 f"{bits * lanes}..{bits * lanes + bits - 1}")
            self.rescale = Rescale(br=br, bc=bc, lanes=lanes, m_width=m_width,
                                   score_format=score_format,
                                   stages=min(stages, len(Rescale.CUTS)))
            self.link = MatrixVectorLink(width=link_width, element=score_format, br=br,
                                         m_width=m_width, depth=link_depth)
            self.lanes_unit = SoftmaxLanes(br=br, bc=bc, lanes=lanes, m_width=m_width,
                                           l_int_bits=l_int_bits, impl=impl,
                                           score_format=score_format, p_format=p_format,
                                           stages=min(stages, len(SoftmaxLanes.CUTS)))
        except (ValueError, TypeError):
            discard(self, *(getattr(self, n) for n in ("rescale", "link", "lanes_unit")
                             if hasattr(self, n)))
            raise
        self.br, self.bc, self.lanes = br, bc, lanes
        super().__init__({
            "i": In(stream.Signature(score_beat(lanes, br))),
            "o": Out(stream.Signature(prob_beat(lanes, br, get_format(p_format).width))),
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
