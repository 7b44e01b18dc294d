"""Quantities of a state that several layers need, computed once, here.

Policies, rendering, evaluation and the envs' observations read these functions rather than
the engine's index arrays. Every function takes the spec and a :class:`~inventory_zoo.core.
engine.State` of ``B`` members and returns ``[B, N]`` int64 units per node (``[B, E]`` in,
``[B, N]`` out for the edge sums), in time linear in nodes plus edges.
"""

from __future__ import annotations

import numpy as np

from inventory_zoo.core._plan import plan_of
from inventory_zoo.core.engine import State
from inventory_zoo.core.spec import SupplyChain

__all__ = [
    "sum_by_customer",
    "sum_by_supplier",
    "owed_downstream",
    "owes",
    "in_transit",
    "on_order",
    "orders_placed",
    "orders_seen",
    "installation_position",
    "echelon_position",
]


def sum_by_customer(spec: SupplyChain, x: np.ndarray) -> np.ndarray:
    """``[B, N]``: the sum of edge values ``x`` ``[B, E]`` over each node's inbound edges."""
    return plan_of(spec).by_customer(x)


def sum_by_supplier(spec: SupplyChain, x: np.ndarray) -> np.ndarray:
    """``[B, N]``: the sum of edge values ``x`` ``[B, E]`` over each node's edges to
    downstream nodes (0 for a node that supplies none)."""
    return plan_of(spec).by_supplier(x)


def owed_downstream(spec: SupplyChain, s: State) -> np.ndarray:
    """Units each node owes downstream nodes: orders received and not yet shipped."""
    return plan_of(spec).by_supplier(s.owed)


def owes(spec: SupplyChain, s: State) -> np.ndarray:
    """Units each node owes: its customers' backlog plus what it owes downstream nodes."""
    return s.backlog + plan_of(spec).by_supplier(s.owed)


def in_transit(spec: SupplyChain, s: State) -> np.ndarray:
    """Units on their way to each node (shipped, not yet arrived)."""
    return plan_of(spec).by_customer(np.add.reduce(s.pipe, 2))


def on_order(spec: SupplyChain, s: State) -> np.ndarray:
    """Units each node has ordered and not received: in transit to it, owed to it by its
    suppliers, and its orders still on their way to them."""
    inbound = np.add.reduce(s.pipe, 2) + s.owed
    if s.opipe.shape[2]:
        inbound += np.add.reduce(s.opipe, 2)
    return plan_of(spec).by_customer(inbound)


def orders_placed(spec: SupplyChain, s: State) -> np.ndarray:
    """Units each node ordered last period, over all its suppliers."""
    return plan_of(spec).by_customer(s.ordered)


def orders_seen(spec: SupplyChain, s: State, demand: np.ndarray) -> np.ndarray:
    """The latest orders each node has seen: ``demand`` ``[B, N]`` (its customers' demand, as
    the env shows it) plus the orders from downstream nodes that reached it last period."""
    return demand + plan_of(spec).by_supplier(s.received)


def installation_position(spec: SupplyChain, s: State, demand: np.ndarray | int = 0) -> np.ndarray:
    """Each node's installation inventory position at ordering time.

    On hand + on order (:func:`on_order`) - what it owes (:func:`owes`) - ``demand``, the
    customer demand already revealed and not yet served (pass ``s.demand`` when the env shows
    it before ordering, else 0). Every term is in the node's own observation.
    """
    return s.on_hand + on_order(spec, s) - owes(spec, s) - demand


def echelon_position(spec: SupplyChain, s: State, demand: np.ndarray | int = 0) -> np.ndarray:
    """Each stage's echelon inventory position at ordering time, in a serial chain.

    Stage ``i``'s echelon is stages ``0..i``: their stock on hand and the units in transit
    into them, plus what stage ``i + 1`` owes stage ``i`` and stage ``i``'s orders not yet
    received, minus the retailer's customer backlog and ``demand[:, 0]``, the demand already
    revealed (Snyder & Shen, ch. 6; REFERENCES section 3).

    Raises:
        ValueError: the network is not a serial chain.
    """
    if not spec.is_serial:
        raise ValueError("echelon positions are defined here for serial chains only (serial_v0 or a serial network)")
    local = s.on_hand + np.add.reduce(s.pipe, 2)
    outstanding = s.owed + (np.add.reduce(s.opipe, 2) if s.opipe.shape[2] else 0)
    shown = np.asarray(demand)
    retail_short = s.backlog[:, :1] + (shown[:, :1] if shown.ndim == 2 else shown)
    return np.cumsum(local, axis=1) + outstanding - retail_short
