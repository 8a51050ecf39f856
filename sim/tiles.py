"""Tile regression of ``BapsDatapath`` on a real simulator: every named tile case of
``golden.baps_stream`` through the generated Verilog, packed beats in and out, with the same
stream testbench (random idles, random backpressure, in-order checker) as the EXP2 units."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from amaranth.back import verilog

from ..golden.baps import BapsConfig
from ..golden.baps_stream import (TILE_CASES, TileShape, expected_prob_beats, run_golden,
                                  score_beats, tile_scores)
from ..hdl.baps_datapath import BapsDatapath
from ..hdl.baps_layouts import prob_beat, score_beat
from .amaranth_stream import pack
from .runner import RunResult, run_vectors

__all__ = ["TileConfig", "TILE_CONFIGS", "run_tiles", "tile_vectors"]


@dataclass(frozen=True)
class TileConfig:
    br: int
    bc: int
    lanes: int
    blocks: int = 4
    impl: str = "table"
    link_depth: int = 0

    @property
    def module_name(self) -> str:
        return (f"baps_datapath_br{self.br}_bc{self.bc}_lanes{self.lanes}_{self.impl}"
                f"_link{self.link_depth}")

    @property
    def shape(self) -> TileShape:
        return TileShape(self.br, self.bc, self.lanes, self.blocks)

    def build(self) -> BapsDatapath:
        return BapsDatapath(br=self.br, bc=self.bc, lanes=self.lanes, impl=self.impl,
                            link_depth=self.link_depth)


TILE_CONFIGS = (
    TileConfig(br=3, bc=16, lanes=4),
    TileConfig(br=7, bc=8, lanes=8, blocks=5, impl="split", link_depth=3),
    TileConfig(br=4, bc=64, lanes=16, link_depth=4),
)


def tile_vectors(cfg: TileConfig, seed: int = 1):
    """(inputs, expected, header, tiles): packed beats of every named tile case, in order."""
    in_layout, out_layout = score_beat(cfg.lanes, cfg.br), prob_beat(cfg.lanes, cfg.br)
    inputs, expected = [], []
    for case in TILE_CASES:
        t = tile_scores(case, cfg.shape, seed)
        res = run_golden(t, cfg.shape, BapsConfig(bc=cfg.bc))
        inputs += [pack(in_layout, b) for b in score_beats(t, cfg.shape)]
        expected += [pack(out_layout, b) for b in expected_prob_beats(res, cfg.shape)]
    header = {"unit": "baps_datapath", "module": cfg.module_name, "in_format": "beat",
              "out_format": "beat", "in_width": in_layout.size, "out_width": out_layout.size,
              "params": {"br": cfg.br, "bc": cfg.bc, "lanes": cfg.lanes, "blocks": cfg.blocks,
                         "impl": cfg.impl, "link_depth": cfg.link_depth},
              "cases": list(TILE_CASES)}
    return inputs, expected, header


def run_tiles(cfg: TileConfig, sim: str, build_root, *, seed: int = 1, idle: float = 0.1,
              stall: float = 0.2, corrupt_index: int | None = None) -> RunResult:
    build_dir = Path(build_root).resolve() / f"{cfg.module_name}-{sim}"
    build_dir.mkdir(parents=True, exist_ok=True)
    vpath = build_dir / f"{cfg.module_name}.v"
    vpath.write_text(verilog.convert(cfg.build(), name=cfg.module_name, emit_src=False))
    inputs, expected, header = tile_vectors(cfg, seed)
    return run_vectors(cfg.module_name, [vpath], sim, build_dir, header, inputs, expected,
                       seed=seed, idle=idle, stall=stall, corrupt_index=corrupt_index)
