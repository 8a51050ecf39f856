"""The registry of generatable units: parameters (with allowed values), formats, golden model."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import UsageError
from .golden import exp2_fp16_model
from .golden.exp2 import exp2_reference
from .golden.formats import NumberFormat, get_format
from .hdl.exp2_fp16 import ACCURACIES, Exp2FP16
from .hdl.exp2_hif8 import IMPLS, OUT_FORMATS, Exp2HiF8

__all__ = ["UnitSpec", "UNITS", "get_unit", "parse_params", "Config", "BlockConfig",
           "DATAPATH_SIZES", "datapath_blocks"]


@dataclass(frozen=True)
class UnitSpec:
    """A unit: its parameters (name → allowed values, first is the default) and how to build it."""

    name: str
    params: dict[str, tuple[str, ...]]
    build: Callable[..., object]                       # params → wiring.Component
    in_format: Callable[[dict], str]
    out_format: Callable[[dict], str]
    golden: Callable[[dict, np.ndarray], np.ndarray]   # (params, input codes) → output codes
    description: str

    def configs(self) -> list["Config"]:
        """Every parameter combination."""
        keys = list(self.params)
        return [Config(self, dict(zip(keys, values)))
                for values in itertools.product(*(self.params[k] for k in keys))]


@dataclass(frozen=True)
class Config:
    """A unit with every parameter set."""

    unit: UnitSpec
    params: dict

    @property
    def module_name(self) -> str:
        return "_".join([self.unit.name, *(str(self.params[k]) for k in self.unit.params)])

    @property
    def in_format(self) -> NumberFormat:
        return get_format(self.unit.in_format(self.params))

    @property
    def out_format(self) -> NumberFormat:
        return get_format(self.unit.out_format(self.params))

    def build(self):
        return self.unit.build(**self.params)

    def inputs(self) -> np.ndarray:
        """The exhaustive input set: every code of the input format."""
        return np.arange(1 << self.in_format.width, dtype=np.int64)

    def expected(self, inputs: np.ndarray) -> np.ndarray:
        return self.unit.golden(self.params, inputs)


UNITS = {
    "exp2_hif8": UnitSpec(
        name="exp2_hif8",
        params={"impl": IMPLS, "out_format": OUT_FORMATS},
        build=lambda impl, out_format: Exp2HiF8(impl=impl, out_format=out_format),
        in_format=lambda p: "hif8",
        out_format=lambda p: p["out_format"],
        golden=lambda p, x: exp2_reference("hif8", p["out_format"])[x],
        description="2^x of a HiF8 code, correctly rounded to FP16 (RNE) or HiF8 (TA)",
    ),
    "exp2_fp16": UnitSpec(
        name="exp2_fp16",
        params={"accuracy": ACCURACIES},
        build=lambda accuracy: Exp2FP16(accuracy=accuracy),
        in_format=lambda p: "fp16",
        out_format=lambda p: "fp16",
        golden=lambda p, x: exp2_fp16_model.exp2_fp16(x, p["accuracy"]),
        description="FP16 EXP2 baseline: 2^x correctly rounded (RNE) or faithful (within 1 ulp)",
    ),
}


def get_unit(name: str) -> UnitSpec:
    try:
        return UNITS[name]
    except KeyError:
        raise UsageError(f"unknown unit {name!r}; allowed: {', '.join(UNITS)}") from None


def parse_params(unit: UnitSpec, assignments: list[str] | None) -> Config:
    """``["k=v", ...]`` → a validated ``Config`` (defaults for parameters not given)."""
    params = {k: allowed[0] for k, allowed in unit.params.items()}
    for item in assignments or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"parameter {item!r} is not of the form name=value")
        if key not in unit.params:
            allowed = ", ".join(unit.params) or "none"
            raise UsageError(f"unknown parameter {key!r} for unit {unit.name}; allowed: {allowed}")
        if value not in unit.params[key]:
            raise UsageError(f"{unit.name}: {key}={value!r} is not allowed; "
                             f"allowed: {', '.join(unit.params[key])}")
        params[key] = value
    return Config(unit, params)


@dataclass(frozen=True)
class BlockConfig:
    """A block of the BAPS datapath at one size, for synthesis (its verification is the tile
    regression, not exhaustive inputs)."""

    unit: UnitSpec
    params: dict
    size: str

    @property
    def module_name(self) -> str:
        return f"{self.unit.name}_{self.size}"

    in_format = None
    out_format = None

    def build(self):
        return self.unit.build(**self.params)


# Sizes of the datapath area report: a default tile, and a large one.
DATAPATH_SIZES = {
    "default": {"br": 4, "bc": 64, "lanes": 8},
    "large": {"br": 64, "bc": 128, "lanes": 16},
}


def _block(name, build, description):
    return UnitSpec(name=name, params={}, build=build, in_format=lambda p: None,
                    out_format=lambda p: None, golden=lambda p, x: None, description=description)


def datapath_blocks(size: str) -> list[BlockConfig]:
    """Rescale, MatrixVectorLink (FIFO depth 4), SoftmaxLanes and the BapsDatapath top."""
    from .hdl.baps_datapath import BapsDatapath
    from .hdl.link import MatrixVectorLink
    from .hdl.rescale import Rescale
    from .hdl.softmax_lanes import SoftmaxLanes
    if size not in DATAPATH_SIZES:
        raise UsageError(f"unknown datapath size {size!r}; allowed: {', '.join(DATAPATH_SIZES)}")
    p = DATAPATH_SIZES[size]
    specs = [
        _block("rescale", lambda **k: Rescale(**k), "matrix-side block-aware rescaling"),
        _block("link", lambda br, bc, lanes: MatrixVectorLink(width=8 * lanes, br=br, depth=4),
               "8-bit matrix-to-vector link, FIFO depth 4"),
        _block("softmax_lanes", lambda **k: SoftmaxLanes(**k), "vector-side EXP2 lanes and sums"),
        _block("baps_datapath", lambda **k: BapsDatapath(link_depth=4, **k), "the whole top"),
    ]
    return [BlockConfig(spec, dict(p), size) for spec in specs]
