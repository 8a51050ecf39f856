"""Verilator line and toggle coverage of the cocotb regression, traced back to the Amaranth source.

A Verilator build with ``--coverage-line --coverage-toggle`` writes a coverage file when its
simulation ends (``run_config(..., coverage=True)``). Its points:

- **line**: every statement block, case arm and if/else branch of the generated Verilog's
  processes (Verilator's ``line``, ``block`` and ``branch`` points), hit when the simulation
  executed it at least once;
- **toggle**: every bit of every signal, counted 0→1 and 1→0 separately; a bit is covered when it
  moved both ways.

The shipped Verilog carries no source attributes (they are absolute paths). The same design
generated with ``emit_src=True`` has exactly the same lines plus ``(* src = "file:line" *)``
attributes, so each uncovered Verilog line is traced to the Amaranth line that created the
signal it assigns or declares (``hdl/softmax_lanes.py:70``).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import verilog

from ..designs.registry import Config
from ..designs.files import write_text

__all__ = ["Point", "read_points", "merge_points", "source_map", "summarize", "table",
           "markdown", "coverage_run"]

_LINE_KINDS = ("line", "block", "branch")
_SRC = r'\(\* src = "([^"]*)" \*\)'
_OWN_LINE = re.compile(r"\s*" + _SRC)
_INLINE = re.compile(r" ?" + _SRC + r" ?")
_ESCAPE = re.compile(r"__0([0-9A-Fa-f]{2})")         # Verilator's mangling of _ $ . : in names
_ASSIGN = re.compile(r"^\s*(\\?\S+)\s*(?:\[[^\]]*\]\s*)?<?=")
_DECL = re.compile(r"^\s*(?:input|output|inout|wire|reg)\b[^;]*?(\\\S+|\w+)\s*(?:=[^;]*)?;")
_CONT_ASSIGN = re.compile(r"^\s*assign\s+(\\\S+|\w+)\s")
_CONDITION = re.compile(r"^\s*(?:if|else if)\s*\(\s*(\\\S+|\w+)\s*\)")
_CASE = re.compile(r"^\s*casez?\s*\((.*)\)\s*$")
_STARTUP = "$auto$verilog_backend"                    # Yosys's process start-up trigger


@dataclass(frozen=True)
class Point:
    """One coverage point: ``kind`` (line, block, branch or toggle), the Verilog ``line``,
    Verilator's ``comment`` (``case``, ``if``, ``exp2[3]:0->1`` …), how often it was hit."""
    kind: str
    line: int
    comment: str
    count: int

    @property
    def key(self) -> tuple:
        return self.kind, self.line, self.comment


def read_points(path: Path) -> list[Point]:
    """The points of one Verilator coverage file (``# SystemC::Coverage-3``: one ``C '<keys>'
    <count>`` line per point, keys as \\x01 name \\x02 value pairs)."""
    points = []
    with open(path, encoding="utf-8") as f:
        header = f.readline()
        if not header.startswith("# SystemC::Coverage"):
            raise ValueError(f"{path}: not a Verilator coverage file (first line {header!r})")
        for number, text in enumerate(f, start=2):
            if not text.startswith("C '"):
                continue
            body, _, count = text.rstrip("\n").rpartition("' ")
            try:
                keys = dict(item.split("\x02", 1) for item in body[3:].split("\x01") if item)
                points.append(Point(keys["t"], int(keys["l"]), _ESCAPE.sub(
                    lambda m: chr(int(m.group(1), 16)), keys.get("o", "")), int(count)))
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{path}:{number}: malformed coverage point ({exc})") from None
    return points


def merge_points(runs: list[list[Point]]) -> list[Point]:
    """Several runs of one build (same Verilog): counts added point by point."""
    total: dict[tuple, int] = defaultdict(int)
    for points in runs:
        for p in points:
            total[p.key] += p.count
    return [Point(*key, count) for key, count in sorted(total.items())]


