"""The design registry: one entry per design, everything the tools above need to know about it.

A design is a typed parameter class (``DesignParams``: each field checked by its ``Param`` from
golden or hdl, the one source of limits), a builder, the golden stimulus and expected output, the
configurations that ``regress``, ``report`` and ``area`` run, and its role in reports; a softmax
datapath also its role in the studies (``Datapath``). ``sim``, ``synth``, ``accuracy`` and the CLI
work on any registered design through ``Config``; adding a design is a new module in ``designs/``
that calls ``register`` (``designs/__init__.py`` imports every module of the package).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, ClassVar

from amaranth import Shape
from amaranth.lib import data

from ..golden.params import IntParam, Param
from ..golden.schemes import SCHEMES
from .errors import UsageError

__all__ = ["DesignParams", "design_params", "Design", "Datapath", "Config", "DESIGNS", "ALIASES",
           "register", "register_alias", "get_design", "parse_params", "designs_markdown",
           "all_configs", "covering_configs", "value_class", "name_token", "datapaths",
           "STUDY_LANES", "study_shape"]

STUDY_LANES = IntParam("lanes", 2, 32, "lanes of the BAPS datapath in the studies (compare, codes); "
                       "even: the FP16 row at equal link width has lanes / 2")


def study_shape(lanes: int) -> dict:
    """The tile shape every datapath has in the studies: Br 2, ``lanes`` lanes, Bc = 8·lanes (a
    row's next block end comes 16 beats later, beyond the FP16 l update's depth: no waits), a
    link FIFO of depth 4. ``UsageError`` names a ``lanes`` outside ``STUDY_LANES`` or odd."""
    try:
        STUDY_LANES.check(lanes)
        ok = lanes % 2 == 0
    except ValueError:
        ok = False
    if not ok:
        raise UsageError(f"--lanes {lanes!r} is not allowed; allowed: even {STUDY_LANES.allowed} "
                         "(the FP16 row at equal link width has lanes / 2)")
    return {"br": 2, "bc": 8 * lanes, "lanes": lanes, "link_depth": 4}


def name_token(value) -> str:
    """A parameter value as part of a Verilog module (and file) name: ``u5.4/e2`` → ``u5p4e2``."""
    return str(value).replace(".", "p").replace("/", "")


def design_params(*params: Param):
    """Class decorator: a frozen ``DesignParams`` dataclass with one field per parameter of
    ``params`` (in that order, its default the parameter's), and ``SPEC`` those parameters. The
    parameters are the component's own declaration (``PARAMS``): declared once, in hdl."""
    def wrap(cls):
        cls.SPEC = {p.name: p for p in params}
        cls.__annotations__ = {p.name: type(p.default).__name__ for p in params}
        for p in params:
            setattr(cls, p.name, p.default)
        return dataclass(frozen=True)(cls)
    return wrap


@dataclass(frozen=True)
class DesignParams:
    """Base of every design's parameters: a frozen dataclass whose fields each have a ``Param``
    in ``SPEC`` (``design_params``); construction checks every field and then ``check()``
    (cross-field rules)."""

    SPEC: ClassVar[dict[str, Param]] = {}

    def __post_init__(self):
        for field in dataclasses.fields(self):
            self.SPEC[field.name].check(getattr(self, field.name))
        self.check()

    def check(self) -> None:
        """Rules between parameters (``ValueError`` naming the values)."""

    def layouts(self) -> tuple:
        """(input payload shape, output payload shape) of the design's component."""
        raise NotImplementedError

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Datapath:
    """A datapath's role in the studies (``compare``, ``codes``, the accuracy report, the sink
    sweep, the tile tests). Callables take the design's ``DesignParams`` instance.

    ``scheme``: the ``golden.schemes`` name of its golden model's numerics (the scheme also
    states the link bits per score); ``variants``: the parameter sets beyond the study tile
    shape that ``codes`` gives a row each (and whose schemes the accuracy studies must cover);
    ``study_params``: parameters every study sets (a tile buffer's size); ``compare``: its rows
    of ``compare`` for ``lanes`` BAPS lanes, as (label, comparison, parameters beyond the tile
    shape), by default one row at equal lanes; ``power_stimulus``: (params, tile case, about
    ``blocks`` key blocks) → input payloads; ``blocks``: its three submodules (matrix side,
    link, vector side) as named in the netlist (the component's ``BLOCK_NAMES``). ``scheme`` returns None for a configuration
    whose numerics no study models (a non-default accuracy or reciprocal)."""

    label: Callable                                # params → row label
    family: Callable                               # params → "BAPS, …", "baseline", "other scheme"
    scheme: Callable
    power_stimulus: Callable
    compare: Callable | None = None
    variants: tuple = ({},)
    study_params: dict = dataclasses.field(default_factory=dict)
    blocks: tuple = ("matrix", "link", "vector")

    def compare_rows(self, lanes: int) -> tuple:
        if self.compare is None:
            return ((None, "other scheme, equal lanes", {}),)
        return self.compare(lanes)

    def link_bits(self, params) -> int:
        """Bits per score on the matrix-to-vector link (from the scheme)."""
        return SCHEMES[self.scheme(params)].link_bits


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
    equivalent: str | None = None                  # a parameter whose choices are proved equal
    datapath: Datapath | None = None               # a softmax datapath: its role in the studies


DESIGNS: dict[str, Design] = {}
ALIASES: dict[str, Design] = {}
ALIAS_OF: dict[str, tuple[str, dict]] = {}       # alias → (the design it names, fixed params)
"""Other names of a registered design with some parameters fixed (``register_alias``): they
work in the command line, vector files and sidecars, and run nothing of their own."""


def register(design: Design) -> Design:
    """Add ``design``; ``ValueError`` for a name taken, or a datapath variant whose scheme is
    not a datapath scheme of ``golden.schemes``."""
    if design.name in DESIGNS or design.name in ALIASES:
        raise ValueError(f"design {design.name!r} is registered twice")
    role = design.datapath
    for variant in role.variants if role else ():
        scheme = role.scheme(design.params(**{**role.study_params, **variant}))
        if scheme not in SCHEMES or SCHEMES[scheme].kind != "datapath":
            raise ValueError(f"{design.name}: scheme {scheme!r} of {variant} is not a datapath "
                             "scheme of golden.schemes")
    DESIGNS[design.name] = design
    return design


def register_alias(name: str, target: str, fixed: dict) -> Design:
    """``name`` as ``target`` with the parameters ``fixed`` (``exp2_hif8`` = ``exp2_code`` with
    ``in_format=hif8``): its parameters are the target's others, its configurations and module
    names the target's with ``fixed`` (so both names build the same Verilog module)."""
    base = DESIGNS[target]
    free = [p for n, p in base.params.SPEC.items() if n not in fixed]

    @design_params(*free)
    class AliasParams(DesignParams):
        def full(self):
            return base.params(**fixed, **self.as_dict())

        def check(self):
            self.full()

        def layouts(self):
            return self.full().layouts()

    def own(values: dict) -> tuple:
        return tuple({k: v for k, v in c.items() if k not in fixed} for c in values
                     if all(c.get(k, base.params.SPEC[k].default) == v for k, v in fixed.items()))

    alias = Design(
        name=name, description=f"{base.name} with {', '.join(f'{k}={v}' for k, v in fixed.items())}"
        f": {base.description}", params=AliasParams,
        build=lambda p: base.build(p.full()),
        stimulus=lambda p, seed: base.stimulus(p.full(), seed),
        golden=lambda p, inputs: base.golden(p.full(), inputs),
        module_name=lambda p: base.module_name(p.full()), role=lambda p: base.role(p.full()),
        in_format=lambda p: base.in_format(p.full()), out_format=lambda p: base.out_format(p.full()),
        regress=own(base.regress), area=own(base.area), exhaustive=base.exhaustive,
        hierarchical=base.hierarchical, baseline=base.baseline, equivalent=base.equivalent)
    ALIASES[name] = alias
    ALIAS_OF[name] = (target, dict(fixed))
    return alias


def get_design(name: str) -> Design:
    try:
        return DESIGNS[name] if name in DESIGNS else ALIASES[name]
    except KeyError:
        raise UsageError(f"unknown design {name!r}; allowed: "
                         f"{', '.join([*DESIGNS, *ALIASES])}") from None


@dataclass(frozen=True)
class Config:
    """A design with every parameter set (validated)."""

    design: Design
    params: DesignParams

    @classmethod
    def of(cls, design: Design | str, values: dict | None = None) -> "Config":
        design = get_design(design) if isinstance(design, str) else design
        values = values or {}
        unknown = [k for k in values if k not in design.params.SPEC]
        if unknown:
            raise UsageError(f"{design.name}: unknown parameter {unknown[0]!r}; allowed: "
                             f"{', '.join(design.params.SPEC)}")
        try:
            return cls(design, design.params(**values))
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{design.name}: {exc}") from None

    def __reduce__(self):
        """Pickled as (design name, parameter values), rebuilt from the registry where it is
        loaded (a Dask worker): the registry's Design objects hold functions."""
        return (Config.of, (self.design.name, self.params.as_dict()))

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
        """(input payload shape, output payload shape) of the component (``params.layouts()``)."""
        return self.params.layouts()

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


def designs_markdown() -> str:
    """The designs table of the README, from the registry (a test keeps the README's copy equal)."""
    lines = ["| design | what it is | parameters |", "|---|---|---|"]
    lines += [f"| `{d.name}` | {d.description} | {', '.join(d.params.SPEC)} |"
              for d in DESIGNS.values()]
    aliases = [f"`{name}` = `{target}` with {', '.join(f'{k}={v}' for k, v in fixed.items())}"
               for name, (target, fixed) in ALIAS_OF.items()]
    if aliases:
        lines += ["", f"Other names: {'; '.join(aliases)}."]
    return "\n".join(lines) + "\n"


FAMILY_ORDER = ("BAPS", "baseline", "other scheme")


def datapaths() -> list[Design]:
    """Every registered softmax datapath: BAPS first (the reference of every study), then the
    baselines, then the other schemes (by the family of their default parameters), each group in
    registration order."""
    found = [d for d in DESIGNS.values() if d.datapath is not None]
    rank = {d.name: next(k for k, f in enumerate(FAMILY_ORDER)
                         if d.datapath.family(d.params()).startswith(f)) for d in found}
    return sorted(found, key=lambda d: rank[d.name])


def value_class(value) -> object:
    """The class of a parameter value for coverage: an integer's 0 or not (a structure: no FIFO,
    no cuts; sizes are all one class); a number format's kind (float, fixed distance, tapered
    distance, fixed point); any other choice itself."""
    if isinstance(value, int):
        return value != 0
    from ..golden.formats import FORMATS
    fmt = FORMATS.get(value)
    if fmt is None:
        return value
    return f"{type(fmt).__name__}{'/e' if '/e' in value else ''}"


def covering_configs(configs: list[Config]) -> list[Config]:
    """A subset of ``configs``, per design, in which every parameter class (``value_class``) that
    the design's configurations take appears once at least: greedily, the configuration that
    covers the most classes not yet covered first (ties: the earlier one)."""
    chosen = []
    for name in dict.fromkeys(c.name for c in configs):
        mine = [c for c in configs if c.name == name]
        classes = [{(k, value_class(v)) for k, v in c.params.as_dict().items()} for c in mine]
        missing = set().union(*classes)
        while missing:
            best = max(range(len(mine)), key=lambda i: (len(classes[i] & missing), -i))
            chosen.append(mine[best])
            missing -= classes[best]
    return chosen


def all_configs(names=None, which: str = "regress") -> list[Config]:
    """The configurations of ``names`` (default: every design) that ``which`` runs."""
    designs = [get_design(n) for n in names] if names else list(DESIGNS.values())
    return [Config.of(d, values) for d in designs for values in getattr(d, which)]
