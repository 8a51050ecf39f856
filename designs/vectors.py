"""Golden vector files: one JSON header line, then one ``<input hex> <expected hex>`` pair per line.

    #baps-rtl-vectors {"version": 2, "design": "exp2_hif8", "params": {...}, "in_width": 8, ...}
    00 3C00
    01 3C00

The header names the design and its parameters, the payload widths and formats (a number format,
or ``beat`` for a packed stream beat, whose ``in_fields``/``out_fields`` list every field's name,
bit offset and width), and the vector count. Each line is one input payload and the output
payload expected for it, in stream order: for the EXP2 units every input code; for a datapath
the input beats of whole tiles (block-major, framed by row and first/last block) and the output
beats, one per input beat.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UsageError
from .files import write_text

__all__ = ["VectorSet", "write_vectors", "read_vectors", "VectorFileError", "check_vectors",
           "CheckReport"]

MAGIC = "#baps-rtl-vectors "
_HEX = re.compile(r"[0-9A-Fa-f]+")
VERSION = 2


class VectorFileError(UsageError):
    """A malformed vector file; the message names the file, the line and the bad value."""


@dataclass
class VectorSet:
    header: dict
    inputs: np.ndarray
    expected: np.ndarray


def write_vectors(path, header: dict, inputs, expected) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    in_digits, out_digits = -(-header["in_width"] // 4), -(-header["out_width"] // 4)
    head = {"version": VERSION, **header, "count": int(len(inputs))}
    lines = [MAGIC + json.dumps(head, sort_keys=True)]
    lines += [f"{int(a):0{in_digits}X} {int(b):0{out_digits}X}" for a, b in zip(inputs, expected)]
    write_text(path, "\n".join(lines) + "\n")
    return path


def read_vectors(path) -> VectorSet:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VectorFileError(f"cannot read vector file {str(path)!r}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise VectorFileError(f"{path}:{line}: byte 0x{data[exc.start]:02X} (offset {exc.start}) is "
                              "not UTF-8 text; allowed: a text file of hex digits") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or not lines[0].startswith(MAGIC):
        raise VectorFileError(f"{path}:1: missing header; the first line must start with {MAGIC.strip()!r}")
    try:
        header = json.loads(lines[0][len(MAGIC):])
    except json.JSONDecodeError as exc:
        raise VectorFileError(f"{path}:1: header is not valid JSON ({exc.msg})") from None
    if not isinstance(header, dict) or header.get("version") != VERSION:
        raise VectorFileError(f"{path}:1: header version {header.get('version') if isinstance(header, dict) else header!r}"
                              f" is not supported; allowed: {VERSION}")
    for key, lo, hi in (("in_width", 1, 1 << 16), ("out_width", 1, 1 << 16), ("count", 0, 1 << 40)):
        value = header.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise VectorFileError(f"{path}:1: header field {key}={value!r} is not allowed; "
                                  f"allowed: integers {lo}..{hi}")
    widths = (header["in_width"], header["out_width"])
    inputs, expected = [], []
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2:
            raise VectorFileError(f"{path}:{lineno}: expected 2 hex fields (input expected), got {line!r}")
        pair = []
        for token, width, what in zip(fields, widths, ("input", "expected")):
            if not _HEX.fullmatch(token):
                raise VectorFileError(f"{path}:{lineno}: {what} {token!r} is not hexadecimal; "
                                      "allowed: the digits 0-9 and A-F")
            value = int(token, 16)
            if value >= 1 << width:
                raise VectorFileError(f"{path}:{lineno}: {what} 0x{token} does not fit {width} bits "
                                      f"(allowed 0..0x{(1 << width) - 1:X})")
            pair.append(value)
        inputs.append(pair[0])
        expected.append(pair[1])
    if len(inputs) != header["count"]:
        raise VectorFileError(f"{path}: header says count={header['count']} but the file has "
                              f"{len(inputs)} vectors")
    dtype = np.int64 if max(widths) <= 62 else object     # packed beats can be wider than int64
    return VectorSet(header, np.array(inputs, dtype=dtype), np.array(expected, dtype=dtype))


@dataclass
class CheckReport:
    summary: str
    differences: list[str]


def check_vectors(path) -> CheckReport:
    """Compare a vector file with the golden model of the design its header names."""
    from .registry import Config, get_design
    vs = read_vectors(path)
    params = vs.header.get("params", {})
    if not isinstance(params, dict):
        raise VectorFileError(f"{path}:1: header field params={params!r} must be an object")
    try:
        config = Config.of(get_design(str(vs.header.get("design"))), params)
    except UsageError as exc:
        raise VectorFileError(f"{path}:1: {exc}") from None
    info = config.payload_info()
    for key in ("in_width", "out_width"):
        if vs.header[key] != info[key]:
            raise VectorFileError(f"{path}:1: {key}={vs.header[key]} but {config.module_name} "
                                  f"has {info[key]}")
    try:
        golden = config.expected([int(v) for v in vs.inputs])
    except ValueError as exc:
        raise VectorFileError(f"{path}: the inputs are not a valid stimulus: {exc}") from None
    from ..golden.formats import FORMATS
    out_fmt = FORMATS.get(info["out_format"])
    show = (out_fmt.describe if out_fmt else lambda v: f"0x{int(v):X}")
    bad = [k for k, (a, b) in enumerate(zip(vs.expected, golden)) if int(a) != int(b)]
    lines = [f"line {k + 2}: input 0x{int(vs.inputs[k]):X} file {show(vs.expected[k])} golden "
             f"{show(golden[k])}" for k in bad]
    summary = (f"{path}: {len(vs.inputs)} vectors for {config.module_name}, "
               f"{len(vs.inputs) - len(bad)} agree with the golden model, {len(bad)} differ")
    return CheckReport(summary, lines)
