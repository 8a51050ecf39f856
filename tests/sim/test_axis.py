"""Every datapath through its AXI4-Stream top: the tile regression driven by cocotbext-axi's
source and sink (with pauses) on both simulators, the sidecar's tdata layout, and the top's
Verilator ``--lint-only -Wall``."""

import json
import subprocess

import pytest

from baps_rtl.cli import main
from baps_rtl.designs import Config, all_configs
from baps_rtl.designs.axis import generate_axis, lint_files
from baps_rtl.designs.errors import UsageError
from baps_rtl.designs.registry import datapaths
from baps_rtl.sim.runner import _verilator_bin, run_axis

from ..conftest import require_simulator


def _smallest(design) -> Config:
    configs = [c for c in all_configs(which="regress") if c.design is design]
    return max(configs, key=lambda c: c.work_rank())


SMALLEST = {d.name: _smallest(d) for d in datapaths()}


@pytest.mark.parametrize("sim", ["verilator", "icarus"])
@pytest.mark.parametrize("name", sorted(SMALLEST))
def test_every_datapath_passes_its_tiles_through_cocotbext_axi(name, sim, tmp_path):
    require_simulator(sim)
    run = run_axis(SMALLEST[name], sim, tmp_path, idle=0.3, stall=0.3)
    assert run.passed and run.checked == run.vectors > 0, run


def test_the_axis_check_fails_on_one_wrong_expected_beat(tmp_path):
    config = SMALLEST["baps_datapath"]
    run = run_axis(config, "verilator", tmp_path, corrupt_index=5)
    assert not run.passed and run.mismatches == 1


def test_sidecar_documents_the_tdata_bytes_and_tuser_bits(tmp_path):
    config = Config.of("baps_datapath", {"br": 2, "bc": 8, "lanes": 4})
    top, sidecar = generate_axis(config, tmp_path)
    doc = json.loads(sidecar.read_text())
    # four FP32 scores fill tdata's 16 bytes; the framing goes in tuser
    assert doc["s_axis"]["tdata_width"] == 128
    assert doc["s_axis"]["tdata"] == [{"field": "scores", "bits": "[127:0]", "bytes": "0..15"}]
    assert [f["field"] for f in doc["s_axis"]["tuser"]] == ["frame.row", "frame.first_block",
                                                           "frame.last_block"]
    # four HiF8 P codes in bytes 0..3, l (FP32) in bytes 4..7; last_beat is tlast
    assert doc["m_axis"]["tdata"] == [{"field": "p", "bits": "[31:0]", "bytes": "0..3"},
                                      {"field": "l", "bits": "[63:32]", "bytes": "4..7"}]
    assert doc["m_axis"]["tlast"] == "frame.last_beat"
    text = top.read_text()
    assert text.startswith("// AXI4-Stream top") and "`default_nettype none" in text
    for port in ("aclk", "aresetn", "s_axis_tdata", "s_axis_tlast", "m_axis_tuser"):
        assert f" {port}" in text
    assert "__" not in text.split(");")[0]           # no Amaranth port names at the top


def _lint(paths, top: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(_verilator_bin() / "verilator"), "--lint-only", "-Wall",
                           *map(str, paths), "--top-module", top],
                          capture_output=True, text=True)


def test_the_top_passes_verilator_lint_wall_and_a_planted_flaw_fails_it(tmp_path):
    require_simulator("verilator")
    config = SMALLEST["hccs_datapath"]
    top, _ = generate_axis(config, tmp_path)
    name = top.stem
    clean = _lint(lint_files(top), name)
    assert clean.returncode == 0, clean.stderr
    top.write_text(top.read_text().replace("endmodule", "    logic stray;\nendmodule"))
    flawed = _lint(lint_files(top), name)
    assert flawed.returncode != 0 and "UNUSEDSIGNAL" in flawed.stderr


def test_axis_is_for_datapaths_only(capsys, tmp_path):
    with pytest.raises(UsageError, match="exp2_code is not a softmax datapath"):
        generate_axis(Config.of("exp2_code"), tmp_path)
    assert main(["generate", "exp2_hif8", "--axis", "-o", str(tmp_path)]) == 2
    assert "--axis: exp2_hif8 is not a softmax datapath" in capsys.readouterr().err
    assert main(["generate", "softermax_datapath", "--axis", "-o", str(tmp_path)]) == 0
    written = capsys.readouterr().out
    assert "softermax_datapath_axis.sv" in written and "_axis_core.v" in written
