"""Parameters as data: one description per parameter (name, limits, default, help), the single
source that the golden models, the hardware constructors, the design registry's parameter classes
and the command line all take their rule from.

``IntParam("bc", 1, 4096, "keys per block", 64).check(v)`` returns ``v`` or raises ``ValueError``
naming the value and the allowed range; ``parse(text)`` turns a command-line string into a value
(the registry's parameter class then checks it).
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
    default: int | None = None

    @property
    def allowed(self) -> str:
        return f"integers {self.lo}..{self.hi}"

    def check(self, value):
        if not isinstance(value, int) or isinstance(value, bool) or not self.lo <= value <= self.hi:
            raise ValueError(f"{self.name}={value!r} is not allowed; allowed: {self.allowed}")
        return value

    def parse(self, text: str) -> int:
        """A command-line string as an integer (decimal or 0x-hex), not yet checked."""
        try:
            return int(text, 0)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name}={text!r} is not an integer; allowed: {self.allowed}") from None


@dataclass(frozen=True)
class ChoiceParam:
    """A parameter whose value is one of ``choices`` (strings); the default is the first choice
    unless given."""

    name: str
    choices: tuple
    doc: str = ""
    default: str | None = None

    def __post_init__(self):
        if self.default is None:
            object.__setattr__(self, "default", self.choices[0])

    @property
    def allowed(self) -> str:
        return ", ".join(map(str, self.choices))

    def check(self, value):
        if value not in self.choices:
            raise ValueError(f"{self.name}={value!r} is not allowed; allowed: {self.allowed}")
        return value

    def parse(self, text: str):
        """A command-line string as a value, not yet checked."""
        return text


Param = IntParam | ChoiceParam
