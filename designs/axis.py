"""The AXI4-Stream form of a registered datapath (``generate --axis``, the AXI4-Stream
regression): ``<module>_axis_core.v``, the design inside ``hdl.axis.AxisWrapper`` (Amaranth's
Verilog); ``<module>_axis.sv``, a SystemVerilog top written here (``default_nettype none``, ANSI
ports, plain AXI4-Stream names, ``s_axis_tlast`` taken and documented as unused), which passes
Verilator's ``--lint-only -Wall`` with one waiver file for the generated core
(``LINT_WAIVERS``); and a sidecar documenting the byte layout of ``tdata`` and the bits of
``tuser``."""

from __future__ import annotations

import json
from pathlib import Path

from amaranth.back import verilog

from ..hdl.axis import AxisWrapper
from .errors import UsageError
from .files import write_text
from .generate import ports, tool_versions
from .registry import Config

__all__ = ["axis_module_name", "generate_axis", "check_axis", "LINT_WAIVERS", "lint_files"]

LINT_WAIVERS = ("`verilator_config\n"
                "// Amaranth's generated core: its internals (unused bits of packed beats, width\n"
                "// extensions, case defaults) are not ours to restyle; the top is linted in full.\n"
                'lint_off -file "*_axis_core.v"\n')


def axis_module_name(config: Config) -> str:
    return f"{config.module_name}_axis"


def check_axis(config: Config) -> None:
    """``UsageError`` unless ``config`` is a datapath (a stream of framed beats)."""
    if config.design.datapath is None:
        raise UsageError(f"--axis: {config.name} is not a softmax datapath; allowed: the "
                         "datapaths (their beats carry the framing that tlast and tuser hold)")


def _layout_doc(side_map: dict) -> dict:
    doc = {"tdata_width": side_map["tdata_width"], "tuser_width": side_map["tuser_width"],
           "tdata": [{"field": f["field"], "bits": f"[{f['offset'] + f['width'] - 1}:"
                                                    f"{f['offset']}]",
                      "bytes": f"{f['offset'] // 8}..{(f['offset'] + f['width'] - 1) // 8}"}
                     for f in side_map["tdata"]],
           "tuser": [{"field": f["field"], "bits": f"[{f['offset'] + f['width'] - 1}:"
                                                    f"{f['offset']}]"}
                     for f in side_map["tuser"]]}
    if side_map["tlast"]:
        doc["tlast"] = side_map["tlast"]["field"]
    return doc


def _top(name: str, top: AxisWrapper) -> str:
    """The SystemVerilog top: the core's ports plus ``s_axis_tlast``, ANSI style."""
    rows = [p for p in ports(top) if p["name"] not in ("clk", "rst")]
    rows.insert(next(i for i, p in enumerate(rows) if p["name"] == "s_axis_tready") + 1,
                {"name": "s_axis_tlast", "width": 1, "direction": "input"})
    def decl(p: dict) -> str:
        width = "" if p["width"] == 1 else f"[{p['width'] - 1}:0] "
        return f"    {p['direction']:6} logic {width}{p['name']}"

    decls = [decl(p) for p in rows]
    conns = [f"        .{p['name']}({p['name']})" for p in rows if p["name"] != "s_axis_tlast"]
    return "\n".join([
        "// AXI4-Stream top, written by baps_rtl.designs.axis (sidecar: the tdata/tuser layout).",
        "`default_nettype none", "",
        f"module {name} (", ",\n".join(decls), ");", "",
        "    // s_axis_tlast marks the last beat of a row's key block; the datapath counts a",
        "    // block's beats itself, so the mark is taken and not used.",
        "    /* verilator lint_off UNUSEDSIGNAL */",
        "    logic unused_s_axis_tlast;",
        "    assign unused_s_axis_tlast = s_axis_tlast;",
        "    /* verilator lint_on UNUSEDSIGNAL */", "",
        f"    {name}_core core (", ",\n".join(conns), "    );", "",
        "endmodule", "", "`default_nettype wire", ""])


def generate_axis(config: Config, outdir) -> tuple[Path, Path]:
    """Write ``outdir/<module>_axis.sv`` (the top), ``outdir/<module>_axis_core.v`` and the
    sidecar ``outdir/<module>_axis.json``; return (top, sidecar)."""
    check_axis(config)
    top = AxisWrapper(config.build())
    name = axis_module_name(config)
    text = verilog.convert(top, name=f"{name}_core", emit_src=False)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    write_text(outdir / f"{name}_core.v", text)
    vpath = outdir / f"{name}.sv"
    write_text(vpath, _top(name, top))
    sidecar = {
        "design": config.name, "module": name, "wraps": config.module_name,
        "description": f"{config.design.description}; AXI4-Stream ports",
        "parameters": config.params.as_dict(),
        "latency": top.latency,
        "reset": "aresetn, active low, synchronous to aclk",
        "s_axis": {**_layout_doc(top.map["s_axis"]),
                   "tlast": "the last beat of a row's key block (taken, not needed: the "
                            "datapath counts beats)"},
        "m_axis": _layout_doc(top.map["m_axis"]),
        "map": top.map,
        "files": {"top": vpath.name, "core": f"{name}_core.v"},
        "tools": tool_versions(),
    }
    jpath = outdir / f"{name}.json"
    write_text(jpath, json.dumps(sidecar, indent=2) + "\n")
    return vpath, jpath


def lint_files(vpath: Path) -> list[Path]:
    """The sources of an AXI4-Stream top for ``verilator --lint-only -Wall``: the waiver file
    (written beside it), the core and the top."""
    vpath = Path(vpath)
    waivers = vpath.parent / "axis_lint_waivers.vlt"
    write_text(waivers, LINT_WAIVERS)
    return [waivers, vpath.with_name(vpath.stem + "_core.v"), vpath]
