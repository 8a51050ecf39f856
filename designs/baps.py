"""``baps_datapath``: Rescale → MatrixVectorLink → SoftmaxLanes, verified on whole tiles.

Stimulus: every named tile case of ``golden.baps_stream`` (``blocks`` = 4 key blocks per tile),
as packed ``score_beat`` payloads in stream order; expected: the golden model's ``prob_beat``
payloads. The golden side rebuilds the tiles from the input beats, so a vector file of any tiles
in this stream order can be checked.
"""

from __future__ import annotations

from ..golden.baps import BapsConfig, baps_softmax
from ..golden.formats import get_format
from ..golden.schemes import BAPS_CODES, baps_scheme_name
from ..hdl.baps_datapath import BapsDatapath
from ..hdl.beat_layouts import prob_beat, score_beat
from .registry import Datapath, Design, DesignParams, design_params, register
from .tiles import module_name, tile_golden, tile_stimulus

__all__ = ["BapsDatapathParams"]

@design_params(*BapsDatapath.PARAMS)
class BapsDatapathParams(DesignParams):
    def check(self):
        BapsDatapath.check_rules(self)

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


def _family(score_format: str) -> str:
    if score_format in ("hif8", "e4m3", "e5m2"):
        return "BAPS, float score code"
    return ("BAPS, tapered distance code" if "/e" in score_format
            else "BAPS, fixed distance code")


register(Design(
    name="baps_datapath",
    description="BAPS datapath: FP32 scores → Rescale → score-code link (HiF8 or another "
                "5–8-bit code) → EXP2 lanes and row sums",
    params=BapsDatapathParams,
    build=lambda p: BapsDatapath(**p.as_dict()),
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
    datapath=Datapath(
        label=lambda p: ("BAPS (HiF8 link)" if (p.score_format, p.p_format) == ("hif8", "hif8")
                         else f"BAPS {p.score_format} / P {p.p_format}"),
        family=lambda p: _family(p.score_format),
        scheme=lambda p: baps_scheme_name(p.score_format, p.p_format),
        variants=tuple({"score_format": s, "p_format": p} for s, p in BAPS_CODES),
        compare=lambda lanes: (("BAPS (HiF8 link)", "reference", {}),),
        power_stimulus=lambda p, case, blocks: tile_stimulus(p, 1, (case,), blocks),
        blocks=BapsDatapath.BLOCK_NAMES),
))
