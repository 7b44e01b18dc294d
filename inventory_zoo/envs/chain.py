"""The spec of a serial chain from per-stage arguments: one builder for ``serial_v0`` and
``beer_game_v0`` (and any env shaped as a chain)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from inventory_zoo.core.demand import as_demand
from inventory_zoo.core.leadtime import as_lead_time
from inventory_zoo.core.spec import Edge, Node, SupplyChain
from inventory_zoo.core.validation import MAX_COST, MAX_DELAY, MAX_QUANTITY, check_bool, per_node

__all__ = ["chain_spec"]


def _lead_times(raw: Any, n: int) -> list:
    if isinstance(raw, np.ndarray):  # like the other per-stage arguments
        raw = raw.tolist()
    if isinstance(raw, (list, tuple)):
        if len(raw) != n:
            raise ValueError(f"lead_times must have one value per stage ({n}, retailer first), got {len(raw)}: {raw!r}")
        return [as_lead_time(v, f"lead_times[{i}]") for i, v in enumerate(raw)]
    return [as_lead_time(raw, "lead_times")] * n


def chain_spec(cfg: dict[str, Any], names: Sequence[str]) -> SupplyChain:
    """A serial chain ``names[0]`` (the retailer, where customers buy) <- ``names[1]`` <- ...
    <- outside supplier, from a resolved configuration.

    Per-stage arguments (one value for all stages, or one per stage, retailer first):
    ``lead_times``, ``order_delays``, ``holding_costs``, ``backorder_costs``,
    ``pipeline_holding_costs``, ``order_costs``, ``fixed_order_costs``, ``initial_inventory``,
    ``initial_pipeline`` and, if present, ``initial_orders``. Chain-wide: ``demand``,
    ``lost_sales`` (at the retailer), ``quantity_discounts``, ``shipping_loss`` and, if present,
    ``order_cost_basis`` and ``fixed_cost_basis``.

    Raises:
        TypeError, ValueError: naming the argument (and the stage) at fault.
    """
    n = len(names)
    lts = _lead_times(cfg["lead_times"], n)
    delays = per_node("order_delays", cfg["order_delays"], n, kind="int", low=0, high=MAX_DELAY)
    h = per_node("holding_costs", cfg["holding_costs"], n, high=MAX_COST)
    p = per_node("backorder_costs", cfg["backorder_costs"], n, high=MAX_COST)
    pc = per_node("pipeline_holding_costs", cfg["pipeline_holding_costs"], n, high=MAX_COST)
    c = per_node("order_costs", cfg["order_costs"], n, high=MAX_COST)
    k = per_node("fixed_order_costs", cfg["fixed_order_costs"], n, high=MAX_COST)
    inv = per_node("initial_inventory", cfg["initial_inventory"], n, kind="int", low=0, high=MAX_QUANTITY)
    pipe = per_node("initial_pipeline", cfg["initial_pipeline"], n, kind="int", low=0, high=MAX_QUANTITY)
    slips = per_node("initial_orders", cfg.get("initial_orders", 0), n, kind="int", low=0, high=MAX_QUANTITY)
    lost = check_bool("lost_sales", cfg["lost_sales"])
    demand = as_demand(cfg["demand"])
    nodes = tuple(
        Node(
            name,
            holding_cost=h[i],
            backorder_cost=p[i],
            lost_sales=lost and i == 0,
            initial_inventory=inv[i],
            demand=demand if i == 0 else None,
        )
        for i, name in enumerate(names)
    )
    edges = tuple(
        Edge(
            names[i + 1] if i + 1 < n else None,
            names[i],
            lead_time=lts[i],
            order_delay=delays[i],
            unit_cost=c[i],
            fixed_cost=k[i],
            pipeline_holding_cost=pc[i],
            initial_pipeline=pipe[i],
            initial_orders=slips[i],
        )
        for i in range(n)
    )
    return SupplyChain(
        nodes,
        edges,
        order_cost_basis=cfg.get("order_cost_basis", "ordered"),
        fixed_cost_basis=cfg.get("fixed_cost_basis"),
        quantity_discounts=cfg["quantity_discounts"],
        shipping_loss=cfg["shipping_loss"],
    )
