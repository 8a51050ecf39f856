"""``softermax_datapath``: FixedScoreCast (Q(6,2)) → 8-bit link → SoftermaxLanes, verified on
whole tiles against ``golden.softermax``.

Stimulus: one tile per named case of ``golden.baps_stream`` (without the HiF8 spectrum) and the
Q(6,2) code spectrum (every code in every lane), each with ``blocks`` key blocks. The golden side
rebuilds the tiles from the input beats.
"""

from __future__ import annotations


from ..golden.baps_stream import TileShape, expected_norm_beats
from ..golden.fixed_scores import Q6_2
from ..golden.softermax import SoftermaxConfig, softermax
from ..hdl.beat_layouts import norm_beat, score_beat
from ..hdl.softermax import SoftermaxDatapath
from .beats import pack
from .registry import Datapath, Design, DesignParams, design_params, register
from .tiles import FIXED_CASES, module_name, row_tile_stimulus, row_tiles

__all__ = ["SoftermaxDatapathParams"]


@design_params(*SoftermaxDatapath.PARAMS)
class SoftermaxDatapathParams(DesignParams):
    def check(self):
        SoftermaxDatapath.check_rules(self)

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
    build=lambda p: SoftermaxDatapath(**p.as_dict()),
    stimulus=softermax_stimulus,
    golden=softermax_golden,
    module_name=lambda p: module_name("softermax_datapath", p),
    role=lambda p: "Softermax datapath (comparison)",
    regress=({"br": 3, "bc": 16, "lanes": 4, "blocks": 4},
             {"br": 2, "bc": 12, "lanes": 3, "blocks": 3, "link_depth": 3},
             {"br": 1, "bc": 8, "lanes": 8, "blocks": 5, "link_depth": 4, "stages": 5}),
    area=({"br": 2, "bc": 16, "lanes": 4, "blocks": 4, "link_depth": 4},),
    hierarchical=True,
    datapath=Datapath(
        label=lambda p: "Softermax",
        family=lambda p: "other scheme",
        scheme=lambda p: "softermax",
        study_params={"blocks": 4},
        power_stimulus=lambda p, case, blocks: row_tile_stimulus(
            p, 1, (case,) * max(1, blocks // p.blocks), Q6_2.frac_bits),
        blocks=SoftermaxDatapath.BLOCK_NAMES),
))
