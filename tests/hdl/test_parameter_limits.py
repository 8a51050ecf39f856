"""Directed twins of the random-parameter tests: every registered datapath with each integer
parameter at both ends of its accepted range (the other parameters at a small tile), the
design's whole stimulus through the Amaranth simulator against its golden model. A bug that only
one random draw reaches would be lost by drawing again; these stay. The tile shape (br, bc,
lanes) and ``stages`` are left to the tests that sweep them."""

import pytest

from baps_rtl.designs import Config
from baps_rtl.designs.beats import pack
from baps_rtl.designs.errors import UsageError
from baps_rtl.designs.registry import datapaths
from baps_rtl.sim.amaranth_stream import run_stream

SHAPE = {"br": 2, "bc": 4, "lanes": 2}
SWEPT_ELSEWHERE = {"br", "bc", "lanes", "stages"}


def limit_configs() -> list:
    out = []
    for design in datapaths():
        for name, spec in design.params.SPEC.items():
            if name in SWEPT_ELSEWHERE or not hasattr(spec, "lo"):
                continue
            for value in sorted({spec.lo, spec.hi}):
                values = {**SHAPE, name: value}
                try:
                    config = Config.of(design, values)
                except UsageError:
                    continue        # a rule ties this end to another parameter (link_width)
                out.append(pytest.param(config, id=config.module_name))
    return out


LIMITS = limit_configs()


def test_every_datapath_has_its_limits_tested():
    assert {c.values[0].name for c in LIMITS} == {d.name for d in datapaths()}


@pytest.mark.slow
@pytest.mark.parametrize("config", LIMITS)
def test_every_parameter_at_both_ends_is_bit_exact(config):
    inputs = config.stimulus(1)
    # a deep link takes every input at once; HCCS then needs about six cycles a beat to finish
    run = run_stream(config.build(), inputs, seed=3, idle=0.15, stall=0.25,
                     drain=8 * len(inputs))
    assert [pack(config.params.layouts()[1], o) for o in run.outputs] == config.expected(inputs)
