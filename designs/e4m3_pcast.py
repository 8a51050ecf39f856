"""``e4m3_pcast_datapath``: ScoreFraming → 32-bit link → E4m3PcastLanes (FlashAttention-3's FP8
P arrangement), verified on the same named tiles as ``baps_datapath`` against
``golden.e4m3_pcast``."""

from __future__ import annotations


from ..golden.e4m3_pcast import E4m3PcastConfig, e4m3_pcast
from ..golden.formats import E4M3
from ..hdl.beat_layouts import prob_beat, score_beat
from ..hdl.e4m3_pcast import STAGES, E4m3PcastDatapath
from .registry import Datapath, Design, DesignParams, design_params, register
from .tiles import module_name, tile_golden, tile_stimulus

__all__ = ["E4m3PcastDatapathParams"]


@design_params(*E4m3PcastDatapath.PARAMS)
class E4m3PcastDatapathParams(DesignParams):
    def check(self):
        E4m3PcastDatapath.check_rules(self)

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
    build=lambda p: E4m3PcastDatapath(**p.as_dict()),
    stimulus=tile_stimulus,
    golden=tile_golden,
    module_name=lambda p: module_name("e4m3_pcast_datapath", p),
    role=lambda p: "E4M3 P-cast datapath (comparison)",
    regress=({"br": 3, "bc": 16, "lanes": 4},
             {"br": 2, "bc": 12, "lanes": 3, "link_depth": 3, "scale_log2": 0},
             {"br": 1, "bc": 4, "lanes": 2, "link_depth": 3, "stages": 20}),
    area=({"br": 2, "bc": 16, "lanes": 4, "link_depth": 4},),
    hierarchical=True,
    datapath=Datapath(
        label=lambda p: f"E4M3 P-cast (S = {2 ** p.scale_log2})",
        family=lambda p: "other scheme",
        scheme=lambda p: {8: "e4m3_s256", 0: "e4m3_s1"}.get(p.scale_log2),
        variants=({"scale_log2": 8}, {"scale_log2": 0}),
        # mapped with all its cuts at once: one timed mapping of this datapath takes about half
        # an hour here (most of it ABC), so no bisection from 0 (it needs its maximum at 5 ns)
        compare=lambda lanes: ((None, "other scheme, equal lanes", {"stages": STAGES.hi}),),
        power_stimulus=lambda p, case, blocks: tile_stimulus(p, 1, (case,), blocks),
        blocks=E4m3PcastDatapath.BLOCK_NAMES),
))
