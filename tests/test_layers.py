"""The layers import one way: golden ← hdl ← designs ← sim, accuracy ← synth (its gate-level check
runs the sim runner) ← baps_rtl (CLI); sim and accuracy do not import each other."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RANK = {"golden": 0, "hdl": 1, "designs": 2, "sim": 3, "accuracy": 3, "synth": 4, "baps_rtl": 5}


def _imported_layers(path: Path, layer: str):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.startswith("baps_rtl"):
                parts = node.module.split(".")
                yield parts[1] if len(parts) > 1 else "baps_rtl"
            elif node.level == 1:
                yield layer if layer != "baps_rtl" or not node.module else (
                    node.module.split(".")[0] if node.module.split(".")[0] in RANK else layer)
            elif node.level == 2 and node.module:
                yield node.module.split(".")[0]


def test_no_module_imports_a_layer_above_its_own():
    problems = []
    for layer in RANK:
        for path in sorted((ROOT / layer).glob("*.py")):
            for used in _imported_layers(path, layer):
                if used in RANK and RANK[used] > RANK[layer]:
                    problems.append(f"{layer}/{path.name} imports {used}")
                if used in RANK and RANK[used] == RANK[layer] and used != layer:
                    problems.append(f"{layer}/{path.name} imports its sibling {used}")
    assert problems == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    bad = tmp_path / "golden"
    bad.mkdir()
    (bad / "x.py").write_text("from ..designs.registry import Config\n")
    assert list(_imported_layers(bad / "x.py", "golden")) == ["designs"]
