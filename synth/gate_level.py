"""Gate-level check: the synthesized netlist, with the library's cell models, through the same
exhaustive cocotb stream test as the RTL, so a reported area belongs to a correct circuit."""

from __future__ import annotations

from pathlib import Path

from ..sim.runner import RunResult, run_config, simulator_available
from ..designs.registry import Config
from .stats import AreaResult
from .libraries import CellLibrary

__all__ = ["gate_level_simulator", "check_netlist"]


def gate_level_simulator(lib: CellLibrary) -> str | None:
    """The first installed simulator that runs ``lib``'s cell models (Icarus first: it builds
    large netlists in a second, where Verilator compiles for minutes)."""
    for sim in sorted(lib.gate_simulators, key=lambda s: s != "icarus"):
        if simulator_available(sim):
            return sim
    return None


def check_netlist(config: Config, lib: CellLibrary, result: AreaResult, build_root: Path,
                  sim: str | None = None, models: Path | None = None,
                  inputs: list[int] | None = None) -> RunResult:
    """Simulate ``result.netlist`` with ``models`` (default: the library's cell models) on the
    design's golden stimulus, or on ``inputs``."""
    sim = sim or gate_level_simulator(lib)
    if sim is None:
        raise RuntimeError(f"no simulator for {lib.name} gate-level models; "
                           f"allowed: {', '.join(lib.gate_simulators)}")
    return run_config(config, sim, build_root, netlist=(models or lib.models, Path(result.netlist)),
                      variant=f"gl-{lib.name}", inputs=inputs)
