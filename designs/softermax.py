"""``softermax_datapath``: FixedScoreCast (Q(6,2)) → 8-bit link → SoftermaxLanes, verified on
whole tiles against ``golden.softermax``.

Stimulus: one tile per named case of ``golden.baps_stream`` (without the HiF8 spectrum) and the
Q(6,2) code spectrum (every code in every lane), each with ``blocks`` key blocks. The golden side
rebuilds the tiles from the input beats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..golden.baps import BC, BR, LANES
from ..golden.baps_stream import TileShape, expected_norm_beats
from ..golden.fixed_scores import Q6_2
from ..golden.softermax import SoftermaxConfig, softermax
from ..hdl.baps_layouts import norm_beat, score_beat
from ..hdl.hccs import TILE_BLOCKS
from ..hdl.link import LINK_DEPTH
from ..hdl.rescale import check_tile_params
from ..hdl.softermax import STAGES, SoftermaxDatapath
from .baps import module_name
from .beats import pack
from .hccs import FIXED_CASES, row_tile_stimulus, row_tiles
from .registry import Design, DesignParams, register

__all__ = ["SoftermaxDatapathParams"]


@dataclass(frozen=True)
class SoftermaxDatapathParams(DesignParams):
    SPEC: ClassVar = {"br": BR, "bc": BC, "lanes": LANES, "blocks": TILE_BLOCKS,
                      "link_depth": LINK_DEPTH, "stages": STAGES}
    br: int = 4
    bc: int = 64
    lanes: int = 8
    blocks: int = 4
    link_depth: int = 0
    stages: int = 0

    def check(self):
        check_tile_params(br=self.br, bc=self.bc, lanes=self.lanes)

    def layouts(self):
        return score_beat(self.lanes, self.br), norm_beat(self.lanes, self.br)

    def softmax(self, t):
        return softermax(t, SoftermaxConfig(bc=self.bc, lanes=self.lanes)).p


def softermax_stimulus(p, seed: int = 1) -> list[int]:
    return row_tile_stimulus(p, seed, FIXED_CASES, Q6_2.frac_bits)


def softermax_golden(p, inputs) -> list[int]:
    out_layout = p.layouts()[1]
    out = []
    for t, _ in row_tiles(p, inputs):
        shape = TileShape(p.br, p.bc, p.lanes, t.shape[1] // p.bc)
        out += [pack(out_layout, b) for b in expected_norm_beats(p.softmax(t), shape)]
    return out


register(Design(
    name="softermax_datapath",
    description="Softermax: FP32 scores → Q(6,2) → 8-bit link → integer running max, 2^x from a "
                "4-entry table, Q(10,6) running sum renormalized by shifts, piecewise-linear "
                "reciprocal, Q(1,7) P",
    params=SoftermaxDatapathParams,
    build=lambda p: SoftermaxDatapath(br=p.br, bc=p.bc, lanes=p.lanes, blocks=p.blocks,
                                      link_depth=p.link_depth, stages=p.stages),
    stimulus=softermax_stimulus,
    golden=softermax_golden,
    module_name=lambda p: module_name("softermax_datapath", p),
    role=lambda p: "Softermax datapath (comparison)",
    regress=({"br": 3, "bc": 16, "lanes": 4, "blocks": 4},
             {"br": 2, "bc": 12, "lanes": 3, "blocks": 3, "link_depth": 3},
             {"br": 1, "bc": 8, "lanes": 8, "blocks": 5, "link_depth": 4, "stages": 5}),
    area=({"br": 2, "bc": 16, "lanes": 4, "blocks": 4, "link_depth": 4},),
    hierarchical=True,
))
