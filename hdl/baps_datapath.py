"""``BapsDatapath``: Rescale → MatrixVectorLink (score codes) → SoftmaxLanes, one tile at a time."""

from ..golden.baps import L_INT_BITS, M_WIDTH, P_FORMAT, SCORE_FORMAT
from ..golden.params import IntParam
from ..golden.tile import BC, BR, LANES
from .datapath import ThreeBlockDatapath
from .exp2_code import IMPL
from .link import LINK_DEPTH, MatrixVectorLink
from .pipeline import stages_param
from .rescale import Rescale
from .softmax_lanes import SoftmaxLanes

__all__ = ["BapsDatapath", "STAGES", "LINK_WIDTH"]

STAGES = stages_param(max((Rescale.CUTS, SoftmaxLanes.CUTS), key=len))
LINK_WIDTH = IntParam("link_width", 0, 4096, "link width in bits, any W with ⌊W/bits⌋ = lanes "
                      "(0: bits·lanes, the codes packed densely)", 0)


class BapsDatapath(ThreeBlockDatapath):
    """FP32 scores in (``lanes`` per beat, block-major, framed by row and first/last block), P codes
    (``p_format``) out with l (FP32) at each row's end. The score code and the P format are
    resolved to their format objects once, here, and handed to the three blocks. The link carries ``lanes`` score codes
    (``score_format``) per beat, packed densely into ``link_width`` bits (0: bits·lanes; any W
    with ⌊W/bits⌋ = lanes: a 64-bit link carries 10 six-bit codes). ``stages``: each block's
    optional register cuts (``Rescale.CUTS``, ``SoftmaxLanes.CUTS``), min(stages, what the block
    has)."""

    PARAMS = (BR, BC, LANES, M_WIDTH, L_INT_BITS, LINK_DEPTH, IMPL, SCORE_FORMAT, P_FORMAT,
              STAGES, LINK_WIDTH)
    BLOCK_NAMES = ("rescale", "link", "lanes")
    timing = ("streaming, no fixed latency: a row of a block leaves Rescale once its bc scores "
              "are in (bc / lanes cycles), then passes the link FIFO (link_depth beats) and "
              "SoftmaxLanes (2 cycles); up to one beat per cycle in steady state. `baps-rtl "
              "bench link` measures throughput and first-output latency")

    @classmethod
    def rules(cls, p):
        bits = SCORE_FORMAT.resolve(p.score_format).width
        if p.link_width and p.link_width // bits != p.lanes:
            raise ValueError(f"link_width={p.link_width!r} does not carry lanes={p.lanes} "
                             f"{p.score_format} codes per beat (⌊W/{bits}⌋ of them); allowed: "
                             f"0 or {bits * p.lanes}..{bits * p.lanes + bits - 1}")

    def blocks(self, p):
        code, prob = SCORE_FORMAT.resolve(p.score_format), P_FORMAT.resolve(p.p_format)
        width = p.link_width or code.width * p.lanes
        return (Rescale(br=p.br, bc=p.bc, lanes=p.lanes, m_width=p.m_width, score_format=code,
                        stages=min(p.stages, len(Rescale.CUTS))),
                MatrixVectorLink(width=width, element=code, br=p.br, m_width=p.m_width,
                                 depth=p.link_depth),
                SoftmaxLanes(br=p.br, bc=p.bc, lanes=p.lanes, m_width=p.m_width,
                             l_int_bits=p.l_int_bits, impl=p.impl, score_format=code,
                             p_format=prob, stages=min(p.stages, len(SoftmaxLanes.CUTS))))
