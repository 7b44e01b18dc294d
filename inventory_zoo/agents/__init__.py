"""Reference learners. They need torch (``pip install inventory-zoo[train]``).

This is the only package of inventory-zoo that imports torch; ``import inventory_zoo`` never
does. Its modules are loaded on first use::

    from inventory_zoo.agents import happo
    result = happo.train(happo.Args(env="serial_v0", preset="liu2022"))
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["happo"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:  # pragma: no cover - depends on the install
            if e.name == "torch":
                raise ImportError(
                    f"inventory_zoo.agents.{name} needs torch: pip install 'inventory-zoo[train]'"
                ) from e
            raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