def _relative(src: str) -> str:
    """``/…/hdl/link.py:59`` → ``hdl/link.py:59``; Amaranth's own files as ``amaranth/…``; of
    several joined sources (``a|b``) the first."""
    from .. import designs, golden, hdl
    path, _, line = src.split("|")[0].rpartition(":")
    for package in (hdl, golden, designs):
        folder = Path(package.__file__).parent
        if Path(path).parent == folder:
            return f"{folder.name}/{Path(path).name}:{line}"
    if "site-packages/" in path:
        return f"{path.split('site-packages/', 1)[1]}:{line}"
    return src


def source_map(config: Config, shipped: str) -> dict[int, str]:
    """Verilog line of ``shipped`` (the design's Verilog without attributes) → the Amaranth source
    line that made it: the attribute on the line itself, or the one just above it. Raises if the
    annotated Verilog is not the shipped one plus attributes."""
    annotated = verilog.convert(config.build(), name=config.module_name, emit_src=True)
    kept, sources, pending = [], {}, None
    for text in annotated.splitlines():
        own = _OWN_LINE.fullmatch(text)
        if own:
            pending = pending or own.group(1)
            continue
        inline = _INLINE.search(text)
        kept.append(_INLINE.sub(lambda m: " " if m.group(0).startswith(" ")
                                and m.group(0).endswith(" ") else "", text))
        src = pending or (inline.group(1) if inline else None)
        if src:
            sources[len(kept)] = _relative(src)
        pending = None
    if kept != shipped.splitlines():
        raise ValueError(f"{config.module_name}: the Verilog generated with source attributes "
                         "differs from the shipped one beyond its attributes")
    return sources


def _module_of(lines: list[str]) -> list[int]:
    """For each Verilog line (index 0 = line 1), the index of the module it belongs to."""
    out, current = [], 0
    for text in lines:
        if text.startswith("module "):
            current += 1
        out.append(current)
    return out


def _signal_sources(lines: list[str], sources: dict[int, str], module: list[int]) -> dict:
    """(module, signal) → the Amaranth line of its declaration, else of its ``assign``."""
    found = {}
    for number, text in enumerate(lines, start=1):
        if number not in sources:
            continue
        m = _DECL.match(text) or _CONT_ASSIGN.match(text)
        if m:
            found.setdefault((module[number - 1], m.group(1)), sources[number])
    return found


def _origin(number: int, lines: list[str], sources: dict[int, str], module: list[int],
            signals: dict) -> str:
    """The Amaranth line behind Verilog line ``number``: its own attribute, else that of the
    signal assigned on it or on the next line (a case arm's statement), else of the signal it
    tests (``if (\\$3 )``)."""
    if number in sources:
        return sources[number]
    scope = module[number - 1]
    for text in lines[number - 1:number + 1]:
        for pattern in (_ASSIGN, _CONDITION):
            m = pattern.match(text)
            if m and (scope, m.group(1)) in signals:
                return signals[(scope, m.group(1))]
    return ""


def _case_selector(lines: list[str], number: int) -> str:
    """The ``casez (…)`` a case arm on line ``number`` belongs to ("" when not in a case)."""
    for text in reversed(lines[max(0, number - 5000):number - 1]):
        m = _CASE.match(text)
        if m:
            return m.group(1)
        if text.lstrip().startswith("always"):
            return ""
    return ""


