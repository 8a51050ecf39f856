"""The tile streams every datapath design shares: module names from the parameters, the stimulus of
whole tiles (every named case of ``golden.baps_stream``, as packed ``score_beat`` payloads in
stream order) and the expected output beats rebuilt from the input beats, so a vector file of any
tiles in this stream order can be checked."""

from __future__ import annotations

from dataclasses import fields

from ..golden.baps_stream import (TILE_CASES, TileShape, code_spectrum_tile, expected_prob_beats,
                                  score_beats, spectrum_blocks, tile_scores, tiles_from_beats)
from .beats import pack, unpack
from .registry import name_token

__all__ = ["TILE_BLOCKS", "FIXED_CASES", "module_name", "tile_stimulus", "tile_golden",
           "row_tile_stimulus", "row_tiles"]

TILE_BLOCKS = 4
FIXED_CASES = tuple(c for c in TILE_CASES if c != "spectrum") + ("codes",)
"""The cases of the int8-link datapaths: the named tiles but the score-code spectrum, and the int8
code spectrum."""


def module_name(prefix: str, p) -> str:
    """``prefix`` and every parameter that differs from its default (``baps_datapath_br3_…``)."""
    default = type(p)()
    parts = [f"{f.name}{name_token(getattr(p, f.name))}" for f in fields(p)
             if getattr(p, f.name) != getattr(default, f.name)]
    return "_".join([prefix, *parts])


def tile_stimulus(p, seed: int = 1, cases=TILE_CASES,
                  blocks: int = TILE_BLOCKS) -> list[int]:
    """Packed input beats of one tile per named case, in order (``blocks`` blocks each; the
    ``spectrum`` tile as many as it needs to reach every code in every lane)."""
    layout = p.layouts()[0]
    code = getattr(p, "score_format", "hif8")      # the spectrum of the link's score code
    beats = []
    for case in cases:
        n = max(blocks, spectrum_blocks(p.br, p.bc, p.lanes, code)) if case == "spectrum" \
            else blocks
        shape = TileShape(p.br, p.bc, p.lanes, n)
        beats += [pack(layout, b) for b in score_beats(tile_scores(case, shape, seed, code),
                                                       shape)]
    return beats


def tile_golden(p, inputs) -> list[int]:
    """Expected output beats for packed input beats (tiles rebuilt from the framing), from the
    parameters' bit-exact model (``p.softmax``)."""
    in_layout, out_layout = p.layouts()
    beats = [unpack(in_layout, int(v)) for v in inputs]
    out = []
    for t in tiles_from_beats(beats, p.br, p.bc, p.lanes):
        shape = TileShape(p.br, p.bc, p.lanes, t.shape[1] // p.bc)
        out += [pack(out_layout, b) for b in expected_prob_beats(p.softmax(t), shape)]
    return out


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
