"""The supply-chain spec: nodes, edges and options, validated when built.

A :class:`SupplyChain` is frozen. Building one checks every value and derives the index arrays
the engine uses, so an invalid spec never exists. Units are integer; costs are per unit per
period unless stated otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from inventory_zoo.core.demand import DemandProcess, as_demand
from inventory_zoo.core.leadtime import LeadTime, as_lead_time
from inventory_zoo.core.params import EngineParams, build_params
from inventory_zoo.core.topology import check_topology
from inventory_zoo.core.validation import (
    MAX_COST,
    MAX_DELAY,
    MAX_QUANTITY,
    MAX_UNITS,
    check_bool,
    check_int,
    check_quantity,
    check_real,
)

__all__ = ["Node", "Edge", "SupplyChain", "ALLOCATIONS"]

ALLOCATIONS = ("priority", "proportional")


@dataclass(frozen=True)
class Node:
    """A stocking point, played by one agent.

    Args:
        name: unique name; also the agent's name.
        holding_cost: ``h'``, cost per unit on hand at the end of a period.
        backorder_cost: ``p`` (or ``b``), cost per unit of backlog this node owes at the end of a
            period (to customers and to downstream nodes); at a lost-sales node, the penalty per
            unit of demand lost.
        lost_sales: if True, demand this node cannot meet from stock (customer demand and
            downstream orders alike) is lost instead of backlogged.
        initial_inventory: units on hand at reset.
        demand: the customer demand process at this node, or ``None`` if no customers buy here.
    """

    name: str
    holding_cost: float = 0.0
    backorder_cost: float = 0.0
    lost_sales: bool = False
    initial_inventory: int = 0
    demand: DemandProcess | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"node name must be a non-empty string, got {self.name!r}")
        check_real(f"node {self.name!r}: holding_cost", self.holding_cost, low=0.0, high=MAX_COST)
        check_real(f"node {self.name!r}: backorder_cost", self.backorder_cost, low=0.0, high=MAX_COST)
        check_bool(f"node {self.name!r}: lost_sales", self.lost_sales)
        check_quantity(f"node {self.name!r}: initial_inventory", self.initial_inventory)
        if self.demand is not None:
            object.__setattr__(self, "demand", as_demand(self.demand, f"node {self.name!r}: demand"))


@dataclass(frozen=True)
class Edge:
    """A supply link: ``supplier`` ships to ``customer`` against the customer's orders.

    Args:
        supplier: the shipping node's name, or ``None`` for an outside supplier with unlimited
            stock (a node may have several outside suppliers, e.g. a fast and a slow one).
        customer: the ordering node's name.
        lead_time: shipping lead time ``L`` in periods (>= 1), fixed (int) or random
            (``{periods: probability}`` or :class:`LeadTime`). Sent in ``t``, received in ``t+L``.
        order_delay: periods before an order placed now reaches the supplier (0: it ships
            against it in the same period).
        unit_cost: cost per unit ordered (or shipped, see ``SupplyChain.order_cost_basis``),
            charged to the customer.
        fixed_cost: cost per period in which a non-zero quantity is ordered (or shipped, see
            ``SupplyChain.fixed_cost_basis``), charged to the customer.
        pipeline_holding_cost: cost per unit in transit on this edge at the end of a period,
            charged to the customer.
        capacity: most units shipped on this edge per period (``None``: unlimited); the rest
            stays owed.
        priority: rank of this customer when the supplier is short and allocates by priority
            (lower first; customer demand at the supplier itself always comes first).
        initial_pipeline: units in every in-transit slot at reset (the first ``L`` slots; for a
            random lead time, the first ``round(mean)`` slots).
        initial_orders: units in every order-delay slot at reset.
    """

    supplier: str | None
    customer: str
    lead_time: LeadTime | int | dict = 1
    order_delay: int = 0
    unit_cost: float = 0.0
    fixed_cost: float = 0.0
    pipeline_holding_cost: float = 0.0
    capacity: int | None = None
    priority: int = 0
    initial_pipeline: int = 0
    initial_orders: int = 0

    def __post_init__(self) -> None:
        label = f"edge {self.supplier!r}->{self.customer!r}"
        if self.supplier is not None and (not isinstance(self.supplier, str) or not self.supplier):
            raise TypeError(f"{label}: supplier must be a node name or None, got {self.supplier!r}")
        if not isinstance(self.customer, str) or not self.customer:
            raise TypeError(f"{label}: customer must be a node name, got {self.customer!r}")
        object.__setattr__(self, "lead_time", as_lead_time(self.lead_time, f"{label}: lead_time"))
        check_int(f"{label}: order_delay", self.order_delay, low=0, high=MAX_DELAY)
        check_real(f"{label}: unit_cost", self.unit_cost, low=0.0, high=MAX_COST)
        check_real(f"{label}: fixed_cost", self.fixed_cost, low=0.0, high=MAX_COST)
        check_real(f"{label}: pipeline_holding_cost", self.pipeline_holding_cost, low=0.0, high=MAX_COST)
        if self.capacity is not None:
            check_quantity(f"{label}: capacity", self.capacity)
        check_int(f"{label}: priority", self.priority, low=-(2**31), high=2**31 - 1)
        check_quantity(f"{label}: initial_pipeline", self.initial_pipeline)
        check_quantity(f"{label}: initial_orders", self.initial_orders)


@dataclass(frozen=True)
class SupplyChain:
    """A validated supply network: the engine's input.

    Args:
        nodes: the stocking points; their order is the agents' order.
        edges: the supply links; a node's inbound edges, in this order, are its action's entries.
        allocation: how a short supplier splits its stock among claims: ``"priority"`` (customer
            demand first, then downstream nodes by ``Edge.priority``, ties by edge order) or
            ``"proportional"`` (in proportion to each claim, rounded down, the remainder by
            priority).
        order_cost_basis: ``"ordered"`` charges ``unit_cost`` (and, unless
            ``fixed_cost_basis`` says otherwise, ``fixed_cost``) on the quantity ordered when
            it is placed; ``"shipped"`` on what the supplier ships on the edge that period.
        fixed_cost_basis: ``"ordered"`` or ``"shipped"``: what must be non-zero for
            ``fixed_cost`` to be charged; ``None`` (default): the same as ``order_cost_basis``.
            (Liu et al. charge discounted unit costs on orders and the fixed cost on shipments.)
        quantity_discounts: all-units price breaks ``((min_qty, multiplier), ...)``: an order of
            ``q`` pays ``unit_cost * q * multiplier`` of the largest ``min_qty <= q``.
        shipping_loss: the most that can be lost in transit, a whole number of percent in
            ``[0, 0.99]``: an arrival of ``a`` units keeps ``floor(a * (1 - u / 100))`` of them,
            ``u`` uniform on ``0..100 * shipping_loss`` and drawn anew for every edge and
            period (Liu et al.'s random shipping loss). The kept amount rounds down, so a small
            arrival can be lost whole (one unit at ``u >= 1``).
    """

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    allocation: Literal["priority", "proportional"] = "priority"
    order_cost_basis: Literal["ordered", "shipped"] = "ordered"
    fixed_cost_basis: Literal["ordered", "shipped"] | None = None
    quantity_discounts: tuple[tuple[int, float], ...] = ()
    shipping_loss: float = 0.0
    _params: EngineParams = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.nodes, Sequence) or not all(isinstance(n, Node) for n in self.nodes):
            raise TypeError("nodes must be a sequence of Node")
        if not isinstance(self.edges, Sequence) or not all(isinstance(e, Edge) for e in self.edges):
            raise TypeError("edges must be a sequence of Edge")
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "edges", tuple(self.edges))
        if not self.nodes:
            raise ValueError("a supply chain needs at least one node")
        if self.allocation not in ALLOCATIONS:
            raise ValueError(f"allocation={self.allocation!r} is not allowed; use one of {ALLOCATIONS}")
        if self.order_cost_basis not in ("ordered", "shipped"):
            raise ValueError(
                f"order_cost_basis={self.order_cost_basis!r} is not allowed; use 'ordered' or 'shipped'"
            )
        if self.fixed_cost_basis not in (None, "ordered", "shipped"):
            raise ValueError(
                f"fixed_cost_basis={self.fixed_cost_basis!r} is not allowed; use None, 'ordered' or 'shipped'"
            )
        loss = check_real("shipping_loss", self.shipping_loss, low=0.0, high=0.99)
        if abs(100 * loss - round(100 * loss)) > 1e-9:
            raise ValueError(
                f"shipping_loss must be a whole number of percent (0.0, 0.01, ..., 0.99), got {loss!r}"
            )
        self._check_discounts()
        self._build_params()

    # ------------------------------------------------------------------ validation
    def _check_discounts(self) -> None:
        qd = self.quantity_discounts
        try:
            pairs = tuple((b[0], b[1]) for b in qd)
        except (TypeError, IndexError):
            raise TypeError(f"quantity_discounts must be ((min_qty, multiplier), ...), got {qd!r}") from None
        last = -1
        for q, m in pairs:
            check_quantity("quantity_discounts min_qty", q)
            check_real("quantity_discounts multiplier", m, low=0.0, high=MAX_COST)
            if q <= last:
                raise ValueError(f"quantity_discounts must have increasing min_qty, got {qd!r}")
            last = q
        object.__setattr__(self, "quantity_discounts", pairs)

    def _build_params(self) -> None:
        names = [n.name for n in self.nodes]
        sup, cust, upstream_first = check_topology(
            names,
            [e.supplier for e in self.edges],
            [e.customer for e in self.edges],
            [n.demand is not None for n in self.nodes],
        )
        object.__setattr__(self, "_params", build_params(self, sup, cust, upstream_first))

    @property
    def params(self) -> EngineParams:
        """The engine's parameters: named, documented arrays (read-only)."""
        return self._params

    @property
    def num_nodes(self) -> int:
        return len(self.nodes)

    @property
    def num_edges(self) -> int:
        return len(self.edges)

    @property
    def node_names(self) -> list[str]:
        return [n.name for n in self.nodes]

    def units_bound(self, max_order: int, periods: int) -> int:
        """The most units any count of an episode could reach (an upper bound), in units.

        Stock and in-transit units never exceed the initial units plus every order from
        outside; what a node owes never exceeds the orders it received plus the demand it
        faced. So every count stays below: initial units and orders, plus ``periods`` times
        (``max_order`` on every edge plus each demand node's ``upper_bound``, or
        ``MAX_QUANTITY`` where a custom process has none).
        """
        p = self._params
        start = int(p.initial_inventory.sum() + p.initial_pipeline.sum() + p.initial_orders.sum())
        demand = sum(
            (n.demand.upper_bound if n.demand.upper_bound is not None else MAX_QUANTITY)
            for n in self.nodes
            if n.demand is not None
        )
        return start + periods * (self.num_edges * int(max_order) + int(demand))

    def check_units_bound(self, max_order: int, periods: int) -> None:
        """Raise ``ValueError`` when :meth:`units_bound` reaches ``MAX_UNITS`` (2**53), beyond
        which sums of counts would no longer be exact in float64."""
        bound = self.units_bound(max_order, periods)
        if bound >= MAX_UNITS:
            raise ValueError(
                f"max_order={max_order} and max_cycles={periods} let an episode of this network hold up "
                f"to {bound:.3g} units; every count must stay below MAX_UNITS = 2**53 (so that sums "
                "are exact in int64 and float64): lower max_order or max_cycles"
            )

    def in_edges(self, node: int) -> np.ndarray:
        """Indices of the edges a node orders on (its action's entries, in order)."""
        return self._params.in_edges(node)

    def out_edges(self, node: int) -> np.ndarray:
        """Indices of the edges on which a node ships to downstream nodes, in edge order."""
        return self._params.out_edges(node)

    @property
    def is_serial(self) -> bool:
        """Whether the network is a serial chain in serial_v0's layout (see ``EngineParams``)."""
        return self._params.is_serial

    def __getstate__(self) -> dict:
        return {
            k: getattr(self, k)
            for k in (
                "nodes",
                "edges",
                "allocation",
                "order_cost_basis",
                "fixed_cost_basis",
                "quantity_discounts",
                "shipping_loss",
            )
        }

    def __setstate__(self, state: dict) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        self._build_params()
