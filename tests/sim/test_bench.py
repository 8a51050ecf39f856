"""``baps-rtl bench link``: scores per cycle of every code width over one link, measured."""

import pytest

from baps_rtl.designs.errors import UsageError
from baps_rtl.sim.bench import CODE_WIDTHS, bench_link, link_bandwidth


def test_every_code_width_is_measured_on_the_same_link():
    assert set(CODE_WIDTHS) == {16, 8, 7, 6, 5}
    assert "hif8" in CODE_WIDTHS[8] and "u4.3/e2" in CODE_WIDTHS[6]
    r = link_bandwidth(width=64, beats=40, stall=0.0)["codes"]
    for bits, row in r.items():
        assert (row["codes_per_beat"], row["padding_bits"]) == (64 // bits, 64 % bits)
        assert row["beats"] == 40 and row["scores"] == 40 * (64 // bits)
        # one beat per cycle for every width: the ratio is the codes per beat over FP16's
        assert row["ratio_to_fp16"] == pytest.approx((64 // bits) / 4)
    assert r[6]["ratio_to_fp16"] == 2.5          # 10 six-bit codes against 4 FP16 codes
    assert link_bandwidth(width=96, beats=40)["codes"][6]["ratio_to_fp16"] == pytest.approx(16 / 6)


def test_a_stalling_receiver_lowers_every_width_alike():
    r = link_bandwidth(width=64, beats=200, stall=0.5)["codes"]
    for bits, row in r.items():
        assert row["scores_per_cycle"] < 0.75 * (64 // bits)
    assert r[16]["ratio_to_fp16"] == 1.0


def test_bench_feeds_a_datapath_per_score_code_width():
    b = bench_link(64, 20, 0.0)
    lanes = {dp["score_format"]: (dp["lanes"], dp["link_width"]) for dp in b["datapaths"]}
    assert sorted(l for l, _ in lanes.values()) == [8, 9, 10, 12]
    assert {w for _, w in lanes.values()} == {64}
    for dp in b["datapaths"]:     # 4 blocks of 8 beats per row: close to one beat per cycle
        assert 0.9 * dp["lanes"] < dp["scores_per_cycle"] <= dp["lanes"]


@pytest.mark.parametrize("args,message", [((8, 10, 0.0), "--width 8: allowed: 16..1024"),
                                          ((64, 0, 0.0), "--beats 0: allowed"),
                                          ((64, 10, 1.0), "--stall 1.0: allowed")])
def test_bad_bench_arguments_are_named(args, message):
    with pytest.raises(UsageError, match=message):
        bench_link(*args)
