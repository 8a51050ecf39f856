"""The design registry: one entry per design, everything the tools above need to know about it.

A design is a typed parameter class (``DesignParams``: each field checked by its ``Param`` from
golden or hdl, the one source of limits), a builder, the golden stimulus and expected output, the
configurations that ``regress``, ``report`` and ``area`` run, and its role in reports. ``sim``,
``synth`` and the CLI work on any registered design through ``Config``; adding a design is a new
module in ``designs/`` that calls ``register`` (and one import line in ``designs/__init__.py``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, ClassVar

from amaranth import Shape
from amaranth.lib import data

from ..golden.params import Param
from .errors import UsageError

__all__ = ["DesignParams", "Design", "Config", "DESIGNS", "register", "get_design", "parse_params",
           "all_configs", "name_token"]


def name_token(value) -> str:
    """A parameter value as part of a Verilog module (and file) name: ``u5.4/e2`` → ``u5p4e2``."""
    return str(value).replace(".", "p").replace("/", "")


@dataclass(frozen=True)
class DesignParams:
    """Base of every design's parameters: a frozen dataclass whose fields each have a ``Param``
    in ``SPEC``; construction checks every field and then ``check()`` (cross-field rules)."""

    SPEC: ClassVar[dict[str, Param]] = {}

    def __post_init__(self):
        for field in dataclasses.fields(self):
            self.SPEC[field.name].check(getattr(self, field.name))
        self.check()

    def check(self) -> None:
        """Rules between parameters (``ValueError`` naming the values)."""

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Design:
    """A registered design. Callables take the design's ``DesignParams`` instance."""

    name: str
    description: str
    params: type                                   # a DesignParams subclass
    build: Callable                                # params → wiring.Component
    stimulus: Callable                             # (params, seed) → list of input payloads (int)
    golden: Callable                               # (params, inputs) → expected output payloads
    module_name: Callable                          # params → Verilog module name
    role: Callable                                 # params → role in reports
    in_format: Callable = lambda p: None           # params → number format name, or None (beats)
    out_format: Callable = lambda p: None
    regress: tuple = ({},)                         # parameter sets that regress/report run
    area: tuple = ({},)                            # parameter sets that area/report synthesize
    exhaustive: bool = False                       # stimulus = every input code once (seeded order)
    hierarchical: bool = False                     # area per submodule (synthesis keeps hierarchy)
    baseline: bool = False                         # an FP16 EXP2 baseline of the area table


DESIGNS: dict[str, Design] = {}


def register(design: Design) -> Design:
    if design.name in DESIGNS:
        raise ValueError(f"design {design.name!r} is registered twice")
    DESIGNS[design.name] = design
    return design


def get_design(name: str) -> Design:
    try:
        return DESIGNS[name]
    except KeyError:
        raise UsageError(f"unknown design {name!r}; allowed: {', '.join(DESIGNS)}") from None


@dataclass(frozen=True)
class Config:
    """A design with every parameter set (validated)."""

    design: Design
    params: DesignParams

    @classmethod
    def of(cls, design: Design | str, values: dict | None = None) -> "Config":
        design = get_design(design) if isinstance(design, str) else design
        try:
            return cls(design, design.params(**(values or {})))
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{design.name}: {exc}") from None

    @property
    def name(self) -> str:
        return self.design.name

    @property
    def module_name(self) -> str:
        return self.design.module_name(self.params)

    @property
    def role(self) -> str:
        return self.design.role(self.params)

    def build(self):
        return self.design.build(self.params)

    def stimulus(self, seed: int = 1) -> list[int]:
        return self.design.stimulus(self.params, seed)

    def expected(self, inputs) -> list[int]:
        return self.design.golden(self.params, inputs)

    def layouts(self) -> tuple:
        """(input payload shape, output payload shape) of the built component."""
        if hasattr(self.params, "layouts"):
            return self.params.layouts()
        from ..hdl.pipeline import discard
        c = self.build()
        discard(c)                           # built only to read its signature
        return c.i.payload.shape(), c.o.payload.shape()

    def work_rank(self) -> tuple:
        """A sort key that puts the longest simulations and syntheses first, so that the last
        jobs of a pool are short: datapaths (long C++ builds, large netlists), then exhaustive
        units by input width (2^16 FP16 inputs), then the rest."""
        width = Shape.cast(self.layouts()[0]).width if self.design.exhaustive else 0
        return (not self.design.hierarchical, -width)

    def payload_info(self) -> dict:
        """Widths, formats and field offsets of both payloads (for sidecars and vector files)."""
        info = {}
        for side, shape, fmt in zip(("in", "out"), self.layouts(),
                                    (self.design.in_format, self.design.out_format)):
            info[f"{side}_width"] = Shape.cast(shape).width
            info[f"{side}_format"] = fmt(self.params) or "beat"
            if _is_layout(shape):
                info[f"{side}_fields"] = field_offsets(shape)
        return info


def _is_layout(shape) -> bool:
    return isinstance(shape, data.Layout)


def field_offsets(layout, prefix: str = "") -> list[dict]:
    """Every leaf field of ``layout``: name (dotted, arrays indexed), bit offset, width."""
    layout = data.Layout.cast(layout)
    rows = []
    if isinstance(layout, data.ArrayLayout):
        size = Shape.cast(layout.elem_shape).width
        members = [(str(i), layout.elem_shape, i * size) for i in range(layout.length)]
    else:
        members = [(name, f.shape, f.offset) for name, f in layout]
    for name, shape, offset in members:
        full = f"{prefix}{name}"
        if _is_layout(shape):
            rows += [dict(r, offset=r["offset"] + offset)
                     for r in field_offsets(shape, full + ".")]
        else:
            rows.append({"name": full, "offset": offset, "width": Shape.cast(shape).width})
    return rows


def parse_params(design: Design, assignments: list[str] | None) -> Config:
    """``["name=value", ...]`` → a validated ``Config`` (defaults for names not given); every
    value is parsed by its ``Param`` (integers as integers)."""
    spec = design.params.SPEC
    values = {}
    for item in assignments or []:
        key, sep, text = item.partition("=")
        if not sep:
            raise UsageError(f"parameter {item!r} is not of the form name=value")
        if key not in spec:
            raise UsageError(f"unknown parameter {key!r} for design {design.name}; allowed: "
                             f"{', '.join(spec) or 'none'}")
        try:
            values[key] = spec[key].parse(text)
        except ValueError as exc:
            raise UsageError(f"{design.name}: {exc}") from None
    return Config.of(design, values)


def all_configs(names=None, which: str = "regress") -> list[Config]:
    """The configurations of ``names`` (default: every design) that ``which`` runs."""
    designs = [get_design(n) for n in names] if names else list(DESIGNS.values())
    return [Config.of(d, values) for d in designs for values in getattr(d, which)]
