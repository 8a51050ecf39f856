"""The named tile cases: the ``spectrum`` tile puts every negative HiF8 code in every lane."""

import numpy as np
import pytest

from baps_rtl.golden.baps import BapsConfig, baps_softmax
from baps_rtl.golden.baps_stream import TileShape, spectrum_blocks, tile_scores
from baps_rtl.golden.formats import HIF8

NEGATIVE_FINITE = {c for c in range(0x81, 0x100) if np.isfinite(HIF8.decode(np.array([c]))[0])}


@pytest.mark.parametrize("br,bc,lanes", [(3, 16, 4), (7, 8, 8), (4, 64, 16), (1, 1, 1), (2, 6, 3)])
def test_spectrum_reaches_every_negative_code_in_every_lane(br, bc, lanes):
    shape = TileShape(br, bc, lanes, spectrum_blocks(br, bc, lanes))
    x = baps_softmax(tile_scores("spectrum", shape, seed=5), BapsConfig(bc=bc)).x
    for lane in range(lanes):
        missing = NEGATIVE_FINITE - set(int(c) for c in x[:, lane::lanes].ravel())
        assert not missing, f"lane {lane} misses {sorted(hex(c) for c in missing)[:5]}"


def test_fewer_blocks_leave_codes_out():
    """The check above can fail: one block of a 4-lane tile cannot hold 126 codes per lane."""
    shape = TileShape(3, 16, 4, 1)
    x = baps_softmax(tile_scores("spectrum", shape, seed=5), BapsConfig(bc=16)).x
    assert NEGATIVE_FINITE - set(int(c) for c in x[:, 0::4].ravel())
