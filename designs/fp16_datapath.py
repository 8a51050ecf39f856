"""``fp16_datapath``: the FP16 online-softmax baseline (Fp16Cast → 16-bit link →
Fp16SoftmaxLanes), verified on the same named tiles as ``baps_datapath`` against
``golden.fp16_datapath``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..golden.baps import BC, BR, LANES
from ..golden.fp16_datapath import EXP2_ACCURACY, Fp16DatapathConfig, fp16_softmax
from ..golden.formats import FP16
from ..hdl.baps_layouts import prob_beat, score_beat
from ..hdl.fp16_datapath import STAGES, Fp16Datapath
from ..hdl.link import LINK_DEPTH
from ..hdl.rescale import check_tile_params
from .baps import module_name, tile_golden, tile_stimulus
from .registry import Design, DesignParams, register

__all__ = ["Fp16DatapathParams"]


@dataclass(frozen=True)
class Fp16DatapathParams(DesignParams):
    SPEC: ClassVar = {"br": BR, "bc": BC, "lanes": LANES, "link_depth": LINK_DEPTH,
                      "accuracy": EXP2_ACCURACY, "stages": STAGES}
    br: int = 4
    bc: int = 64
    lanes: int = 8
    link_depth: int = 0
    accuracy: str = "correct"
    stages: int = 0

    def check(self):
        check_tile_params(br=self.br, bc=self.bc, lanes=self.lanes)

    def softmax(self, t):
        """The bit-exact model of one tile (rows × blocks·bc)."""
        return fp16_softmax(t, Fp16DatapathConfig(bc=self.bc, accuracy=self.accuracy))

    def layouts(self):
        return score_beat(self.lanes, self.br), prob_beat(self.lanes, self.br, FP16.width)


register(Design(
    name="fp16_datapath",
    description="FP16 online-softmax baseline: FP32 scores → FP16 cast → 16-bit link → FP16 max, "
                "x = t − m, FP16 EXP2 lanes, α-rescaled FP32 row sums",
    params=Fp16DatapathParams,
    build=lambda p: Fp16Datapath(br=p.br, bc=p.bc, lanes=p.lanes, link_depth=p.link_depth,
                                 accuracy=p.accuracy, stages=p.stages),
    stimulus=tile_stimulus,
    golden=tile_golden,
    module_name=lambda p: module_name("fp16_datapath", p),
    role=lambda p: "FP16 datapath (baseline)",
    regress=({"br": 3, "bc": 16, "lanes": 4},
             {"br": 2, "bc": 12, "lanes": 3, "link_depth": 3, "accuracy": "faithful"},
             {"br": 1, "bc": 4, "lanes": 2, "link_depth": 3, "stages": 16}),
    area=({"br": 2, "bc": 16, "lanes": 4, "link_depth": 4},),
    hierarchical=True,
))
