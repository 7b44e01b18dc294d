"""Argument checks that raise errors naming the argument, the value and what is allowed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "MAX_COST",
    "MAX_DELAY",
    "MAX_PERIODS",
    "MAX_QUANTITY",
    "MAX_UNITS",
    "MIN_OBS_SCALE",
    "check_bool",
    "check_int",
    "check_quantity",
    "check_real",
    "check_seed",
    "per_node",
]

#: The largest quantity one argument may give, in units: an order (``max_order``), stock or
#: in-transit units at reset, an edge's capacity, a constant or recorded demand per period, a
#: demand rate or mean.
MAX_QUANTITY = 10**9
#: The longest lead time or order delay, in periods.
MAX_DELAY = 1_000
#: The longest episode (``max_cycles``), in periods.
MAX_PERIODS = 10**6
#: The largest cost rate: holding, backorder, in-transit, unit and fixed ordering costs, and
#: quantity-discount multipliers.
MAX_COST = 1e9
#: The smallest ``obs_scale``: observations stay far inside ``float32`` for any count.
MIN_OBS_SCALE = 1e-6
#: No count may reach this many units in an episode (2**53): below it every sum of counts is
#: exact in int64 and in float64, and every cost is finite. Envs check at construction that
#: the most units an episode could hold stay below it.
MAX_UNITS = 2**53


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_real(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as ``int`` if it is an integer in ``[low, high]``.

    Raises:
        TypeError: not an integer (bools and floats are refused).
        ValueError: out of range.
    """
    if not _is_int(value):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be an integer <= {high}, got {v}")
    return v


def check_quantity(name: str, value: Any, low: int = 0) -> int:
    """``check_int`` in ``[low, MAX_QUANTITY]``: a count of units given by the user."""
    return check_int(name, value, low=low, high=MAX_QUANTITY)


def check_seed(value: Any, name: str = "seed") -> int | None:
    """Return a seed for ``numpy.random.default_rng``: ``None`` or an integer >= 0.

    Raises:
        TypeError: not an integer (bools and floats are refused).
        ValueError: negative.
    """
    if value is None:
        return None
    if not _is_int(value):
        raise TypeError(f"{name} must be None or an integer >= 0, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise ValueError(f"{name} must be None or an integer >= 0, got {value}")
    return int(value)


def check_real(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """Return ``value`` as ``float`` if it is a finite real number within the bounds.

    Raises:
        TypeError: not a real number.
        ValueError: NaN, infinite or out of range.
    """
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {v}")
    if low is not None and (v <= low if low_open else v < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool.

    Raises:
        TypeError: anything else (0 and 1 included, to catch swapped arguments).
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def per_node(
    name: str,
    value: Any,
    n: int,
    kind: str = "real",
    low: float | None = 0,
    high: float | None = None,
) -> list:
    """Expand a scalar or a length-``n`` sequence into a list of ``n`` checked values.

    Per-stage arguments are listed downstream first (the retailer first).

    Args:
        name: argument name, for error messages.
        value: a scalar or a sequence of ``n`` scalars.
        n: number of stages.
        kind: ``"real"``, ``"int"`` or ``"bool"``.
        low, high: bounds for each element (ignored for bools).

    Raises:
        TypeError: wrong type of the argument or an element.
        ValueError: wrong length, NaN or out-of-range element.
    """
    if isinstance(value, (str, bytes, dict)) or (
        not isinstance(value, (Sequence, np.ndarray)) and not np.isscalar(value)
    ):
        raise TypeError(
            f"{name} must be a number or a sequence of {n} numbers (retailer first), "
            f"got {value!r} ({type(value).__name__})"
        )
    items = value.tolist() if isinstance(value, np.ndarray) else value
    if isinstance(items, (Sequence,)) and not isinstance(items, (str, bytes)):
        items = list(items)
        if len(items) != n:
            raise ValueError(
                f"{name} must have one value per stage ({n}, retailer first), got {len(items)}: {value!r}"
            )
    else:
        items = [items] * n
    out = []
    for i, v in enumerate(items):
        label = f"{name}[{i}]"
        if kind == "int":
            out.append(check_int(label, v, low=None if low is None else int(low), high=high))
        elif kind == "bool":
            out.append(check_bool(label, v))
        else:
            out.append(check_real(label, v, low=low, high=high))
    return out
