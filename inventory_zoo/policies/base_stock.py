"""Installation and echelon base-stock policies.

An order-up-to (base-stock) policy orders, every period, what lifts an inventory position to
its level ``S``: ``q = max(0, S - IP)``, capped at the env's ``max_order``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from inventory_zoo.core import quantities
from inventory_zoo.core.validation import per_node
from inventory_zoo.policies.base import Policy

__all__ = [
    "BaseStock",
    "EchelonBaseStock",
    "installation_position",
    "echelon_position",
    "orders_up_to",
]


def _visible_demand(env: Any) -> np.ndarray:
    s = env.engine_state
    return s.demand if env.batch.demand_visible else np.zeros_like(s.demand)


def installation_position(env: Any) -> np.ndarray:
    """``[B, N]`` installation inventory position of every node, at ordering time.

    On hand + in transit to it + owed to it by its suppliers + its orders not yet received by
    them - what it owes (customer backlog and downstream orders) - the customer demand just
    revealed (when the env shows it). Every term is in the node's own observation.
    """
    return quantities.installation_position(env.spec, env.engine_state, _visible_demand(env))


def echelon_position(env: Any) -> np.ndarray:
    """``[B, N]`` echelon inventory position of every stage of a serial chain.

    Stage i's echelon is stages 0..i: their on-hand stock and the units in transit into them,
    plus what stage i+1 owes stage i and stage i's orders not yet received, minus the
    retailer's customer backlog and the demand just revealed (when shown). See
    REFERENCES/Snyder & Shen ch. 6.

    Raises:
        ValueError: the env is not a serial chain.
    """
    return quantities.echelon_position(env.spec, env.engine_state, _visible_demand(env))


def _first_supplier_orders(q: np.ndarray, env: Any) -> np.ndarray:
    """Agent order totals ``[B, N]`` as actions: all from the first supplier."""
    b = env.batch
    if b.max_in == 1:
        return q
    out = np.zeros(q.shape + (b.max_in,), np.int64)
    out[..., 0] = q
    return out


def orders_up_to(levels: np.ndarray, env: Any, position: str = "installation") -> np.ndarray:
    """Actions that lift each agent's inventory position to ``levels``, all agents at once.

    The order-up-to parameterisation of a learned policy: it chooses a level per agent and
    period, and the order is ``clip(level - IP, 0, max_order)``. No agent sees its customers'
    orders of the same period (unlike ``BaseStock(sequential=True)``).

    Args:
        levels: ``[B, N]`` levels (any real dtype; rounded to the nearest integer).
        env: a ParallelEnv or VectorEnv of this library (reads its engine state).
        position: ``"installation"`` (each agent's own position, in its observation) or
            ``"echelon"`` (serial chains only; needs the full state).

    Returns:
        The env's actions, ``[B, N]`` (or ``[B, N, S]`` when some node has ``S > 1``
        suppliers: everything from the first supplier), int64.

    Raises:
        ValueError: an unknown ``position``, or ``"echelon"`` on a non-serial env.
    """
    if position == "installation":
        ip = installation_position(env)
    elif position == "echelon":
        ip = echelon_position(env)
    else:
        raise ValueError(f"position must be 'installation' or 'echelon', got {position!r}")
    q = np.clip(np.rint(np.asarray(levels, np.float64)) - ip, 0, env.max_order).astype(np.int64)
    return _first_supplier_orders(q, env)


def _as_levels(levels: Any, n: int, name: str) -> np.ndarray:
    """``[N]`` levels (scalar or per agent), or a ``[B, N]`` array (one row per batch member)."""
    arr = np.asarray(levels)
    if arr.ndim == 2:
        if arr.shape[1] != n or arr.dtype.kind not in "iu" or np.any(arr < 0):
            raise ValueError(f"{name}: a 2-D levels array must be [batch, {n}] of integers >= 0")
        return arr.astype(np.int64)
    return np.asarray(per_node(f"{name} levels", levels, n, kind="int", low=0), np.int64)


class _OrderUpTo(Policy):
    def __init__(self, levels: Sequence[int] | int | np.ndarray, name: str) -> None:
        self.levels = levels
        self._name = name

    def _levels(self, n: int) -> np.ndarray:
        return _as_levels(self.levels, n, self._name)

    def _orders(self, position: np.ndarray, env: Any) -> np.ndarray:
        S = self._levels(position.shape[1])
        return _first_supplier_orders(np.clip(S - position, 0, env.max_order), env)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.levels!r})"


class BaseStock(_OrderUpTo):
    """Installation base-stock: each agent orders up to its own level ``S_i``.

    Each agent's installation position is computable from its own observation. With
    ``sequential=True`` (default) the agents are served customers-first within the period, so
    that a supplier also counts the orders its customers place this period on edges without
    order delay (they reach it this period): this is the textbook installation policy, which in
    a serial chain equals echelon base-stock at levels ``S_i - S_{i-1}``. With
    ``sequential=False`` each agent uses only its own observation (a decentralised policy that
    learns of its customers' orders one period later). With several suppliers it orders from
    the first one.

    Args:
        levels: ``S_i`` per agent (retailer first), one level for all, or a ``[B, N]`` array.
        sequential: count this period's customer orders (see above).
    """

    def __init__(self, levels: Sequence[int] | int | np.ndarray, sequential: bool = True) -> None:
        super().__init__(levels, "BaseStock")
        self.sequential = bool(sequential)
        self.needs_state = self.sequential

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        position = installation_position(env)
        if not self.sequential:
            return self._orders(position, env)
        p = env.spec.params
        S = self._levels(position.shape[1])
        q = np.zeros_like(position)
        pending = np.zeros_like(position)
        for n in p.upstream_first[::-1]:  # customers before their suppliers
            q[:, n] = np.clip(S[..., n] - (position[:, n] - pending[:, n]), 0, env.max_order)
            # Orders on zero-delay edges reach the supplier now; count them there.
            e = p.in_edges(n)[0]  # (everything is ordered from the first supplier)
            if p.supplier[e] >= 0 and p.order_delay[e] == 0:
                pending[:, p.supplier[e]] += q[:, n]
        return _first_supplier_orders(q, env)


class EchelonBaseStock(_OrderUpTo):
    """Echelon base-stock for serial chains: stage i orders up to echelon level ``S_i``.

    Optimal for the Clark-Scarf serial model at the levels of
    :func:`~inventory_zoo.policies.optimal_serial_base_stock`. Needs the full state: an
    echelon position sums stock across stages.

    Args:
        levels: echelon levels ``S_i`` per stage, retailer first.
    """

    needs_state = True

    def __init__(self, levels: Sequence[int] | int | np.ndarray) -> None:
        super().__init__(levels, "EchelonBaseStock")

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        return self._orders(echelon_position(env), env)
