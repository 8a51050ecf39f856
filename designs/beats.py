"""Stream payloads as integers: pack a nested dict/list into the bits of an Amaranth layout, and
unpack it again (the form of vector files and of the cocotb testbench). A beat's framing struct
(``hdl.beat_layouts.FRAME``) is flat in the dicts: ``{"scores": …, "row": 1, "first_block": 1,
…}`` (the form of ``golden.baps_stream``)."""

from __future__ import annotations

from amaranth import Shape
from amaranth.lib import data

from ..hdl.beat_layouts import FRAME

__all__ = ["pack", "unpack"]


def pack(layout, value) -> int:
    """A nested dict/list ``value`` of ``layout`` as the integer of its bits (ints pass through)."""
    if isinstance(value, int):
        return value
    layout = data.Layout.cast(layout)
    if isinstance(layout, data.StructLayout) and FRAME in layout.members and FRAME not in value:
        inner = set(data.Layout.cast(layout.members[FRAME]).members)
        value = {**{k: v for k, v in value.items() if k not in inner},
                 FRAME: {k: value[k] for k in inner if k in value}}
    return layout.const(value).as_value().value


def unpack(layout, bits: int):
    """The integer ``bits`` as nested dicts/lists of ints, following ``layout``."""
    layout = data.Layout.cast(layout)
    if isinstance(layout, data.ArrayLayout):
        items = [(i, layout.elem_shape, i * _width(layout.elem_shape)) for i in range(layout.length)]
        return [_leaf(shape, bits >> offset) for _, shape, offset in items]
    out = {}
    for name, f in layout:
        leaf = _leaf(f.shape, bits >> f.offset)
        out.update(leaf if name == FRAME else {name: leaf})
    return out


def _width(shape) -> int:
    return Shape.cast(shape).width


def _leaf(shape, bits: int):
    if isinstance(shape, data.Layout):
        return unpack(shape, bits & ((1 << shape.size) - 1))
    shape = Shape.cast(shape)
    value = bits & ((1 << shape.width) - 1)
    if shape.signed and value >> (shape.width - 1):
        value -= 1 << shape.width
    return value
