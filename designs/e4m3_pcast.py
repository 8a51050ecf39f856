"""``e4m3_pcast_datapath``: ScoreFraming → 32-bit link → E4m3PcastLanes (FlashAttention-3's FP8
P arrangement), verified on the same named tiles as ``baps_datapath`` against
``golden.e4m3_pcast``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..golden.baps import BC, BR, LANES
from ..golden.e4m3_pcast import SCALE_LOG2, E4m3PcastConfig, e4m3_pcast
from ..golden.formats import E4M3
from ..hdl.baps_layouts import prob_beat, score_beat
from ..hdl.e4m3_pcast import STAGES, E4m3PcastDatapath
from ..hdl.link import LINK_DEPTH
from ..hdl.rescale import check_tile_params
from .baps import module_name, tile_golden, tile_stimulus
from .registry import Design, DesignParams, register

__all__ = ["E4m3PcastDatapathParams"]


@dataclass(frozen=True)
class E4m3PcastDatapathParams(DesignParams):
    SPEC: ClassVar = {"br": BR, "bc": BC, "lanes": LANES, "link_depth": LINK_DEPTH,
                      "scale_log2": SCALE_LOG2, "stages": STAGES}
    br: int = 4
    bc: int = 64
    lanes: int = 8
    link_depth: int = 0
    scale_log2: int = 8
    stages: int = 0

    def check(self):
        check_tile_params(br=self.br, bc=self.bc, lanes=self.lanes)

    def softmax(self, t):
        """The bit-exact model of one tile (rows × blocks·bc)."""
        return e4m3_pcast(t, E4m3PcastConfig(bc=self.bc, scale_log2=self.scale_log2))

    def layouts(self):
        return score_beat(self.lanes, self.br), prob_beat(self.lanes, self.br, E4M3.width)


register(Design(
    name="e4m3_pcast_datapath",
    description="FP8 E4M3 P-cast (FlashAttention-3): FP32 scores on a 32-bit link → FP32 max, "
                "x = t − m, faithful FP32 EXP2·S, E4M3 P, row sum from the FP32 P̃",
    params=E4m3PcastDatapathParams,
    build=lambda p: E4m3PcastDatapath(br=p.br, bc=p.bc, lanes=p.lanes, link_depth=p.link_depth,
                                      scale_log2=p.scale_log2, stages=p.stages),
    stimulus=tile_stimulus,
    golden=tile_golden,
    module_name=lambda p: module_name("e4m3_pcast_datapath", p),
    role=lambda p: "E4M3 P-cast datapath (comparison)",
    regress=({"br": 3, "bc": 16, "lanes": 4},
             {"br": 2, "bc": 12, "lanes": 3, "link_depth": 3, "scale_log2": 0},
             {"br": 1, "bc": 4, "lanes": 2, "link_depth": 3, "stages": 20}),
    area=({"br": 2, "bc": 16, "lanes": 4, "link_depth": 4},),
    hierarchical=True,
))
