"""The tile every softmax datapath works on, as data: ``br`` query rows, key blocks of ``bc``
scores, ``lanes`` scores per beat (bc = k·lanes); the limits of these three knobs and the input
check of every datapath model."""

from __future__ import annotations

import numpy as np

from .params import IntParam

__all__ = ["BR", "BC", "LANES", "check_tile", "check_tile_params", "tile_scores_array"]

BR = IntParam("br", 1, 4096, "query rows per tile", 4)
BC = IntParam("bc", 1, 4096, "keys per block", 64)
LANES = IntParam("lanes", 1, 256, "scores per beat", 8)


def check_tile(bc: int, lanes: int) -> None:
    """``ValueError`` unless ``bc`` is a multiple of ``lanes`` (both already checked)."""
    if bc % lanes:
        raise ValueError(f"bc={bc} is not a multiple of lanes={lanes}; allowed: bc = k·lanes")


def tile_scores_array(scores, bc: int) -> np.ndarray:
    """``scores`` as a 2-D array (rows × keys) whose key count is a positive multiple of ``bc``
    (``ValueError`` naming the shape or count otherwise): the input check of every datapath
    model."""
    t = np.asarray(scores)
    if t.ndim != 2:
        raise ValueError(f"scores must be 2-D (rows, keys), got shape {t.shape}")
    if t.shape[1] == 0 or t.shape[1] % bc:
        raise ValueError(f"key count {t.shape[1]} is not a positive multiple of bc={bc}")
    return t


def check_tile_params(*, br, bc, lanes) -> None:
    """``ValueError`` naming the first bad tile parameter and what is allowed."""
    for param, value in ((BR, br), (BC, bc), (LANES, lanes)):
        param.check(value)
    check_tile(bc, lanes)
