"""Installation and echelon base-stock policies.

An order-up-to (base-stock) policy orders, every period, what lifts an inventory position to
its level ``S``: ``q = max(0, S - IP)``, capped at the env's ``max_order``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from inventory_zoo.core.validation import per_node
from inventory_zoo.policies.base import Policy

__all__ = ["BaseStock", "EchelonBaseStock", "installation_position", "echelon_position"]


def _visible_demand(env: Any) -> np.ndarray:
    s = env.engine_state
    return s.demand if env.batch.demand_visible else np.zeros_like(s.demand)


def installation_position(env: Any) -> np.ndarray:
    """``[B, N]`` installation inventory position of every node, at ordering time.

    On hand + in transit to it + owed to it by its suppliers + its orders not yet received by
    them - what it owes (customer backlog and downstream orders) - the customer demand just
    revealed (when the env shows it). Every term is in the node's own observation.
    """
    s, a = env.engine_state, env.spec.arrays
    inbound = s.pipe.sum(2) + s.owed + (s.opipe.sum(2) if a["D_max"] else 0)
    return s.on_hand + inbound @ a["cin"] - s.backlog - s.owed @ a["sout"] - _visible_demand(env)


def echelon_position(env: Any) -> np.ndarray:
    """``[B, N]`` echelon inventory position of every stage of a serial chain.

    Stage i's echelon is stages 0..i: their on-hand stock and the units in transit into them,
    plus what stage i+1 owes stage i and stage i's orders not yet received, minus the
    retailer's customer backlog and the demand just revealed (when shown). See
    REFERENCES/Snyder & Shen ch. 6.

    Raises:
        ValueError: the env is not a serial chain.
    """
    a = env.spec.arrays
    if not a["serial_like"]:
        raise ValueError(
            "echelon positions are defined here for serial chains only (serial_v0 or a serial network)"
        )
    s = env.engine_state
    local = s.on_hand + s.pipe.sum(2)
    outstanding = s.owed + (s.opipe.sum(2) if a["D_max"] else 0)
    retail_short = s.backlog[:, :1] + _visible_demand(env)[:, :1]
    return np.cumsum(local, axis=1) + outstanding - retail_short


class _OrderUpTo(Policy):
    def __init__(self, levels: Sequence[int] | int, name: str) -> None:
        self.levels = levels
        self._name = name

    def _levels(self, n: int) -> np.ndarray:
        return np.asarray(per_node(f"{self._name} levels", self.levels, n, kind="int", low=0), np.int64)

    def _orders(self, position: np.ndarray, env: Any) -> np.ndarray:
        S = self._levels(position.shape[1])
        q = np.clip(S - position, 0, env.max_order)
        b = env.batch
        if b.max_in == 1:
            return q
        out = np.zeros(q.shape + (b.max_in,), np.int64)
        out[..., 0] = q  # multi-sourcing: everything from the first supplier
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.levels!r})"


class BaseStock(_OrderUpTo):
    """Installation base-stock: each agent orders up to its own level ``S_i``.

    Uses only what the agent observes (its installation inventory position). With several
    suppliers it orders from the first one.

    Args:
        levels: ``S_i`` per agent (retailer first), or one level for all.
    """

    needs_state = False

    def __init__(self, levels: Sequence[int] | int) -> None:
        super().__init__(levels, "BaseStock")

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        return self._orders(installation_position(env), env)


class EchelonBaseStock(_OrderUpTo):
    """Echelon base-stock for serial chains: stage i orders up to echelon level ``S_i``.

    Optimal for the Clark-Scarf serial model at the levels of
    :func:`~inventory_zoo.policies.optimal_serial_base_stock`. Needs the full state: an
    echelon position sums stock across stages.

    Args:
        levels: echelon levels ``S_i`` per stage, retailer first.
    """

    needs_state = True

    def __init__(self, levels: Sequence[int] | int) -> None:
        super().__init__(levels, "EchelonBaseStock")

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        return self._orders(echelon_position(env), env)
