"""Tile streams of the BAPS datapath: the beats a testbench drives and the beats the golden model
expects, in the block-major order of ``../shared/spec/baps.md``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .baps import BapsConfig, BapsResult, baps_softmax
from .formats import FP32

__all__ = ["TileShape", "score_beats", "run_golden", "expected_code_beats", "expected_prob_beats"]


@dataclass(frozen=True)
class TileShape:
    br: int
    bc: int
    lanes: int
    blocks: int

    @property
    def beats_per_row(self) -> int:
        return self.bc // self.lanes


def _order(shape: TileShape):
    """(block, row, beat) in stream order."""
    for j in range(shape.blocks):
        for r in range(shape.br):
            for b in range(shape.beats_per_row):
                yield j, r, b


def score_beats(scores: np.ndarray, shape: TileShape) -> list[dict]:
    """Input beats for a (br, blocks·bc) FP32 tile: scores as bit patterns plus framing."""
    bits = FP32.encode(np.asarray(scores, dtype=np.float32).astype(np.float64))
    beats = []
    for j, r, b in _order(shape):
        col = j * shape.bc + b * shape.lanes
        beats.append({"scores": [int(v) for v in bits[r, col:col + shape.lanes]], "row": r,
                      "first_block": int(j == 0), "last_block": int(j == shape.blocks - 1)})
    return beats


def run_golden(scores, shape: TileShape, cfg: BapsConfig) -> BapsResult:
    return baps_softmax(np.asarray(scores, dtype=np.float32), cfg)


def expected_code_beats(result: BapsResult, shape: TileShape) -> list[dict]:
    """The ``Rescale`` output beats (x codes and side band) the golden model implies."""
    out = []
    for j, r, b in _order(shape):
        col = j * shape.bc + b * shape.lanes
        out.append({"codes": [int(v) for v in result.x[r, col:col + shape.lanes]], "row": r,
                    "shift": int(result.shift[r, j]), "first_block": int(j == 0),
                    "last_block": int(j == shape.blocks - 1), "first_beat": int(b == 0),
                    "last_beat": int(b == shape.beats_per_row - 1)})
    return out


def expected_prob_beats(result: BapsResult, shape: TileShape) -> list[dict]:
    """The ``SoftmaxLanes`` output beats: P codes, framing, and l (FP32) at each row's end."""
    out = []
    for j, r, b in _order(shape):
        col = j * shape.bc + b * shape.lanes
        end = j == shape.blocks - 1 and b == shape.beats_per_row - 1
        out.append({"p": [int(v) for v in result.p[r, col:col + shape.lanes]], "row": r,
                    "first_block": int(j == 0), "last_block": int(j == shape.blocks - 1),
                    "last_beat": int(b == shape.beats_per_row - 1), "end_of_row": int(end),
                    "l": int(result.l_fp32[r]) if end else 0})
    return out
