"""Balanced reduction trees shared by every datapath: log2(n) levels, not a chain of n."""

from amaranth import Mux

__all__ = ["max_tree", "adder_tree"]


def max_tree(values, greater):
    """The maximum of ``values`` by ``greater(a, b)`` (a > b), as a balanced tree of
    compare-and-select steps."""
    values = list(values)
    while len(values) > 1:
        pairs = [Mux(greater(b, a), b, a) for a, b in zip(values[::2], values[1::2])]
        values = pairs + values[len(pairs) * 2:]
    return values[0]


def adder_tree(values):
    """The sum of ``values`` as a balanced tree of two-input adders."""
    values = list(values)
    while len(values) > 1:
        pairs = [a + b for a, b in zip(values[::2], values[1::2])]
        values = pairs + values[len(pairs) * 2:]
    return values[0]
