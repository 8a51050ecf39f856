"""Shared fixtures: simulator availability (Icarus is required when BAPS_REQUIRE_ICARUS=1, as in CI)."""

import os

import pytest

from baps_rtl.sim.runner import simulator_available


def require_simulator(sim: str):
    if simulator_available(sim):
        return
    if sim == "icarus" and os.environ.get("BAPS_REQUIRE_ICARUS") == "1":
        pytest.fail("BAPS_REQUIRE_ICARUS=1 but iverilog is not installed (make system-extras)")
    pytest.skip(f"{sim} is not installed")
