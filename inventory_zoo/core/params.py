"""The engine's parameters: the arrays of a supply chain, named, typed and documented.

:class:`EngineParams` is what the engine reads of a :class:`~inventory_zoo.core.spec.SupplyChain`
(``spec.params``). It is built once, when the spec is, in time linear in nodes plus edges. Its
arrays are read-only. Shapes: ``N`` nodes, ``E`` edges, ``K`` nodes with customer demand,
``L`` the longest lead time, ``D`` the longest order delay, ``Q`` quantity-discount breaks.
Units are integer; costs are per unit per period unless stated.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from inventory_zoo.core.spec import SupplyChain

__all__ = ["EngineParams", "build_params"]

#: Capacity that stands for "unlimited": the largest int64, so that ``min(claim, capacity)``
#: is the claim for every count an episode can hold (the envs keep them below ``MAX_UNITS``).
UNLIMITED = np.iinfo(np.int64).max


@dataclass(frozen=True, eq=False)
class EngineParams:
    """The arrays of a supply chain, in node order and edge order.

    Nodes:
        num_nodes: ``N``.
        holding_cost: ``[N]`` float64, ``h'``: cost per unit on hand at the end of a period.
        backorder_cost: ``[N]`` float64, ``p``: cost per unit owed (customer backlog and
            unshipped downstream orders) at the end of a period, or per unit lost at a
            lost-sales node.
        lost_sales: ``[N]`` bool: demand the node cannot fill is lost, not backlogged.
        initial_inventory: ``[N]`` int64, units on hand at reset.
        has_demand: ``[N]`` bool: customers buy at the node.
        demand_nodes: ``[K]`` int64, the nodes with customer demand, in node order.
        upstream_first: ``[N]`` int64, the nodes in an order where every supplier comes before
            its customers.
        is_serial: whether the network is a serial chain in the serial env's layout (edge ``i``
            supplies node ``i`` from node ``i + 1``; the last from outside).

    Edges (``supplier`` ships to ``customer`` against the customer's orders):
        num_edges: ``E``.
        supplier: ``[E]`` int64, the supplying node, or -1 for an outside supplier.
        customer: ``[E]`` int64, the ordering node.
        external: ``[E]`` bool, ``supplier == -1``.
        lead_time: ``[E]`` int64 periods: the fixed lead time, or for a random lead time its
            shortest value.
        random_lead_time: ``[E]`` bool: the lead time is drawn for every shipment.
        max_lead_time: ``L``, the longest possible lead time of any edge (>= 1).
        order_delay: ``[E]`` int64, periods before an order reaches the supplier.
        max_order_delay: ``D`` (0 when no edge delays orders).
        unit_cost: ``[E]`` float64, per unit ordered (or shipped), charged to the customer.
        fixed_cost: ``[E]`` float64, per period with a non-zero order (or shipment).
        pipeline_holding_cost: ``[E]`` float64, per unit in transit on the edge.
        capacity: ``[E]`` int64, most units shipped per period (``UNLIMITED`` when none).
        initial_pipeline: ``[E, L]`` int64, units in each in-transit slot at reset (slot ``j``
            arrives ``j + 1`` periods after reset).
        initial_orders: ``[E, D]`` int64, orders in each order-delay slot at reset.
        in_edge_ptr, in_edge_index: the edges into each node, as a compressed list: node
            ``n``'s inbound edges are ``in_edge_index[in_edge_ptr[n]:in_edge_ptr[n + 1]]``, in
            edge order (its action's entries).
        out_edge_ptr, out_edge_index: the same for each node's edges to downstream nodes.

    Network-wide:
        proportional: a short supplier splits its stock in proportion to the claims (else by
            priority).
        unit_cost_on_orders, fixed_cost_on_orders: the unit (fixed) cost is charged on the
            quantity ordered (else on the quantity shipped).
        discount_min_qty: ``[Q]`` int64, the price breaks' smallest quantities (increasing).
        discount_multiplier: ``[Q]`` float64, their price multipliers.
        loss_percent: the most percent of an arrival lost in transit (0: no loss).
    """

    num_nodes: int
    holding_cost: np.ndarray
    backorder_cost: np.ndarray
    lost_sales: np.ndarray
    initial_inventory: np.ndarray
    has_demand: np.ndarray
    demand_nodes: np.ndarray
    upstream_first: np.ndarray
    is_serial: bool
    num_edges: int
    supplier: np.ndarray
    customer: np.ndarray
    external: np.ndarray
    lead_time: np.ndarray
    random_lead_time: np.ndarray
    max_lead_time: int
    order_delay: np.ndarray
    max_order_delay: int
    unit_cost: np.ndarray
    fixed_cost: np.ndarray
    pipeline_holding_cost: np.ndarray
    capacity: np.ndarray
    initial_pipeline: np.ndarray
    initial_orders: np.ndarray
    in_edge_ptr: np.ndarray
    in_edge_index: np.ndarray
    out_edge_ptr: np.ndarray
    out_edge_index: np.ndarray
    proportional: bool
    unit_cost_on_orders: bool
    fixed_cost_on_orders: bool
    discount_min_qty: np.ndarray
    discount_multiplier: np.ndarray
    loss_percent: int

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                v.flags.writeable = False

    def in_edges(self, node: int) -> np.ndarray:
        """``[k]`` the edges into ``node`` (its action's entries, in order)."""
        return self.in_edge_index[self.in_edge_ptr[node] : self.in_edge_ptr[node + 1]]

    def out_edges(self, node: int) -> np.ndarray:
        """``[m]`` the edges from ``node`` to its downstream nodes, in edge order."""
        return self.out_edge_index[self.out_edge_ptr[node] : self.out_edge_ptr[node + 1]]

    @property
    def in_degree(self) -> np.ndarray:
        """``[N]`` the number of suppliers of each node."""
        return np.diff(self.in_edge_ptr)


def compressed(keys: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(ptr [n + 1], index)``: ``values`` grouped by ``keys`` in ``0..n-1`` (stable)."""
    order = np.argsort(keys, kind="stable")
    ptr = np.searchsorted(keys[order], np.arange(n + 1)).astype(np.int64)
    return ptr, values[order].astype(np.int64)


def build_params(spec: SupplyChain, sup: np.ndarray, cust: np.ndarray, upstream_first: np.ndarray) -> EngineParams:
    """The :class:`EngineParams` of a checked spec (``sup``, ``cust``, ``upstream_first`` from
    :func:`~inventory_zoo.core.topology.check_topology`), in time linear in its size."""
    nodes, edges = spec.nodes, spec.edges
    N, E = len(nodes), len(edges)
    has_demand = np.array([n.demand is not None for n in nodes], bool)
    lead = [e.lead_time for e in edges]
    L = max(lt.max for lt in lead)
    delay = np.array([e.order_delay for e in edges], np.int64)
    D = int(delay.max()) if E else 0
    # Initial in-transit units fill the first L slots of each edge (for a random lead time,
    # the first round(mean) slots); initial orders fill its order-delay slots.
    slots = np.array([lt.values[0] if lt.is_fixed else int(round(lt.mean)) for lt in lead], np.int64)
    init_pipe = np.where(
        np.arange(L) < slots[:, None], np.array([e.initial_pipeline for e in edges], np.int64)[:, None], 0
    )
    init_orders = np.where(
        np.arange(D) < delay[:, None], np.array([e.initial_orders for e in edges], np.int64)[:, None], 0
    )
    in_ptr, in_idx = compressed(cust, np.arange(E), N)
    internal = np.flatnonzero(sup >= 0)
    out_ptr, out_idx = compressed(sup[internal], internal, N)
    qd = spec.quantity_discounts
    return EngineParams(
        num_nodes=N,
        holding_cost=np.array([n.holding_cost for n in nodes], np.float64),
        backorder_cost=np.array([n.backorder_cost for n in nodes], np.float64),
        lost_sales=np.array([n.lost_sales for n in nodes], bool),
        initial_inventory=np.array([n.initial_inventory for n in nodes], np.int64),
        has_demand=has_demand,
        demand_nodes=np.flatnonzero(has_demand).astype(np.int64),
        upstream_first=upstream_first,
        is_serial=bool(E == N and np.array_equal(cust, np.arange(N)) and np.array_equal(sup, np.r_[np.arange(1, N), -1])),
        num_edges=E,
        supplier=sup,
        customer=cust,
        external=sup < 0,
        lead_time=np.array([lt.values[0] for lt in lead], np.int64),
        random_lead_time=np.array([not lt.is_fixed for lt in lead], bool),
        max_lead_time=int(L),
        order_delay=delay,
        max_order_delay=D,
        unit_cost=np.array([e.unit_cost for e in edges], np.float64),
        fixed_cost=np.array([e.fixed_cost for e in edges], np.float64),
        pipeline_holding_cost=np.array([e.pipeline_holding_cost for e in edges], np.float64),
        capacity=np.array([UNLIMITED if e.capacity is None else e.capacity for e in edges], np.int64),
        initial_pipeline=init_pipe.astype(np.int64),
        initial_orders=init_orders.astype(np.int64).reshape(E, D),
        in_edge_ptr=in_ptr,
        in_edge_index=in_idx,
        out_edge_ptr=out_ptr,
        out_edge_index=out_idx,
        proportional=spec.allocation == "proportional",
        unit_cost_on_orders=spec.order_cost_basis == "ordered",
        fixed_cost_on_orders=(spec.fixed_cost_basis or spec.order_cost_basis) == "ordered",
        discount_min_qty=np.array([q for q, _ in qd], np.int64),
        discount_multiplier=np.array([m for _, m in qd], np.float64),
        loss_percent=int(round(100 * spec.shipping_loss)),
    )
