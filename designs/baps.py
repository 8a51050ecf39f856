"""``baps_datapath``: Rescale → MatrixVectorLink → SoftmaxLanes, verified on whole tiles.

Stimulus: every named tile case of ``golden.baps_stream`` (``blocks`` = 4 key blocks per tile),
as packed ``score_beat`` payloads in stream order; expected: the golden model's ``prob_beat``
payloads. The golden side rebuilds the tiles from the input beats, so a vector file of any tiles
in this stream order can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from ..golden.baps import (BC, BR, L_INT_BITS, LANES, M_WIDTH, P_FORMAT, SCORE_FORMAT, BapsConfig,
                           baps_softmax)
from ..golden.baps_stream import (TILE_CASES, TileShape, expected_prob_beats, score_beats,
                                  spectrum_blocks, tile_scores, tiles_from_beats)
from ..golden.formats import get_format
from ..hdl.baps_datapath import STAGES, BapsDatapath
from ..hdl.baps_layouts import prob_beat, score_beat
from ..hdl.exp2_hif8 import IMPL
from ..hdl.link import LINK_DEPTH
from ..hdl.rescale import check_tile_params
from .beats import pack, unpack
from .registry import Design, DesignParams, name_token, register

__all__ = ["BapsDatapathParams", "TILE_BLOCKS", "tile_stimulus", "tile_golden", "module_name"]

TILE_BLOCKS = 4


@dataclass(frozen=True)
class BapsDatapathParams(DesignParams):
    SPEC: ClassVar = {"br": BR, "bc": BC, "lanes": LANES, "m_width": M_WIDTH,
                      "l_int_bits": L_INT_BITS, "link_depth": LINK_DEPTH, "impl": IMPL,
                      "score_format": SCORE_FORMAT, "p_format": P_FORMAT, "stages": STAGES}
    br: int = 4
    bc: int = 64
    lanes: int = 8
    m_width: int = 16
    l_int_bits: int = 16
    link_depth: int = 0
    impl: str = "table"
    score_format: str = "hif8"
    p_format: str = "hif8"
    stages: int = 0

    def check(self):
        check_tile_params(br=self.br, bc=self.bc, lanes=self.lanes, m_width=self.m_width)

    @property
    def golden_config(self) -> BapsConfig:
        return BapsConfig(bc=self.bc, m_width=self.m_width, l_int_bits=self.l_int_bits,
                          score_format=self.score_format, p_format=self.p_format)

    def softmax(self, t):
        """The bit-exact model of one tile (rows × blocks·bc)."""
        return baps_softmax(t, self.golden_config)

    def layouts(self):
        return (score_beat(self.lanes, self.br),
                prob_beat(self.lanes, self.br, get_format(self.p_format).width))


def module_name(prefix: str, p) -> str:
    """``prefix`` and every parameter that differs from its default (``baps_datapath_br3_…``)."""
    default = type(p)()
    parts = [f"{f.name}{name_token(getattr(p, f.name))}" for f in fields(p)
             if getattr(p, f.name) != getattr(default, f.name)]
    return "_".join([prefix, *parts])


def tile_stimulus(p, seed: int = 1, cases=TILE_CASES,
                  blocks: int = TILE_BLOCKS) -> list[int]:
    """Packed input beats of one tile per named case, in order (``blocks`` blocks each; the
    ``spectrum`` tile as many as it needs to reach every code in every lane)."""
    layout = p.layouts()[0]
    code = getattr(p, "score_format", "hif8")      # the spectrum of the link's score code
    beats = []
    for case in cases:
        n = max(blocks, spectrum_blocks(p.br, p.bc, p.lanes, code)) if case == "spectrum" \
            else blocks
        shape = TileShape(p.br, p.bc, p.lanes, n)
        beats += [pack(layout, b) for b in score_beats(tile_scores(case, shape, seed, code),
                                                       shape)]
    return beats


def tile_golden(p, inputs) -> list[int]:
    """Expected output beats for packed input beats (tiles rebuilt from the framing), from the
    parameters' bit-exact model (``p.softmax``)."""
    in_layout, out_layout = p.layouts()
    beats = [unpack(in_layout, int(v)) for v in inputs]
    out = []
    for t in tiles_from_beats(beats, p.br, p.bc, p.lanes):
        shape = TileShape(p.br, p.bc, p.lanes, t.shape[1] // p.bc)
        out += [pack(out_layout, b) for b in expected_prob_beats(p.softmax(t), shape)]
    return out


register(Design(
    name="baps_datapath",
    description="BAPS datapath: FP32 scores → Rescale → score-code link (HiF8 or another "
                "5–8-bit code) → EXP2 lanes and row sums",
    params=BapsDatapathParams,
    build=lambda p: BapsDatapath(br=p.br, bc=p.bc, lanes=p.lanes, m_width=p.m_width,
                                 l_int_bits=p.l_int_bits, link_depth=p.link_depth, impl=p.impl,
                                 score_format=p.score_format, p_format=p.p_format,
                                 stages=p.stages),
    stimulus=tile_stimulus,
    golden=tile_golden,
    module_name=lambda p: module_name("baps_datapath", p),
    role=lambda p: "BAPS datapath",
    regress=({"br": 3, "bc": 16, "lanes": 4},
             {"br": 7, "bc": 8, "lanes": 8, "impl": "split", "link_depth": 3},
             {"br": 4, "bc": 64, "lanes": 16, "link_depth": 4},
             {"br": 1, "bc": 8, "lanes": 2, "link_depth": 3, "stages": 6},
             {"br": 3, "bc": 16, "lanes": 4, "score_format": "u5.4/e2", "p_format": "fp16"},
             {"br": 2, "bc": 12, "lanes": 6, "score_format": "u4.3/e2", "p_format": "fp16",
              "impl": "split", "link_depth": 3},
             {"br": 2, "bc": 8, "lanes": 4, "score_format": "e5m2", "p_format": "e4m3",
              "stages": 6},
             {"br": 3, "bc": 8, "lanes": 2, "score_format": "u3.2", "p_format": "q1.15",
              "impl": "split"}),
    area=({"br": 2, "bc": 16, "lanes": 4, "link_depth": 4},),
    hierarchical=True,
))
