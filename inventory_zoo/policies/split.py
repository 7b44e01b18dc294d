"""Split rules: how a node with several suppliers divides the quantity it wants to order.

A heuristic decides a total ``q`` per agent; a multi-sourcing node's action is one quantity per
supplier (its inbound edges, in edge order), each at most ``max_order``. The rules:

- ``"first"``: everything from the first supplier (what every single-sourcing rule does).
- ``"fractions"``: supplier ``j`` gets ``w_j * q`` for fixed weights ``w`` (one per supplier
  slot, summing to 1, or a ``[B, k]`` array with one row per batch member; a node with fewer
  suppliers renormalises the weights of its slots), rounded so the parts add up to ``q`` (largest remainders first), then
  each part capped at ``max_order``.
- ``"cheapest"``: cheapest-available-first. The suppliers are ranked by unit cost (ties: the
  shorter lead time, then edge order). Going down the ranking, each gets what it can ship now,
  ``min(max_order, its on hand - what it owes)`` (an outside supplier: ``max_order``); what is
  still wanted then goes, in the same order, to the suppliers' unused ``max_order``. This reads
  the suppliers' stock, so a policy using it reads the full state.

With one supplier per node all rules give the same ``[B, N]`` actions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from inventory_zoo.core import quantities

__all__ = ["SPLIT_RULES", "split_orders", "check_split"]

SPLIT_RULES = ("first", "fractions", "cheapest")


def check_split(split: Any, fractions: Any) -> tuple[str, np.ndarray | None]:
    """Check a split rule and its weights.

    Raises:
        ValueError: an unknown rule, or weights that are missing, negative or do not sum to 1.
    """
    if split not in SPLIT_RULES:
        raise ValueError(f"split={split!r} is not allowed; use one of {SPLIT_RULES}")
    if split != "fractions":
        if fractions is not None:
            raise ValueError(f"fractions are used only with split='fractions', got split={split!r}")
        return split, None
    w = np.asarray(fractions, np.float64) if fractions is not None else np.zeros(0)
    if (
        w.ndim not in (1, 2)
        or w.shape[-1] < 1
        or not np.all(np.isfinite(w))
        or np.any(w < 0)
        or np.any(np.abs(w.sum(-1) - 1) > 1e-9)
    ):
        raise ValueError(
            f"fractions must be one weight >= 0 per supplier summing to 1 (or one such row per batch "
            f"member); got {fractions!r}"
        )
    return split, w


def _slots(p: Any, k: int) -> np.ndarray:
    """``[N, k]`` each node's inbound edge in action slot ``j`` (-1 where it has fewer)."""
    out = np.full((p.num_nodes, k), -1, np.int64)
    for n in range(p.num_nodes):
        e = p.in_edges(n)
        out[n, : len(e)] = e
    return out


def split_orders(
    q: np.ndarray, env: Any, split: str = "first", fractions: np.ndarray | None = None
) -> np.ndarray:
    """The env's actions for totals ``q`` ``[B, N]`` under a split rule (see the module doc).

    Returns:
        ``[B, N]`` int64 when every node has one supplier, else ``[B, N, k]``.
    """
    q = np.asarray(q, np.int64)
    k = env.batch.max_in
    cap = env.max_order
    if k == 1:
        return np.minimum(q, cap)
    p = env.spec.params
    slots = _slots(p, k)
    valid = slots >= 0  # [N, k]
    out = np.zeros(q.shape + (k,), np.int64)
    if split == "first":
        out[..., 0] = np.minimum(q, cap)
        return out
    if split == "fractions":
        fr = np.asarray(fractions, np.float64)
        w = np.zeros(fr.shape[:-1] + (k,))
        m = min(k, fr.shape[-1])
        w[..., :m] = fr[..., :m]
        w = np.where(valid, w[..., None, :], 0.0)  # [N, k] or [B, N, k]
        tot = w.sum(-1, keepdims=True)
        w = np.where(tot > 0, w / np.where(tot > 0, tot, 1), valid / valid.sum(1, keepdims=True))
        raw = q[..., None] * w  # [B, N, k]
        base = np.floor(raw).astype(np.int64)
        short = q - base.sum(-1)  # units still to place, < number of slots
        rank = np.argsort(np.argsort(-(raw - base), axis=-1, kind="stable"), axis=-1)
        base += (rank < short[..., None]) & valid
        return np.minimum(base, cap)
    # cheapest-available-first
    lead = p.lead_time
    edge = np.where(valid, slots, 0)
    key = np.where(valid, p.unit_cost[edge] * 1e6 + lead[edge] + np.arange(k) * 1e-3, np.inf)
    order = np.argsort(key, axis=1)  # [N, k] slots by preference
    s = env.engine_state
    free = np.maximum(s.on_hand - quantities.owes(env.spec, s), 0)  # [B, N]
    sup = p.supplier[edge]  # [N, k]
    avail = np.where(sup >= 0, free[:, np.maximum(sup, 0)], cap)  # [B, N, k]
    avail = np.where(valid, np.minimum(avail, cap), 0)
    left = q.copy()
    rows = np.arange(p.num_nodes)
    room_all = np.broadcast_to(np.where(valid, cap, 0), avail.shape)
    for limit in (avail, room_all):  # first what suppliers can ship now, then any room left
        for j in range(k):
            slot = order[:, j]  # [N]
            take = np.minimum(left, np.maximum(limit[:, rows, slot] - out[:, rows, slot], 0))
            out[:, rows, slot] += take
            left -= take
    return out
