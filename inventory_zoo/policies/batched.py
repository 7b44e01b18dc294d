"""Helpers shared by the parameterised heuristics: parameters given per agent or per batch row,
the mean demand an agent can expect, and each agent's replenishment lead time.

A heuristic's parameter may be one number for every agent, a sequence with one value per agent
(retailer first), or a ``[B, N]`` array with one row per batch member. The last form is what lets
:func:`~inventory_zoo.policies.tune` simulate many candidate parameter vectors side by side, as
the rows of one :class:`~inventory_zoo.envs.vector.VectorEnv`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["batch_param", "check_param", "mean_customer_demand", "replenishment_lead_times"]


def check_param(
    name: str, value: Any, low: float | None = None, high: float | None = None, integer: bool = False
) -> Any:
    """Check a scalar, per-agent sequence or ``[B, N]`` array parameter without knowing ``B, N``.

    Returns:
        ``value`` unchanged (scalars as Python numbers, arrays as float or int64 numpy arrays).

    Raises:
        TypeError: not a number or an array of numbers (bools refused; non-integers refused when
            ``integer``).
        ValueError: NaN, infinite, out of ``[low, high]`` or more than 2 dimensions.
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf" or arr.dtype == bool:
        raise TypeError(f"{name} must be a number, one per agent, or a [batch, agents] array; got {value!r}")
    if arr.ndim > 2 or arr.size == 0:
        raise ValueError(
            f"{name} must be a number, one per agent, or a [batch, agents] array; got shape {arr.shape}"
        )
    if integer and arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise TypeError(f"{name} must be integers, got {value!r}")
        arr = arr.astype(np.int64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and np.any(arr < low):
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    if high is not None and np.any(arr > high):
        raise ValueError(f"{name} must be <= {high}, got {value!r}")
    return arr.item() if arr.ndim == 0 else arr


def batch_param(name: str, value: Any, B: int, N: int) -> np.ndarray:
    """``value`` (checked by :func:`check_param`) broadcast to ``[B, N]`` float64.

    Raises:
        ValueError: a sequence of the wrong length or an array of the wrong shape.
    """
    arr = np.asarray(value, np.float64)
    if arr.ndim == 1 and arr.shape[0] != N:
        raise ValueError(f"{name}: give one value for all agents or one per agent ({N}), got {arr.shape[0]}")
    if arr.ndim == 2 and arr.shape != (B, N):
        raise ValueError(f"{name}: a 2-D array must be [batch={B}, agents={N}], got {list(arr.shape)}")
    return np.broadcast_to(arr, (B, N))


def mean_customer_demand(spec: Any, paths: int = 16) -> float:
    """Mean customer demand per period at one demand node (the mean over the demand nodes).

    A demand process without a closed-form mean (e.g. ``Merton``) is sampled with a fixed seed:
    ``paths`` paths of 64 periods.
    """
    means = []
    for node in spec.nodes:
        if node.demand is not None:
            m = node.demand.mean
            if m is None:
                m = float(node.demand.sample(np.random.default_rng(0), paths, 64).mean())
            means.append(float(m))
    return float(np.mean(means)) if means else 0.0


def replenishment_lead_times(spec: Any) -> np.ndarray:
    """``[N]`` periods from placing an order to receiving it, per agent: the longest (mean)
    shipping lead time plus order delay over the agent's inbound edges."""
    a = spec.params
    out = np.zeros(a.num_nodes)
    for n in range(a.num_nodes):
        out[n] = max(spec.edges[e].lead_time.mean + spec.edges[e].order_delay for e in a.in_edges(n))
    return out
