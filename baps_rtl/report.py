"""The main job (``baps-rtl report``), printing each stage's wall time.

Default (``make report``): generate every registered design, regress each on Verilator over the
configurations that cover its parameter classes (``registry.covering_configs``), synthesize the
EXP2 units and the BAPS datapaths on the generic library against the FP16 baselines, and end with
a one-screen summary of the headline figures (also ``summary.md`` and ``headline.json``).

``--all`` (``make report-all``, CI): every registered configuration on Verilator (the test suite
runs every parameter class on Icarus too; ``--sim icarus`` adds it here), the link bandwidth
bench, every design's area on the generic library with each netlist simulated (units on every
input, datapaths on a realistic stream: ``_gate_level_stream``), and the quick accuracy report
without the Transformer (every scheme on synthetic tiles and in the sink sweep). Line and toggle
coverage of the regression: ``baps-rtl coverage``.

Both write to the same folder by default (``build/report``): a simulation or synthesis whose
folder already holds a run of the same inputs is reused (``designs.files``), so
``make report-all`` after ``make report`` runs only what the first did not.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from .designs.files import write_text

__all__ = ["main_job", "headline", "headline_markdown", "with_block", "block_text", "publish",
           "README_BEGIN"]


class _Stages:
    def __init__(self):
        self.t0 = self.t = time.monotonic()

    def start(self, title: str):
        print(f"== {title}", flush=True)
        self.t = time.monotonic()

    def done(self):
        now = time.monotonic()
        print(f"   (stage {now - self.t:.1f} s, total {now - self.t0:.1f} s)", flush=True)

    @property
    def total(self) -> float:
        return time.monotonic() - self.t0


def _markers(block: str) -> tuple[str, str]:
    return f"<!-- {block}: begin (make results) -->", f"<!-- {block}: end -->"


README_BEGIN = _markers("headline")[0]


def main_job(output: Path, sims: list[str] | None, jobs: int, full: bool = False,
             results_dir: Path | None = None, readme: Path | None = None) -> int:
    from .designs import DESIGNS, all_configs
    from .designs.registry import covering_configs
    from .sim.regress import regress

    output = Path(output)
    sims = sims or ["verilator"]
    stages = _Stages()
    failed: list[str] = []
    every = all_configs(which="regress")
    configs = every if full else covering_configs(every)

    stages.start(f"generate every design ({', '.join(DESIGNS)}) -> {output / 'rtl'}, and regress "
                 f"{len(configs)} of its {len(every)} registered configurations"
                 + ("" if full else " (every parameter class of each design)")
                 + f" on {', '.join(sims)}: EXP2 units on every input code, datapaths on whole "
                 "tiles (every named case), random idles and backpressure")
    results = regress(configs, sims, output / "regress", seed=1, jobs=jobs,
                      rtl_dir=output / "rtl", log=lambda line: None)
    failed += [f"{r.module} ({r.sim})" for r in results if not r.passed]
    regression = []
    for sim in sims:
        rs = [r for r in results if r.sim == sim]
        regression.append({"sim": sim, "configurations": len(rs),
                           "passed": sum(r.passed for r in rs),
                           "vectors": sum(r.checked for r in rs),
                           "errors": sum(r.mismatches + r.missing + r.extra for r in rs)})
        reused = sum(r.reused for r in rs)
        print(f"  {sim}: {regression[-1]['passed']}/{len(rs)} configurations passed, "
              f"{regression[-1]['vectors']:,} vectors checked, {regression[-1]['errors']} errors"
              + (f" ({reused} passing runs of the same Verilog and vectors reused from "
                 f"{output / 'regress'})" if reused else ""))
    stages.done()

    if full:
        from .sim.bench import bench_link, print_bench
        stages.start("link bandwidth, measured in simulation (baps-rtl bench link)")
        print_bench(bench_link(64, 2000, 0.0))
        stages.done()

    from .synth.flow import area_flow
    area_configs = [c for c in all_configs(which="area") if full or _headline_row(c)]
    stages.start("area: generic library, " + ("every design's area configuration and the FP16 "
                 "baselines, each netlist simulated on the golden vectors (OSU018 with timing: "
                 "baps-rtl area --lib osu018, baps-rtl compare)" if full else
                 "the EXP2 units and the BAPS datapaths against the FP16 baselines (the other "
                 "schemes: make report-all, baps-rtl compare, baps-rtl codes)"))
    run = area_flow(area_configs, "generic", output / "area", jobs=jobs, check_netlists=full,
                    netlist_inputs=_gate_level_stream)
    if run.note:
        print(f"  {run.note}")
    if full:
        print(run.paths["md"].read_text(), end="")
    else:
        print(f"  {len(run.results)} rows: {run.paths['md']}")
    for problem in run.bound_problems:
        print(f"  area bound: {problem}")
    failed += ["area"] * (run.netlist_failures > 0 or bool(run.bound_problems))
    area = run.results
    stages.done()

    if full:
        from .accuracy.report import accuracy_run
        stages.start("accuracy: every scheme on synthetic tiles and in the sink sweep (quick; "
                     "the Transformer: baps-rtl accuracy)")
        result, paths = accuracy_run(output / "accuracy", quick=True, model=False,
                                     progress=False)
        print(f"  {len(result['sink'])} sink-sweep cells; tables: {paths['md']}")
        stages.done()

    data = headline(area, regression, len(configs))
    output.mkdir(parents=True, exist_ok=True)
    write_text(output / "headline.json", json.dumps(data, indent=2) + "\n")
    text = headline_markdown(data)
    write_text(output / "summary.md", text)
    print(f"== summary ({output / 'summary.md'})")
    print(text, end="")
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        write_text(results_dir / "headline.json", json.dumps(data, indent=2) + "\n")
        write_text(results_dir / "headline.md", f"# Headline figures (`make results`)\n\n{text}")
        print(f"   (written: {results_dir / 'headline.md'}, {results_dir / 'headline.json'})")
    if readme is not None:
        from .designs.registry import designs_markdown
        updated = with_block(readme.read_text(), "headline", text)
        write_text(readme, with_block(updated, "designs", designs_markdown()))
        print(f"   (the designs and headline tables of {readme} rewritten)")
    print(f"== {'FAILED: ' + ', '.join(failed) if failed else 'all stages passed'} in "
          f"{stages.total:.0f} s; outputs in {output}")
    return 1 if failed else 0


def _gate_level_stream(config):
    """The stream a netlist is simulated on: an EXP2 unit's every input code (None: the golden
    stimulus); a datapath's ``GATE_LEVEL_BLOCKS`` key blocks of the realistic ``medium`` tile
    case (its RTL runs every named case in the regression; a large netlist takes minutes per
    hundred beats on Icarus)."""
    role = config.design.datapath
    return None if role is None else role.power_stimulus(config.params, "medium",
                                                          GATE_LEVEL_BLOCKS)


GATE_LEVEL_BLOCKS = 4


def _headline_row(config) -> bool:
    """An area row of the default main job: an EXP2 unit, or a BAPS or baseline datapath."""
    role = config.design.datapath
    return role is None or role.family(config.params) != "other scheme"


def headline(area_rows, regression: list[dict], generated: int) -> dict:
    """The headline figures from the area rows (generic library) and the regression: every EXP2
    unit and datapath's area against its FP16 baseline, and each datapath's link bits."""
    from importlib.metadata import version
    from .designs import DESIGNS, Config, get_design
    from .designs.registry import datapaths
    tops = {r.module: r for r in area_rows if r.block is None}
    units, paths = [], []
    fp16_unit = min((r for r in tops.values() if r.baseline), key=lambda r: r.area_ge)
    for r in tops.values():
        design = get_design(r.design)
        if design.datapath is None:
            units.append({"module": r.module, "role": r.role, "ge": round(r.area_ge, 1),
                          "logic_ge": round(r.combinational_ge, 1),
                          "vs_fp16": round(r.area_ge / fp16_unit.area_ge, 3)})
    rows = [(d, r, Config.of(d, r.params).params) for d in datapaths()
            for r in tops.values() if r.design == d.name]
    fp16_path = next(r for d, r, p in rows if d.datapath.family(p) == "baseline")
    for d, r, p in rows:
        paths.append({"module": r.module, "label": d.datapath.label(p),
                      "shape": {k: v for k, v in r.params.items()
                                if k in ("br", "bc", "lanes", "link_depth")},
                      "link_bits": d.datapath.link_bits(p), "ge": round(r.area_ge, 1),
                      "logic_ge": round(r.combinational_ge, 1),
                      "vs_fp16": round(r.area_ge / fp16_path.area_ge, 3)})
    return {"version": version("baps-rtl"), "commit": _commit(), "library": "generic",
            "designs": len(DESIGNS), "generated": generated,
            "regression": regression, "units": units, "datapaths": paths,
            "yosys": next(iter(tops.values())).yosys.split(" (")[0]}


def publish(results_dir: Path, command: str, md: Path) -> Path:
    """Copy the table ``md`` to ``results_dir/<its name>``, headed by the command, the version
    and the commit it was made from; returns the written path."""
    from datetime import date
    from importlib.metadata import version
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / Path(md).name
    write_text(out, f"<!-- written by `{command}`: baps-rtl {version('baps-rtl')}, commit "
                    f"{_commit()}, {date.today().isoformat()} -->\n\n{Path(md).read_text()}")
    return out


def _commit() -> str:
    import subprocess
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=Path(__file__).resolve().parent, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10,
                               cwd=Path(__file__).resolve().parent).stdout.strip()
        return out.stdout.strip() + ("+changes" if dirty else "") if out.returncode == 0 \
            else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def headline_markdown(data: dict) -> str:
    lines = [f"baps-rtl {data['version']} (commit {data['commit']}), {data['yosys']}, "
             f"{data['library']} library (GE: NAND2 equivalents, untimed area script).", ""]
    for r in data["regression"]:
        lines.append(f"- Regression on {r['sim']}: {r['passed']}/{r['configurations']} "
                     f"configurations, {r['vectors']:,} vectors bit-exact, {r['errors']} errors.")
    lines += ["", "| EXP2 unit | role | GE | logic GE | × the smaller FP16 EXP2 |",
              "|---|---|---|---|---|"]
    lines += [f"| {u['module']} | {u['role']} | {u['ge']:,.0f} | {u['logic_ge']:,.0f} | "
              f"{u['vs_fp16']:.3f} |" for u in data["units"]]
    lines += ["", "| datapath | Br, Bc, lanes, link FIFO | link bits per score | GE | logic GE "
              "| × FP16 datapath |", "|---|---|---|---|---|---|"]
    lines += [f"| {p['label']} | {p['shape']['br']}, {p['shape']['bc']}, {p['shape']['lanes']}, "
              f"{p['shape']['link_depth']} | {p['link_bits']} | {p['ge']:,.0f} | "
              f"{p['logic_ge']:,.0f} | {p['vs_fp16']:.3f} |" for p in data["datapaths"]]
    return "\n".join(lines) + "\n"


def _block_span(readme: str, block: str) -> tuple[int, int]:
    """(the index just after ``block``'s begin marker, the index of its end marker);
    ``ValueError`` when they are missing."""
    begin, end = _markers(block)
    start, stop = readme.find(begin), readme.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"the README has no {begin} … {end} block")
    return start + len(begin), stop


def with_block(readme: str, block: str, text: str) -> str:
    """``readme`` with the text between the markers of ``block`` (``<!-- block: begin … -->``,
    ``<!-- block: end -->``) replaced by ``text`` (``ValueError`` when they are missing)."""
    start, stop = _block_span(readme, block)
    return readme[:start] + "\n" + text + readme[stop:]


def block_text(readme: str, block: str) -> str:
    """The text between the markers of ``block`` (``ValueError`` when they are missing)."""
    start, stop = _block_span(readme, block)
    return readme[start + 1:stop]