def summarize(config: Config, points: list[Point], shipped: str) -> dict:
    """Line and toggle coverage of one design: totals, every unreached line point and every
    signal with bits that never moved both ways (each with its Amaranth source line), and both
    grouped by source line. Excluded: the start-up trigger Yosys adds to each process
    (``if ($auto$verilog_backend…) begin end``, constant by construction) and the toggles of
    Yosys's unnamed temporaries (``$12``: pieces of expressions, many bits constant by
    construction); every signal named in Amaranth, ports included, is counted."""
    lines = shipped.splitlines()
    sources = source_map(config, shipped)
    module = _module_of(lines)
    signals = _signal_sources(lines, sources, module)

    def statement(number: int) -> str:
        return lines[number - 1].strip() if 0 < number <= len(lines) else ""

    line_points = [p for p in points if p.kind in _LINE_KINDS
                   and _STARTUP not in statement(p.line)]
    unreached = []
    for p in sorted((p for p in line_points if p.count == 0), key=lambda p: p.line):
        text = statement(p.line)
        arm = text.endswith(":")
        if arm:                                   # a case arm: its statement too
            text = f"{text} {statement(p.line + 1)}"
        unreached.append({"verilog_line": p.line, "kind": p.kind, "statement": text,
                          "case": _case_selector(lines, p.line) if arm else "",
                          "source": _origin(p.line, lines, sources, module, signals)})

    bits: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for p in points:
        if p.kind == "toggle" and not p.comment.startswith("$"):
            bit, _, direction = p.comment.rpartition(":")
            bits[(p.line, bit)][direction] = p.count
    untoggled: dict[tuple[int, str], dict] = {}
    for (number, bit), moves in sorted(bits.items()):
        missing = [d for d in ("0->1", "1->0") if moves.get(d, 0) == 0]
        if not missing:
            continue
        signal, _, index = bit.partition("[")
        entry = untoggled.setdefault((number, signal), {
            "signal": signal, "verilog_line": number, "never_rose": [], "never_fell": [],
            "source": sources.get(number, "")})
        label = index.rstrip("]") or "0"
        if "0->1" in missing:
            entry["never_rose"].append(label)
        if "1->0" in missing:
            entry["never_fell"].append(label)
    untoggled_bits = sum(len(set(u["never_rose"]) | set(u["never_fell"]))
                         for u in untoggled.values())
    return {"design": config.name, "module": config.module_name,
            "line_points": len(line_points),
            "line_hit": sum(p.count > 0 for p in line_points),
            "toggle_bits": len(bits),
            "toggle_covered": len(bits) - untoggled_bits,
            "unreached_lines": unreached,
            "untoggled_signals": list(untoggled.values()),
            "unreached_by_source": _group_lines(unreached),
            "untoggled_by_source": _group_toggles(list(untoggled.values()))}


def _group_lines(unreached: list[dict]) -> list[dict]:
    groups: dict[str, dict] = {}
    for u in unreached:
        g = groups.setdefault(u["source"], {"source": u["source"], "points": 0, "lines": [],
                                            "example": u["statement"], "case": u["case"],
                                            "arms": []})
        g["points"] += 1
        g["lines"].append(u["verilog_line"])
        if u["case"] and u["statement"].split(":")[0] not in g["arms"]:
            g["arms"].append(u["statement"].split(":")[0])
    return sorted(groups.values(), key=lambda g: (-g["points"], g["source"]))


def _group_toggles(untoggled: list[dict]) -> list[dict]:
    groups: dict[str, dict] = {}
    for u in untoggled:
        g = groups.setdefault(u["source"], {"source": u["source"], "signals": [], "bits": 0})
        g["signals"].append(u["signal"])
        g["bits"] += len(set(u["never_rose"]) | set(u["never_fell"]))
    return sorted(groups.values(), key=lambda g: (-g["bits"], g["source"]))


def _percent(hit: int, total: int) -> str:
    return f"{100 * hit / total:.1f} %" if total else "n/a"


def table(summaries: list[dict]) -> list[str]:
    """The Markdown table: line and toggle coverage per module."""
    rows = ["| module | line points hit | line coverage | toggle bits covered | toggle coverage |",
            "|---|---|---|---|---|"]
    for s in summaries:
        rows.append(f"| {s['module']} | {s['line_hit']}/{s['line_points']} | "
                    f"{_percent(s['line_hit'], s['line_points'])} | "
                    f"{s['toggle_covered']}/{s['toggle_bits']} | "
                    f"{_percent(s['toggle_covered'], s['toggle_bits'])} |")
    return rows


