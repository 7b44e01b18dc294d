"""The supply-chain spec: nodes, edges and options, validated when built.

A :class:`SupplyChain` is frozen. Building one checks every value and derives the index arrays
the engine uses, so an invalid spec never exists. Units are integer; costs are per unit per
period unless stated otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from inventory_zoo.core.demand import DemandProcess, as_demand
from inventory_zoo.core.leadtime import LeadTime, as_lead_time
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
#: Capacity used for "unlimited": the largest int64, so that ``min(claim, capacity)`` is the
#: claim for every count an episode can hold (the envs keep them below ``MAX_UNITS``).
UNLIMITED = np.iinfo(np.int64).max


def _batch_index(B: int) -> np.ndarray:
    """``[B, 1]`` row index for fancy indexing over a batch."""
    return np.arange(B)[:, None]


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
    _arrays: dict = field(default_factory=dict, init=False, repr=False, compare=False)

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
        self._check_topology()
        self._build_arrays()

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

    def _check_topology(self) -> None:
        names = [n.name for n in self.nodes]
        dup = {x for x in names if names.count(x) > 1}
        if dup:
            raise ValueError(f"duplicate node names: {sorted(dup)}")
        known = set(names)
        seen = set()
        for e in self.edges:
            for role, nm in (("supplier", e.supplier), ("customer", e.customer)):
                if nm is not None and nm not in known:
                    raise ValueError(
                        f"edge {e.supplier!r}->{e.customer!r}: unknown {role} {nm!r}; nodes are {names}"
                    )
            if e.supplier == e.customer:
                raise ValueError(f"edge {e.supplier!r}->{e.customer!r}: a node cannot supply itself")
            # Several outside suppliers may serve one node (e.g. a fast and a slow source): only
            # a link between two nodes of the network must be unique.
            key = (e.supplier, e.customer)
            if e.supplier is not None and key in seen:
                raise ValueError(f"duplicate edge {e.supplier!r}->{e.customer!r}")
            seen.add(key)
        for nm in names:
            if not any(e.customer == nm for e in self.edges):
                raise ValueError(f"node {nm!r} has no supplier: every node needs an inbound edge")
        # Cycles: Kahn's algorithm over internal edges.
        indeg = {nm: 0 for nm in names}
        out: dict[str, list[str]] = {nm: [] for nm in names}
        for e in self.edges:
            if e.supplier is not None:
                indeg[e.customer] += 1
                out[e.supplier].append(e.customer)
        queue = [nm for nm in names if indeg[nm] == 0]
        order = []
        while queue:
            nm = queue.pop()
            order.append(nm)
            for c in out[nm]:
                indeg[c] -= 1
                if indeg[c] == 0:
                    queue.append(c)
        if len(order) != len(names):
            cyc = sorted(nm for nm in names if indeg[nm] > 0)
            raise ValueError(f"the network has a cycle through nodes {cyc}; it must be acyclic")
        # Kahn's order runs suppliers first; policies that act customers-first reverse it.
        object.__setattr__(self, "_upstream_first", tuple(order))
        # Every node must reach customer demand.
        reach = {n.name for n in self.nodes if n.demand is not None}
        if not reach:
            raise ValueError("no node has customer demand: give at least one node a demand process")
        changed = True
        while changed:
            changed = False
            for e in self.edges:
                if e.supplier is not None and e.customer in reach and e.supplier not in reach:
                    reach.add(e.supplier)
                    changed = True
        orphans = [nm for nm in names if nm not in reach]
        if orphans:
            raise ValueError(f"nodes {orphans} have no path to customer demand")

    # ------------------------------------------------------------------ derived arrays
    def _build_arrays(self) -> None:
        names = [n.name for n in self.nodes]
        idx = {nm: i for i, nm in enumerate(names)}
        N, E = len(self.nodes), len(self.edges)
        a: dict[str, Any] = {}
        a["node_index"] = idx
        a["downstream_first"] = np.array([idx[nm] for nm in reversed(self._upstream_first)], np.int64)
        a["h"] = np.array([n.holding_cost for n in self.nodes], float)
        a["p"] = np.array([n.backorder_cost for n in self.nodes], float)
        a["lost"] = np.array([n.lost_sales for n in self.nodes], bool)
        a["init_inv"] = np.array([n.initial_inventory for n in self.nodes], np.int64)
        a["has_demand"] = np.array([n.demand is not None for n in self.nodes], bool)
        a["demand_idx"] = np.flatnonzero(a["has_demand"])
        a["sup"] = np.array([-1 if e.supplier is None else idx[e.supplier] for e in self.edges], np.int64)
        a["cust"] = np.array([idx[e.customer] for e in self.edges], np.int64)
        a["external"] = a["sup"] < 0
        a["L_max"] = max(e.lead_time.max for e in self.edges)
        a["random_lt"] = np.array([not e.lead_time.is_fixed for e in self.edges], bool)
        a["L_fixed"] = np.array([e.lead_time.values[0] for e in self.edges], np.int64)
        a["D"] = np.array([e.order_delay for e in self.edges], np.int64)
        a["D_max"] = int(a["D"].max()) if E else 0
        a["c"] = np.array([e.unit_cost for e in self.edges], float)
        a["K"] = np.array([e.fixed_cost for e in self.edges], float)
        a["pc"] = np.array([e.pipeline_holding_cost for e in self.edges], float)
        a["cap"] = np.array([UNLIMITED if e.capacity is None else e.capacity for e in self.edges], np.int64)
        a["capped"] = bool(np.any(a["cap"] < UNLIMITED))
        # Incidence matrices: [E, N] one-hot of each edge's customer / internal supplier.
        cin = np.zeros((E, N), np.int64)
        cin[np.arange(E), a["cust"]] = 1
        sout = np.zeros((E, N), np.int64)
        internal = np.flatnonzero(~a["external"])
        sout[internal, a["sup"][internal]] = 1
        a["cin"], a["sout"] = cin, sout
        a["serial_like"] = bool(
            E == N
            and np.array_equal(a["cust"], np.arange(N))
            and np.array_equal(a["sup"], np.r_[np.arange(1, N), -1])
        )
        # Claims each node must fill, in priority order: its own customers' demand (column
        # E + n of the flat claim vector) then its outbound edges by (priority, edge order).
        # Padding points at the always-zero column E + N.
        lists = []
        for n in range(N):
            claims = [E + n] if a["has_demand"][n] else []
            outs = [k for k in range(E) if a["sup"][k] == n]
            outs.sort(key=lambda k: (self.edges[k].priority, k))
            lists.append(claims + outs)
        C = max(1, max(len(x) for x in lists))
        claim_idx = np.full((N, C), E + N, np.int64)
        for n, x in enumerate(lists):
            claim_idx[n, : len(x)] = x
        a["claim_idx"] = claim_idx
        a["claim_valid"] = claim_idx < E + N
        a["C"] = C
        a["in_edges"] = [np.flatnonzero(a["cust"] == n) for n in range(N)]
        a["out_edges"] = [np.flatnonzero(a["sup"] == n) for n in range(N)]
        if self.quantity_discounts:
            a["qd_min"] = np.array([q for q, _ in self.quantity_discounts], np.int64)
            a["qd_mult"] = np.array([m for _, m in self.quantity_discounts], float)
        a["loss_pct"] = int(round(100 * self.shipping_loss))
        # Initial in-transit slots per edge.
        init_slots = np.array(
            [
                e.lead_time.values[0] if e.lead_time.is_fixed else int(round(e.lead_time.mean))
                for e in self.edges
            ],
            np.int64,
        )
        a["init_slots"] = init_slots
        # Every member's in-transit and order-delay slots at reset, [E, L_max] and [E, D_max].
        init_pipe = np.zeros((E, a["L_max"]), np.int64)
        init_opipe = np.zeros((E, a["D_max"]), np.int64)
        for k, e in enumerate(self.edges):
            init_pipe[k, : init_slots[k]] = e.initial_pipeline
            init_opipe[k, : e.order_delay] = e.initial_orders
        a["init_pipe"], a["init_opipe"] = init_pipe, init_opipe
        # Flags and index arrays that let the engine skip unused terms.
        a["no_delay"] = a["D"] == 0
        a["delayed"] = np.flatnonzero(a["D"] > 0)
        a["delay_slot"] = a["D"][a["delayed"]] - 1
        a["ext_idx"] = np.flatnonzero(a["external"])
        a["eidx"] = np.arange(E)
        a["L_slot"] = a["L_fixed"] - 1
        a["L_flat"] = a["eidx"] * a["L_max"] + a["L_slot"]  # the same slots in [E * L_max]
        a["bidx"] = _batch_index
        a["any_lost"] = bool(a["lost"].any())
        a["drop_edges"] = a["lost"][np.maximum(a["sup"], 0)] & ~a["external"]
        a["any_pc"] = bool(np.any(a["pc"] > 0))
        a["any_order_cost"] = bool(np.any(a["c"] > 0) or np.any(a["K"] > 0))
        # With one claim per node (C == 1), the outbound edge each node fills (0 at a node with
        # customer demand, which then has no outbound edge) and the supplier of each edge (0 for
        # outside suppliers); lists of the few columns the engine copies one by one.
        a["out0"] = np.array([x[0] if len(x) else 0 for x in a["out_edges"]], np.int64)
        a["sup0"] = np.maximum(a["sup"], 0)
        a["ext_list"] = [int(k) for k in a["ext_idx"]]
        a["demand_list"] = [int(n) for n in a["demand_idx"]]
        lo = int(a["demand_idx"][0])  # (every network has a node with demand)
        contiguous = np.array_equal(a["demand_idx"], np.arange(lo, lo + a["demand_idx"].size))
        a["demand_cols"] = slice(lo, lo + a["demand_idx"].size) if contiguous else a["demand_idx"]
        a["N"], a["E"] = N, E
        a["demand_01"] = a["has_demand"].astype(np.int64)
        a["ext_sum"] = a["ext_list"][0] if len(a["ext_list"]) == 1 else a["ext_idx"]
        a["demand_sum"] = a["demand_list"][0] if len(a["demand_list"]) == 1 else a["demand_idx"]
        a["ext_01"] = a["external"].astype(np.int64)
        a["any_drop"] = bool(a["drop_edges"].any())
        # 0/1 masks as int64: a product with one is cheaper for numpy than a where().
        a["lost_01"] = a["lost"].astype(np.int64)
        a["backlog_01"] = 1 - a["lost_01"]
        a["keep_owed_01"] = 1 - a["drop_edges"].astype(np.int64)
        a["any_fixed_cost"] = bool(np.any(a["K"] > 0))
        a["fixed_on_orders"] = (self.fixed_cost_basis or self.order_cost_basis) == "ordered"
        # Claim column k of every node, as columns of the flat claim vector, and for the
        # shipments: the nodes whose k-th claim is real and the flat columns they ship on.
        a["claim_cols"] = [claim_idx[:, k].copy() for k in range(C)]
        a["claim_dest"] = [
            (np.flatnonzero(a["claim_valid"][:, k]), claim_idx[a["claim_valid"][:, k], k]) for k in range(C)
        ]
        a["L_uniform"] = bool(not a["random_lt"].any() and np.all(a["L_fixed"] == a["L_max"]))
        a["tiled"] = {}  # the engine's cache of cost rows tiled to a batch size
        object.__setattr__(self, "_arrays", a)

    # ------------------------------------------------------------------ conveniences
    @property
    def arrays(self) -> dict:
        """Derived index and cost arrays the engine reads (do not modify)."""
        return self._arrays

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
        a = self._arrays
        start = int(a["init_inv"].sum() + a["init_pipe"].sum() + a["init_opipe"].sum())
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
        return self._arrays["in_edges"][node]

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
        self._check_topology()  # also derives the node order _build_arrays needs
        self._build_arrays()
