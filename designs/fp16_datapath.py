"""``fp16_datapath``: the FP16 online-softmax baseline (Fp16Cast → 16-bit link →
Fp16SoftmaxLanes), verified on the same named tiles as ``baps_datapath`` against
``golden.fp16_datapath``."""

from __future__ import annotations


from ..golden.fp16_datapath import Fp16DatapathConfig, fp16_softmax
from ..golden.formats import FP16
from ..hdl.beat_layouts import prob_beat, score_beat
from ..hdl.fp16_datapath import Fp16Datapath
from .registry import Datapath, Design, DesignParams, design_params, register
from .tiles import module_name, tile_golden, tile_stimulus

__all__ = ["Fp16DatapathParams"]


@design_params(*Fp16Datapath.PARAMS)
class Fp16DatapathParams(DesignParams):
    def check(self):
        Fp16Datapath.check_rules(self)

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
    build=lambda p: Fp16Datapath(**p.as_dict()),
    stimulus=tile_stimulus,
    golden=tile_golden,
    module_name=lambda p: module_name("fp16_datapath", p),
    role=lambda p: "FP16 datapath (baseline)",
    regress=({"br": 3, "bc": 16, "lanes": 4},
             {"br": 2, "bc": 12, "lanes": 3, "link_depth": 3, "accuracy": "faithful"},
             {"br": 1, "bc": 4, "lanes": 2, "link_depth": 3, "stages": 16}),
    area=({"br": 2, "bc": 16, "lanes": 4, "link_depth": 4},),
    hierarchical=True,
    datapath=Datapath(
        label=lambda p: "FP16 online softmax",
        family=lambda p: "baseline",
        scheme=lambda p: "fp16_online" if p.accuracy == "correct" else None,
        compare=lambda lanes: (("FP16, equal lanes", "equal lanes", {}),
                               ("FP16, equal link width", "equal link width",
                                {"lanes": lanes // 2})),
        power_stimulus=lambda p, case, blocks: tile_stimulus(p, 1, (case,), blocks),
        blocks=Fp16Datapath.BLOCK_NAMES),
))