def markdown(summaries: list[dict], shown: int = 10) -> str:
    """The coverage table, then per design the unreached line points and the untoggled bits
    grouped by Amaranth source line (the ``shown`` largest groups; the JSON has every point)."""
    out = ["Verilator line and toggle coverage of the cocotb regression (EXP2 units on every "
           "input code in a seeded order, datapaths on whole tiles with idles and backpressure). "
           "Line points: statement blocks, case arms and if/else branches of the generated "
           "Verilog. Toggle: bits of every signal named in Amaranth (ports included), covered "
           "when they rose and fell; Yosys's unnamed temporaries and start-up triggers are not "
           "counted. An EXP2 unit sees every input, so what it never reaches or toggles is "
           "constant over all inputs (such as the sign of 2^x).", "",
           *table(summaries)]
    for s in summaries:
        if not s["unreached_by_source"] and not s["untoggled_by_source"]:
            continue
        out += ["", f"### {s['module']}"]
        if s["unreached_by_source"]:
            out += ["", f"Line points no test reaches: {len(s['unreached_lines'])}, by Amaranth "
                        "source line:", ""]
            for g in s["unreached_by_source"][:shown]:
                where = g["source"] or "(no source attribute)"
                detail = (f"arms {_label_list(g['arms'])} of `casez ({g['case']})`" if g["arms"]
                          else f"e.g. Verilog line {g['lines'][0]} `{g['example']}`")
                out.append(f"- {where}: {g['points']} ({detail})")
            if len(s["unreached_by_source"]) > shown:
                rest = s["unreached_by_source"][shown:]
                out.append(f"- {len(rest)} more source lines ({sum(g['points'] for g in rest)} "
                           "points) in coverage.json")
        if s["untoggled_by_source"]:
            total = sum(g["bits"] for g in s["untoggled_by_source"])
            out += ["", f"Bits that never toggled both ways: {total}, by Amaranth source line:",
                    ""]
            for g in s["untoggled_by_source"][:shown]:
                names = ", ".join(f"`{n}`" for n in g["signals"][:3])
                more = f" and {len(g['signals']) - 3} more" if len(g["signals"]) > 3 else ""
                plural = "s" if g["bits"] != 1 else ""
                out.append(f"- {g['source'] or '(no source attribute)'}: {g['bits']} bit{plural} "
                           f"of {names}{more}")
            if len(s["untoggled_by_source"]) > shown:
                rest = s["untoggled_by_source"][shown:]
                out.append(f"- {len(rest)} more source lines ({sum(g['bits'] for g in rest)} "
                           "bits) in coverage.json")
    return "\n".join(out) + "\n"


def _label_list(labels: list[str], shown: int = 8) -> str:
    text = ", ".join(labels[:shown])
    return text + (f" … ({len(labels)} arms)" if len(labels) > shown else "")


def coverage_run(configs: list[Config], outdir: Path, jobs: int = 1, seed: int = 1,
                 results=None, rtl_dir: Path | None = None
                 ) -> tuple[list, list[dict], dict[str, Path]]:
    """Run the regression of ``configs`` on Verilator with coverage (or take the ``results`` of
    one that did, its Verilog in ``rtl_dir``), summarize each design and write ``coverage.json``
    and ``coverage.md`` in ``outdir``. Returns (the regression results, the summaries, the
    paths). A configuration whose run left no coverage file (it failed early) is left out."""
    from .regress import regress
    outdir = Path(outdir)
    rtl_dir = Path(rtl_dir) if rtl_dir is not None else outdir / "rtl"
    if results is None:
        results = regress(configs, ["verilator"], outdir / "regress", seed=seed, jobs=jobs,
                          rtl_dir=rtl_dir, coverage=True)
    summaries = []
    for config in configs:
        files = [r.coverage_file for r in results
                 if r.module == config.module_name and r.coverage_file]
        if not files:
            continue
        points = merge_points([read_points(Path(f)) for f in files])
        shipped = (rtl_dir / f"{config.module_name}.v").read_text()
        summaries.append(summarize(config, points, shipped))
    outdir.mkdir(parents=True, exist_ok=True)
    paths = {"json": outdir / "coverage.json", "md": outdir / "coverage.md"}
    write_text(paths["json"], json.dumps(summaries, indent=2) + "\n")
    write_text(paths["md"], markdown(summaries))
    return results, summaries, paths
