"""Action encodings: one order quantity per supplier, or one flat index for all of them.

A node with ``k`` suppliers orders a vector ``(q_1, ..., q_k)``, each in ``0..max_order``
(``MultiDiscrete``). With ``action_type="discrete"`` the same choice is one integer
``a = sum_j q_j * (max_order + 1) ** (k - 1 - j)`` in ``0..(max_order + 1) ** k - 1``
(``Discrete``): the first supplier is the most significant digit, as in Liu et al.'s 2x3
network, where ``a = 5 * q_1 + q_2``.

>>> unflatten_actions(np.array([7, 24]), num_suppliers=2, max_order=4)
array([[1, 2],
       [4, 4]])
>>> flatten_actions(np.array([[1, 2], [4, 4]]), max_order=4)
array([ 7, 24])
"""

from __future__ import annotations

import numpy as np

__all__ = ["ACTION_TYPES", "flatten_actions", "unflatten_actions"]

ACTION_TYPES = ("multidiscrete", "discrete")


def _as_int_array(actions: np.ndarray | list | int, what: str) -> np.ndarray:
    a = np.asarray(actions)
    if a.dtype.kind in "iu":
        return a.astype(np.int64, copy=False)
    if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        return a.astype(np.int64)
    raise ValueError(f"{what} must be integers, got {actions!r}")


def out_of_range(act: np.ndarray, top: int) -> bool:
    """Whether any entry of the integer array ``act`` is negative or above ``top``.

    One reduction checks both bounds: seen as unsigned, a negative value is huge.
    """
    if act.dtype.kind == "i":
        act = act.view(act.dtype.str.replace("i", "u"))
    return bool(act.size) and act.max() > top


def unflatten_actions(flat: np.ndarray | list | int, num_suppliers: int, max_order: int) -> np.ndarray:
    """Per-supplier orders ``[..., num_suppliers]`` of flat action indices ``[...]``.

    Raises:
        ValueError: non-integer indices, or indices outside ``0..(max_order + 1) ** k - 1``.
    """
    a = _as_int_array(flat, "flattened actions")
    base = max_order + 1
    n = base**num_suppliers
    if a.size and (a.min() < 0 or a.max() >= n):
        raise ValueError(
            f"flattened actions must be in 0..{n - 1} ((max_order + 1) ** {num_suppliers}), "
            f"got values {int(a.min())}..{int(a.max())}"
        )
    powers = base ** np.arange(num_suppliers - 1, -1, -1, dtype=np.int64)
    return (a[..., None] // powers) % base


def flatten_actions(per_supplier: np.ndarray | list, max_order: int) -> np.ndarray:
    """Flat action indices ``[...]`` of per-supplier orders ``[..., k]`` (the inverse map).

    Raises:
        ValueError: non-integer orders, or orders outside ``0..max_order``.
    """
    q = _as_int_array(per_supplier, "per-supplier orders")
    if q.ndim == 0:
        raise ValueError("per-supplier orders need a last axis of one entry per supplier")
    if q.size and (q.min() < 0 or q.max() > max_order):
        raise ValueError(f"orders must be in 0..{max_order}, got values {int(q.min())}..{int(q.max())}")
    base = max_order + 1
    powers = base ** np.arange(q.shape[-1] - 1, -1, -1, dtype=np.int64)
    return q @ powers
