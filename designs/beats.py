"""Stream payloads as integers: pack a nested dict/list into the bits of an Amaranth layout, and
unpack it again (the form of vector files and of the cocotb testbench)."""

from __future__ import annotations

from amaranth import Shape
from amaranth.lib import data

__all__ = ["pack", "unpack"]


def pack(layout, value) -> int:
    """A nested dict/list ``value`` of ``layout`` as the integer of its bits (ints pass through)."""
    if isinstance(value, int):
        return value
    return data.Layout.cast(layout).const(value).as_value().value


def unpack(layout, bits: int):
    """The integer ``bits`` as nested dicts/lists of ints, following ``layout``."""
    layout = data.Layout.cast(layout)
    if isinstance(layout, data.ArrayLayout):
        items = [(i, layout.elem_shape, i * _width(layout.elem_shape)) for i in range(layout.length)]
        return [_leaf(shape, bits >> offset) for _, shape, offset in items]
    return {name: _leaf(f.shape, bits >> f.offset) for name, f in layout}


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
