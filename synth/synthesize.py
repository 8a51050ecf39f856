"""The synthesis run: generate a configuration's Verilog, synthesize it in its own process
(``yosys_flow``), time it with OpenSTA on OSU018, and read the statistics (``stats``)."""

from __future__ import annotations

import functools
from pathlib import Path

from ..designs.files import content_key, folder_lock, store_result, stored_result
from ..designs.generate import generate
from ..designs.registry import Config, all_configs
from ..designs.schedule import run_longest_first
from .libraries import CellLibrary
from .sta import critical_path_ns, sta_available
from .stats import AreaResult, SynthesisError, read_flat, read_hierarchy
from .user_rtl import UserDatapath, UserRtl
from .yosys_flow import run_in_subprocess, script

__all__ = ["synthesize", "synthesize_all", "with_baselines"]


def synthesize(config: Config | UserRtl, lib: CellLibrary, outdir: Path,
               period_ns: float | None = None) -> list[AreaResult]:
    """Synthesize one configuration (or a user's RTL) with ``lib`` into ``outdir/<module>``: one
    row, or for a hierarchical design one row per block and one for the top (``SynthesisError`` when the tool fails). Another
    process synthesizing the same module in ``outdir`` waits until this one is done.
    ``period_ns``: map for that clock period (``yosys_flow.script``; a library with timing)."""
    work = Path(outdir).resolve() / config.module_name
    with folder_lock(work):
        return _synthesize(config, lib, work, period_ns)


def _synthesize(config: Config, lib: CellLibrary, work: Path,
                period_ns: float | None) -> list[AreaResult]:
    user = isinstance(config, (UserRtl, UserDatapath))
    vpath = config.write_verilog(work) if user else generate(config, work)[0]
    flatten = user or not config.design.hierarchical     # a user's blocks are not ours to name
    commands = script(vpath, config.module_name, lib.liberty, work, flatten=flatten,
                      period_ns=period_ns, driver=lib.timing_driver)
    timed = lib.timed and sta_available()
    here = Path(__file__).resolve().parent
    key = content_key(vpath, Path(lib.liberty), commands, _tool_versions(timed),
                      f"driver {lib.timing_driver}" if period_ns else "",
                      here / "yosys_flow.py", here / "sta.py", here / "synthesize.py")
    stored = work / "synthesis-run.json"
    done = stored_result(stored, key)
    reused = done is not None and (work / "area.json").exists() and (work / "netlist.v").exists()
    if reused:
        delay = done["delay_ns"]                     # the folder holds this very synthesis
    else:
        stored.unlink(missing_ok=True)
        proc = run_in_subprocess(vpath, config.module_name, lib.liberty, work, flatten=flatten,
                                 period_ns=period_ns, driver=lib.timing_driver)
        if proc.returncode != 0 or not (work / "area.json").exists():
            raise SynthesisError(f"{config.module_name} failed to synthesize with {lib.name} "
                                 f"(exit {proc.returncode}); see {work / 'yosys.log'}")
        delay = None
        if timed:
            delay = critical_path_ns(work / "netlist.v", config.module_name, lib.liberty, work)
        store_result(stored, key, {"delay_ns": delay})
    rows = ([read_flat(config, lib, work, delay, commands)] if flatten
            else read_hierarchy(config, lib, work, delay, commands))
    for row in rows:
        row.period_target_ns = period_ns
        row.reused = reused
    return rows


@functools.cache
def _tool_versions(timed: bool) -> str:
    """pyosys's version (Yosys and ABC), and OpenSTA's when the run is timed (asked once per
    process)."""
    from importlib.metadata import version
    text = f"pyosys {version('pyosys')}"
    if timed:
        import subprocess
        text += " sta " + subprocess.run(["sta", "-version"], capture_output=True, text=True,
                                         input="").stdout.strip()
    return text


def with_baselines(configs: list[Config]) -> list[Config]:
    """The FP16 EXP2 baselines (each once) followed by ``configs``."""
    names = {c.module_name for c in configs}
    baselines = [c for c in all_configs(which="area") if c.design.baseline]
    return [c for c in baselines if c.module_name not in names] + list(configs)


def synthesize_all(configs: list[Config], lib: CellLibrary, outdir: Path,
                   jobs: int = 2) -> list[AreaResult]:
    """``configs`` plus the FP16 baselines, ``jobs`` at a time, in order."""
    rows = run_longest_first(with_baselines(configs), lambda c: synthesize(c, lib, outdir), jobs)
    return [r for config_rows in rows for r in config_rows]
