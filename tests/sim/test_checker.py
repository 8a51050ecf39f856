"""The cocotb checker's bookkeeping, without a simulator: mismatches, missing and extra outputs."""

import logging

from baps_rtl.golden.formats import FP16, HIF8
from baps_rtl.sim.tb_stream import Checker


def make(expected):
    return Checker(range(len(expected)), expected, HIF8, FP16, logging.getLogger("test"))


def test_all_match():
    c = make([1, 2, 3])
    for v in (1, 2, 3):
        c.check(v)
    assert (c.checked, c.mismatches, c.missing, c.extra) == (3, 0, 0, 0)


def test_mismatch_missing_and_extra_are_counted(caplog):
    c = make([0x3C00, 0x4000, 0x4400])
    with caplog.at_level(logging.ERROR):
        c.check(0x3C00)
        c.check(0x4001)
    assert (c.checked, c.mismatches, c.missing, c.extra) == (2, 1, 1, 0)
    assert "input 0x01 (2.384185791015625e-07) expected 0x4000 (2.0) actual 0x4001 (2.001953125)" \
        in caplog.text
    c.check(0x4400)
    c.check(0x4400)
    assert (c.missing, c.extra) == (0, 1)
