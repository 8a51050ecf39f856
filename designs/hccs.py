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
from dataclasses import dataclass
from typing import ClassVar

from ..golden.baps import BC, BR, LANES
from ..golden.baps_stream import (TILE_CASES, TileShape, code_spectrum_tile, expected_norm_beats,
                                  score_beats, tile_scores, tiles_from_beats)
from ..golden.fixed_scores import FRAC_BITS
from ..golden.hccs import RECIPROCAL, HccsConfig, HccsHead, hccs
from ..hdl.baps_layouts import norm_beat, score_beat
from ..hdl.hccs import HEAD, STAGES, TILE_BLOCKS, HccsDatapath
from ..hdl.link import LINK_DEPTH
from ..hdl.rescale import check_tile_params
from .baps import module_name
from .beats import pack, unpack
from .registry import Design, DesignParams, register

__all__ = ["HccsDatapathParams", "HEADS", "row_tile_stimulus", "FIXED_CASES"]

FIXED_CASES = tuple(c for c in TILE_CASES if c != "spectrum") + ("codes",)
HEADS = (HccsHead(320, 8, 40), HccsHead(0, 0, 0), HccsHead(16129, 127, 127),
         HccsHead(255, 2, 127), HccsHead(32767, 1, 127), HccsHead(4000, 100, 40))


def _random_head(rng: random.Random) -> HccsHead:
    """B a little above S·Dmax (the calibrated regime, where the clip shapes the output)."""
    s, dmax = rng.randint(1, 127), rng.randint(1, 127)
    return HccsHead(min(s * dmax + rng.randint(0, s * dmax // 4 + 16), 32767), s, dmax)


@dataclass(frozen=True)
class HccsDatapathParams(DesignParams):
    SPEC: ClassVar = {"br": BR, "bc": BC, "lanes": LANES, "blocks": TILE_BLOCKS,
                      "frac_bits": FRAC_BITS, "reciprocal": RECIPROCAL, "link_depth": LINK_DEPTH,
                      "stages": STAGES}
    br: int = 4
    bc: int = 64
    lanes: int = 8
    blocks: int = 4
    frac_bits: int = 3
    reciprocal: str = "exact"
    link_depth: int = 0
    stages: int = 0

    def check(self):
        check_tile_params(br=self.br, bc=self.bc, lanes=self.lanes)

    def layouts(self):
        in_beat = {n: f.shape for n, f in score_beat(self.lanes, self.br)}
        from amaranth.lib import data
        return data.StructLayout({**in_beat, "side": HEAD}), norm_beat(self.lanes, self.br)

    def softmax(self, t, head: HccsHead):
        return hccs(t, HccsConfig(frac_bits=self.frac_bits, reciprocal=self.reciprocal), head).p


def row_tile_stimulus(p, seed: int, cases, frac_bits: int, side=lambda k: None) -> list[int]:
    """Packed input beats, one tile of ``p.blocks`` blocks per case (``codes``: the int8 code
    spectrum at ``frac_bits``); ``side(k)``: tile k's side band (a dict), or None."""
    layout = p.layouts()[0]
    shape = TileShape(p.br, p.bc, p.lanes, p.blocks)
    beats = []
    for k, case in enumerate(cases):
        t = (code_spectrum_tile(shape, frac_bits, seed) if case == "codes"
             else tile_scores(case, shape, seed))
        extra = side(k)
        beats += [pack(layout, b if extra is None else {**b, "side": extra})
                  for b in score_beats(t, shape)]
    return beats


def row_tiles(p, inputs):
    """(tile scores, the side band of its first beat) of packed input beats, in order;
    ``ValueError`` names a tile longer than the buffer."""
    layout = p.layouts()[0]
    beats = [unpack(layout, int(v)) for v in inputs]
    out, start = [], 0
    for t in tiles_from_beats(beats, p.br, p.bc, p.lanes):
        blocks = t.shape[1] // p.bc
        if blocks > p.blocks:
            raise ValueError(f"a tile of {blocks} blocks per row exceeds the buffer's "
                             f"blocks={p.blocks}")
        out.append((t, beats[start].get("side")))
        start += blocks * p.br * (p.bc // p.lanes)
    return out


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
    build=lambda p: HccsDatapath(br=p.br, bc=p.bc, lanes=p.lanes, blocks=p.blocks,
                                 frac_bits=p.frac_bits, reciprocal=p.reciprocal,
                                 link_depth=p.link_depth, stages=p.stages),
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
))
