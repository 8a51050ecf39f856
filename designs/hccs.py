"""``hccs_datapath``: FixedScoreCast → 8-bit link → HccsLanes, verified on whole tiles against
``golden.hccs``.

Stimulus: one tile per named case of ``golden.baps_stream`` (without the HiF8 spectrum) and the
int8 code spectrum, each with ``blocks`` key blocks, every case twice, and per tile one head's
integers (B, S, Dmax): ``HEADS`` (the extremes: all zero, Σ = 0; B = S·Dmax with the largest S
and Dmax; the largest B) and then seeded random heads with B a little above S·Dmax. The golden side rebuilds tiles and heads
from the input beats, so a vector file of any tiles in this order can be checked.
"""

from __future__ import annotations

import random

from ..golden.baps_stream import TileShape, expected_norm_beats
from ..golden.hccs import HccsConfig, HccsHead, hccs
from ..hdl.beat_layouts import norm_beat, score_beat
from ..hdl.hccs import HEAD, HccsDatapath
from .beats import pack
from .registry import Datapath, Design, DesignParams, design_params, register
from .tiles import FIXED_CASES, module_name, row_tile_stimulus, row_tiles

__all__ = ["HccsDatapathParams", "HEADS"]

HEADS = (HccsHead(320, 8, 40), HccsHead(0, 0, 0), HccsHead(16129, 127, 127),
         HccsHead(255, 2, 127), HccsHead(32767, 1, 127), HccsHead(4000, 100, 40))


def _random_head(rng: random.Random) -> HccsHead:
    """B a little above S·Dmax (the calibrated regime, where the clip shapes the output)."""
    s, dmax = rng.randint(1, 127), rng.randint(1, 127)
    return HccsHead(min(s * dmax + rng.randint(0, s * dmax // 4 + 16), 32767), s, dmax)


@design_params(*HccsDatapath.PARAMS)
class HccsDatapathParams(DesignParams):
    def check(self):
        HccsDatapath.check_rules(self)

    def layouts(self):
        in_beat = {n: f.shape for n, f in score_beat(self.lanes, self.br)}
        from amaranth.lib import data
        return data.StructLayout({**in_beat, "side": HEAD}), norm_beat(self.lanes, self.br)

    def softmax(self, t, head: HccsHead):
        return hccs(t, HccsConfig(frac_bits=self.frac_bits, reciprocal=self.reciprocal), head).p


def hccs_stimulus(p, seed: int = 1) -> list[int]:
    """Every case twice: with a head of ``HEADS`` and with a seeded random one."""
    rng = random.Random(seed)
    cases = FIXED_CASES * 2
    heads = list(HEADS) + [_random_head(rng) for _ in range(len(cases) - len(HEADS))]
    return row_tile_stimulus(p, seed, cases, p.frac_bits, lambda k: vars(heads[k]).copy())


def hccs_golden(p, inputs) -> list[int]:
    out_layout = p.layouts()[1]
    out = []
    for t, side in row_tiles(p, inputs):
        head = HccsHead(**side)
        shape = TileShape(p.br, p.bc, p.lanes, t.shape[1] // p.bc)
        out += [pack(out_layout, b) for b in expected_norm_beats(p.softmax(t, head), shape)]
    return out


register(Design(
    name="hccs_datapath",
    description="HCCS (head-calibrated clipped-linear softmax): FP32 scores → int8 logits → "
                "8-bit link → row max, s = B − S·min(M − x, Dmax), int32 sum, one reciprocal "
                "per row, uint8 P",
    params=HccsDatapathParams,
    build=lambda p: HccsDatapath(**p.as_dict()),
    stimulus=hccs_stimulus,
    golden=hccs_golden,
    module_name=lambda p: module_name("hccs_datapath", p),
    role=lambda p: "HCCS datapath (comparison)",
    regress=({"br": 3, "bc": 16, "lanes": 4, "blocks": 4},
             {"br": 2, "bc": 12, "lanes": 3, "blocks": 3, "link_depth": 3, "reciprocal": "pow2",
              "frac_bits": 0},
             {"br": 1, "bc": 8, "lanes": 8, "blocks": 5, "frac_bits": 7, "link_depth": 4,
              "stages": 7}),
    area=({"br": 2, "bc": 16, "lanes": 4, "blocks": 4, "link_depth": 4},),
    hierarchical=True,
    datapath=Datapath(
        label=lambda p: "HCCS",
        family=lambda p: "other scheme",
        scheme=lambda p: "hccs" if (p.frac_bits, p.reciprocal) == (3, "exact") else None,
        study_params={"blocks": 4},
        power_stimulus=lambda p, case, blocks: row_tile_stimulus(   # the first head of HEADS
            p, 1, (case,) * max(1, blocks // p.blocks), p.frac_bits,
            lambda k: vars(HEADS[0]).copy()),
        blocks=HccsDatapath.BLOCK_NAMES),
))
