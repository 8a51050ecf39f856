"""The design registry (``registry``) and one module per design family, each registering itself.

Every module of this package is imported here, in alphabetical order, so a new design is a new
module that calls ``register`` and nothing else (``docs/architecture.md``)."""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

from .registry import DESIGNS, Config, Design, all_configs, get_design, parse_params  # noqa: E402, F401
