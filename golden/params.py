"""Parameters as data: one description per parameter (name, type, limits), the single source of
limits that the golden models, the hardware constructors and the command line all validate with.

``IntParam("bc", 1, 4096).check(v)`` returns ``v`` or raises ``ValueError`` naming the value and
the allowed range; ``parse(text)`` turns a command-line string into a checked value.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IntParam", "ChoiceParam", "Param"]


@dataclass(frozen=True)
class IntParam:
    """An integer parameter in ``lo..hi`` (bool is not an integer here)."""

    name: str
    lo: int
    hi: int
    doc: str = ""

    @property
    def allowed(self) -> str:
        return f"integers {self.lo}..{self.hi}"

    def check(self, value):
        if not isinstance(value, int) or isinstance(value, bool) or not self.lo <= value <= self.hi:
            raise ValueError(f"{self.name}={value!r} is not allowed; allowed: {self.allowed}")
        return value

    def parse(self, text: str) -> int:
        try:
            value = int(text, 0)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name}={text!r} is not an integer; allowed: {self.allowed}") from None
        return self.check(value)


@dataclass(frozen=True)
class ChoiceParam:
    """A parameter whose value is one of ``choices`` (strings)."""

    name: str
    choices: tuple
    doc: str = ""

    @property
    def allowed(self) -> str:
        return ", ".join(map(str, self.choices))

    def check(self, value):
        if value not in self.choices:
            raise ValueError(f"{self.name}={value!r} is not allowed; allowed: {self.allowed}")
        return value

    def parse(self, text: str):
        return self.check(text)


Param = IntParam | ChoiceParam
