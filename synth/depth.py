"""Logic depth of a mapped netlist (Yosys ``write_json``): the most cells on any path from an input
port or flip-flop output to an output port or flip-flop input. A timing proxy when no STA runs."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

__all__ = ["logic_depth"]


def logic_depth(netlist_json: Path, top: str, sequential_cells: set[str]) -> int:
    module = json.loads(Path(netlist_json).read_text())["modules"][top]
    drivers: dict[int, str] = {}          # net bit → combinational cell driving it
    cell_inputs: dict[str, list[int]] = {}
    for name, cell in module["cells"].items():
        dirs = cell["port_directions"]
        if cell["type"] in sequential_cells:
            continue                        # a flip-flop output starts a path at depth 0
        cell_inputs[name] = [b for p, bits in cell["connections"].items() if dirs[p] == "input"
                             for b in bits if isinstance(b, int)]
        for p, bits in cell["connections"].items():
            if dirs[p] == "output":
                for b in bits:
                    if isinstance(b, int):
                        drivers[b] = name
    depth: dict[str, int] = {}
    fanout = defaultdict(list)
    pending = {}
    for name, ins in cell_inputs.items():
        srcs = {drivers[b] for b in ins if b in drivers}
        pending[name] = len(srcs)
        for s in srcs:
            fanout[s].append(name)
    ready = [n for n, k in pending.items() if k == 0]
    for n in ready:
        depth[n] = 1
    while ready:                            # longest path by topological order
        n = ready.pop()
        for succ in fanout[n]:
            depth[succ] = max(depth.get(succ, 1), depth[n] + 1)
            pending[succ] -= 1
            if pending[succ] == 0:
                ready.append(succ)
    if len(depth) != len(cell_inputs):
        raise ValueError(f"{top}: combinational loop in the netlist")
    return max(depth.values(), default=0)
