"""The design registry through the command line: every verb on the datapath, sidecar field offsets
that address the real beat bits, tile vector files checked against golden, and every registered
configuration valid."""

import dataclasses
import json

import pytest

from baps_rtl.designs import DESIGNS, all_configs, get_design, parse_params
from baps_rtl.designs.beats import pack, unpack
from baps_rtl.designs.registry import field_offsets

from ..test_cli import run


def test_generate_datapath_with_integer_parameters(tmp_path, capsys):
    code, out, err = run(capsys, "generate", "baps_datapath", "--param", "m_width=20", "--param",
                         "bc=16", "--param", "lanes=8", "-o", str(tmp_path))
    assert code == 0, err
    name = "baps_datapath_bc16_m_width20"
    assert f"module {name}(" in (tmp_path / f"{name}.v").read_text()
    meta = json.loads((tmp_path / f"{name}.json").read_text())
    assert meta["parameters"]["m_width"] == 20 and meta["parameters"]["bc"] == 16
    assert meta["parameters"]["lanes"] == 8
    assert meta["latency"] is None and "bench" in meta["timing"]
    ports = {p["name"]: p["width"] for p in meta["ports"]}
    assert ports["i__payload"] == meta["in_width"] and ports["o__payload"] == meta["out_width"]
    for side in ("in", "out"):
        fields = sorted(meta[f"{side}_fields"], key=lambda f: f["offset"])
        # the fields tile the payload: no gap, no overlap, nothing beyond the width
        ends = [f["offset"] + f["width"] for f in fields]
        assert [f["offset"] for f in fields[1:]] == ends[:-1] and fields[0]["offset"] == 0
        assert ends[-1] == meta[f"{side}_width"]
    names = {f["name"] for f in meta["in_fields"]}
    assert {"scores.0", "scores.7", "frame.row", "frame.first_block", "frame.last_block"} <= names


def test_field_offsets_address_the_packed_bits():
    config = parse_params(get_design("baps_datapath"), ["bc=16", "lanes=4", "br=3"])
    in_layout, _ = config.layouts()
    beat = unpack(in_layout, 0)
    beat["scores"][2] = 0x3F800000                 # 1.0f in lane 2
    beat["row"] = 2
    bits = pack(in_layout, beat)
    offsets = {f["name"]: f for f in field_offsets(in_layout)}
    lane2, row = offsets["scores.2"], offsets["frame.row"]
    assert (bits >> lane2["offset"]) & ((1 << lane2["width"]) - 1) == 0x3F800000
    assert (bits >> row["offset"]) & ((1 << row["width"]) - 1) == 2
    assert bits == (0x3F800000 << lane2["offset"]) | (2 << row["offset"])


def test_tile_vectors_round_trip_and_a_corrupted_beat_is_found(tmp_path, capsys):
    f = tmp_path / "tiles.txt"
    code, _, err = run(capsys, "vectors", "baps_datapath", "-p", "br=2", "-p", "bc=8", "-p",
                       "lanes=4", "-o", str(f))
    assert code == 0, err
    lines = f.read_text().splitlines()
    header = json.loads(lines[0].split(" ", 1)[1])
    assert header["design"] == "baps_datapath" and header["count"] == len(lines) - 1 > 0
    code, out, _ = run(capsys, "check-vectors", str(f))
    n = header["count"]
    assert code == 0 and f"{n} agree with the golden model, 0 differ" in out
    k = 5
    a, b = lines[k].split()
    lines[k] = f"{a} {int(b, 16) ^ 1:0{len(b)}X}"      # one wrong bit of one expected P code
    f.write_text("\n".join(lines) + "\n")
    code, out, _ = run(capsys, "check-vectors", str(f))
    assert code == 1 and f"{n - 1} agree with the golden model, 1 differ" in out


def test_tile_vectors_with_broken_framing_are_refused(tmp_path, capsys):
    f = tmp_path / "tiles.txt"
    assert run(capsys, "vectors", "baps_datapath", "-p", "br=2", "-p", "bc=8", "-p", "lanes=4",
               "-o", str(f))[0] == 0
    lines = f.read_text().splitlines()
    header = json.loads(lines[0].split(" ", 1)[1])
    first = next(x for x in header["in_fields"] if x["name"] == "frame.first_block")
    a, b = lines[1].split()
    lines[1] = f"{int(a, 16) ^ (1 << first['offset']):0{len(a)}X} {b}"  # row 0 not a first block
    f.write_text("\n".join(lines) + "\n")
    code, _, err = run(capsys, "check-vectors", str(f))
    assert code == 2 and "the inputs are not a valid stimulus: beat 0: row 0, first_block 0" in err


@pytest.mark.parametrize("text,message", [
    ("bc=sixteen", "bc='sixteen' is not an integer"),
    ("bc=5000", "bc=5000 is not allowed; allowed: integers 1..4096"),
    ("m_width=33", "m_width=33 is not allowed; allowed: integers 2..32"),
    ("lanes=3", "bc=64 is not a multiple of lanes=3; allowed: bc = k·lanes"),
])
def test_datapath_parameters_are_parsed_and_checked(text, message, capsys):
    code, _, err = run(capsys, "generate", "baps_datapath", "-p", text, "-o", "unused")
    assert code == 2 and message in err and "Traceback" not in err


def test_every_registered_configuration_is_valid_and_uniquely_named():
    for which in ("regress", "area"):
        configs = all_configs(which=which)
        names = [c.module_name for c in configs]
        assert len(names) == len(set(names))
        assert {c.name for c in configs} == set(DESIGNS)
    for design in DESIGNS.values():
        assert set(design.params.SPEC) == {f.name for f in dataclasses.fields(design.params)}


@pytest.mark.parametrize("name", [n for n, d in DESIGNS.items() if d.exhaustive])
def test_exhaustive_stimulus_is_every_code_once_with_every_bit_moving_both_ways(name):
    """Seeded order: every input bit rises and falls (toggle coverage), and the seed matters."""
    config = parse_params(get_design(name), [])
    codes = config.stimulus(1)
    width = (len(codes) - 1).bit_length()
    assert sorted(codes) == list(range(1 << width))
    for bit in range(width):
        level = [(c >> bit) & 1 for c in codes]
        moves = {(a, b) for a, b in zip(level, level[1:]) if a != b}
        assert moves == {(0, 1), (1, 0)}, f"input bit {bit}"
    assert config.stimulus(2) != codes and config.stimulus(1) == codes
