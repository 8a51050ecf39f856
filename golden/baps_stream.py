"""Tile streams of the BAPS datapath: the beats a testbench drives and the beats the golden model
expects, in the block-major order of ``docs/spec/baps.md``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .baps import BapsConfig, BapsResult, baps_softmax
from .formats import FP32, get_format

__all__ = ["TileShape", "score_beats", "run_golden", "expected_code_beats", "expected_prob_beats",
           "TILE_CASES", "tile_scores", "spectrum_blocks", "tiles_from_beats",
           "expected_norm_beats", "code_spectrum_tile"]


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


TILE_CASES = ("narrow", "medium", "wide", "far_positive", "far_negative", "corners", "edges",
              "magnitudes", "spectrum")

_MAGNITUDES = (2.0 ** -149, 2.0 ** -126, 2.0 ** -64, 2.0 ** -16, 1.0, 2.0 ** 16, 2.0 ** 33,
               2.0 ** 34, 2.0 ** 34 + 2.0 ** 11, 2.0 ** 64, 2.0 ** 100, 2.0 ** 126,
               float(np.finfo(np.float32).max))
"""Block maxima of the ``magnitudes`` case: the whole finite FP32 range, subnormal to largest."""
_SHORTFALLS = (0.0, 2.0 ** -23, 2.0 ** -12, 2.0 ** -4, 0.5, 1.0)


def _spectrum(score_format: str) -> np.ndarray:
    """The finite negative values of the score code (HiF8: 126; u4.4: 254)."""
    values = np.unique(get_format(score_format).all_values)
    return values[np.isfinite(values) & (values < 0)]


def spectrum_blocks(br: int, bc: int, lanes: int, score_format: str = "hif8") -> int:
    """Blocks a ``spectrum`` tile needs for each lane to see every value at least once."""
    per_block = br * bc // lanes                        # cells of one lane in one block
    return max(1, -(-(len(_spectrum(score_format)) + br) // per_block))


def tile_scores(case: str, shape: TileShape, seed: int = 1,
                score_format: str = "hif8") -> np.ndarray:
    """A seeded (br, blocks·bc) FP32 tile: Gaussian scores of a named width, far from zero, or
    the named corner cases (all-equal row, one dominant score, fully masked row, NaN, +Inf, a
    sink, the double-rounding case of ``baps.md``), one per row, cycling, or the named edges,
    one per row, cycling (each is a bug that random tiles miss):

    0. a −1e5 mask value among ordinary scores (x = −Inf after |t − m| ≥ 2^16: P = 0, not 1);
    1. a first block far below the running max's minimum (−40000 < −32768 for m_width 16), then
       scores near −32766: the saturated m must not wrap positive;
    2. one score at 10, the rest at −70000: |t − m| ≥ 2^16 in every block;
    3. a block whose max is the tiny positive 2^−30: ceil gives 1, not 0;
    4. sixteen scores at 0 and one at −20, the rest masked: l = 16 + 2^−20, an exact FP32 tie
       (RNE keeps 16).

    ``magnitudes``: block maxima over the whole finite FP32 range (``_MAGNITUDES``: 2^−149 to the
    largest), positive rows and negative rows alternating, each score the block's extreme shrunk
    by a seeded fraction (0, 2^−23, 2^−12, 2^−4, 1/2 or all of it); from the second block on, every third row opens
    its block with the running max so far, so keys equal the running max exactly and a repeated
    max comes back (t − m = 0 and α = 1 at any magnitude: once wrong from 2^34 up).

    ``spectrum``: every finite negative value v of ``score_format`` as x exactly, t = 1 + v in
    FP32 (one 1.0 per row sets m = 1), each lane cycling through all of them (126 for HiF8) in a
    seeded order: with ``spectrum_blocks`` blocks, every lane's EXP2 sees every negative code
    and every lane of Rescale rounds in every binade (HiF8: 2^−22 … 2^15; the coverage report
    found them unreached)."""
    if case not in TILE_CASES:
        raise ValueError(f"tile case {case!r} is not allowed; allowed: {', '.join(TILE_CASES)}")
    rng = np.random.default_rng([seed, TILE_CASES.index(case)])
    n = shape.bc * shape.blocks
    sigma = {"narrow": 0.5, "medium": 2.0, "wide": 8.0}.get(case, 2.0)
    t = rng.normal(0, sigma, (shape.br, n))
    if case == "far_positive":
        t += 2.0 ** 14
    elif case == "far_negative":
        t -= 2.0 ** 14
    elif case == "edges":
        for r in range(shape.br):
            kind = r % 5
            if kind == 0:
                t[r, n // 3] = -1e5
            elif kind == 1:
                t[r] = -32766.0 + rng.normal(0, 1, n)
                t[r, :shape.bc] = -40000.0
            elif kind == 2:
                t[r] = -70000.0
                t[r, n - 1] = 10.0
            elif kind == 3:
                t[r] = -rng.uniform(0.5, 4.0, n)
                t[r, 0] = 2.0 ** -30
            else:
                t[r] = -np.inf
                t[r, :min(16, n)] = 0.0
                t[r, min(16, n - 1)] = -20.0
    elif case == "magnitudes":
        start = int(rng.integers(len(_MAGNITUDES)))
        for r in range(shape.br):
            sign = -1.0 if r % 2 else 1.0
            for j in range(shape.blocks):
                cols = slice(j * shape.bc, (j + 1) * shape.bc)
                peak = _MAGNITUDES[(start + r * shape.blocks + j) % len(_MAGNITUDES)]
                t[r, cols] = sign * peak * (1 - rng.choice(_SHORTFALLS, shape.bc))
                if r % 3 == 0 and j > 0:
                    t[r, j * shape.bc] = t[r, :j * shape.bc].astype(np.float32).max()
    elif case == "spectrum":
        spectrum = _spectrum(score_format)
        values = spectrum[rng.permutation(len(spectrum))]
        for lane in range(shape.lanes):
            cells = [(r, c) for r in range(shape.br) for c in range(lane, n, shape.lanes)
                     if c != r % n]
            for k, (r, c) in enumerate(cells):
                t[r, c] = 1.0 + values[k % len(values)]
        t[np.arange(shape.br), np.arange(shape.br) % n] = 1.0
    elif case == "corners":
        for r in range(shape.br):
            kind = r % 7
            if kind == 0:
                t[r] = 2.3                                  # all equal
            elif kind == 1:
                t[r] = rng.normal(0, 1, n)
                t[r, n // 2] = 60.0                         # one dominant score, mid-row
            elif kind == 2:
                t[r] = -np.inf                              # fully masked
            elif kind == 3:
                t[r, 1] = np.nan
            elif kind == 4:
                t[r, -1] = np.inf
            elif kind == 5:
                t[r, :4] += 9.0                             # a sink in the first block
            else:
                t[r, 0], t[r, 1] = 2.0 ** -60, 17.5         # t − m = −18 + 2^-60: one rounding
    return t.astype(np.float32)


def tiles_from_beats(beats: list[dict], br: int, bc: int, lanes: int) -> list[np.ndarray]:
    """The FP32 tiles (br × blocks·bc) that a stream of ``score_beats`` carries, in order;
    ``ValueError`` names the first beat whose framing does not fit."""
    per_row = bc // lanes
    if len(beats) % per_row:
        raise ValueError(f"{len(beats)} beats are not whole rows of {per_row} beats")
    tiles, chunks = [], []
    for k in range(0, len(beats), per_row):
        chunks.append(beats[k:k + per_row])
        head = chunks[-1][0]
        j, r = divmod(len(chunks) - 1, br)
        if head["row"] != r or bool(head["first_block"]) != (j == 0):
            raise ValueError(f"beat {k}: row {head['row']}, first_block {head['first_block']}; "
                             f"the stream order expects row {r}, first_block {int(j == 0)}")
        if head["last_block"] and r == br - 1:
            t = np.empty((br, (j + 1) * bc), dtype=np.float32)
            for idx, chunk in enumerate(chunks):
                jj, rr = divmod(idx, br)
                bits = [s for b in chunk for s in b["scores"]]
                t[rr, jj * bc:(jj + 1) * bc] = FP32.decode(np.array(bits, dtype=np.int64))
            tiles.append(t)
            chunks = []
    if chunks:
        raise ValueError(f"the stream ends inside a tile ({len(chunks)} row blocks left over)")
    return tiles


def expected_norm_beats(p: np.ndarray, shape: TileShape) -> list[dict]:
    """The output beats of a row-normalizing datapath (Softermax, HCCS): the P codes ``p``
    (br × blocks·bc) in the input's block-major order, with its framing."""
    out = []
    for j, r, b in _order(shape):
        col = j * shape.bc + b * shape.lanes
        last = b == shape.beats_per_row - 1
        out.append({"p": [int(v) for v in p[r, col:col + shape.lanes]], "row": r,
                    "first_block": int(j == 0), "last_block": int(j == shape.blocks - 1),
                    "last_beat": int(last), "end_of_row": int(last and j == shape.blocks - 1)})
    return out


def code_spectrum_tile(shape: TileShape, frac_bits: int, seed: int = 1) -> np.ndarray:
    """A (br, blocks·bc) FP32 tile whose scores are exactly the int8 codes c·2^−frac_bits, each
    lane cycling through all 255 codes −127..127 in a seeded order (and −Inf: the mask code),
    the row's first key at the largest code so that every distance to the max occurs."""
    rng = np.random.default_rng([seed, 8])
    values = np.concatenate([np.arange(-127, 128) * 2.0 ** -frac_bits, [-np.inf]])
    values = values[rng.permutation(len(values))]
    n = shape.bc * shape.blocks
    t = np.empty((shape.br, n))
    for lane in range(shape.lanes):
        cells = [(r, c) for r in range(shape.br) for c in range(lane, n, shape.lanes)]
        for k, (r, c) in enumerate(cells):
            t[r, c] = values[(k + lane) % len(values)]
    t[:, 0] = 127 * 2.0 ** -frac_bits
    return t.astype(np.float32)
