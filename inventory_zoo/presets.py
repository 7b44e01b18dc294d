"""Named parameter sets that reproduce published settings.

A preset is a function that returns keyword arguments for an env builder; it may take options
of its own (for instance the origin paper's optional costs). ``serial_v0.parallel_env(
preset="liu2022", max_cycles=50)`` applies the preset, then the overrides.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from inventory_zoo.core.demand import Merton, Poisson
from inventory_zoo.core.spec import Edge, Node

__all__ = ["PRESETS", "preset_kwargs", "register_preset"]

PRESETS: dict[str, dict[str, Callable[..., dict[str, Any]]]] = {}


def register_preset(env: str, name: str) -> Callable:
    """Decorator: register ``fn`` as preset ``name`` of env ``env`` (e.g. ``"serial_v0"``)."""

    def deco(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        PRESETS.setdefault(env, {})[name] = fn
        return fn

    return deco


def preset_kwargs(env: str, name: str | None, overrides: dict[str, Any]) -> dict[str, Any]:
    """Builder kwargs for ``name`` with ``overrides`` applied (``name=None``: overrides only).

    Overrides that are options of the preset function itself are passed to it.

    Raises:
        ValueError: unknown preset.
    """
    if name is None:
        return dict(overrides)
    table = PRESETS.get(env, {})
    if not isinstance(name, str) or name not in table:
        raise ValueError(f"{env}: unknown preset {name!r}; presets are {sorted(table)}")
    fn = table[name]
    own = set(inspect.signature(fn).parameters)
    kw = fn(**{k: v for k, v in overrides.items() if k in own})
    kw.update({k: v for k, v in overrides.items() if k not in own})
    return kw


@register_preset("serial_v0", "liu2022")
def liu2022(
    price_discount: bool = False, fixed_cost: bool = False, shipping_loss: bool = False
) -> dict[str, Any]:
    """The serial env of Liu et al. (2022), the paper this project grew from.

    Three stages, Merton jump-diffusion demand capped at 20, lead time 4 and no order delay,
    holding 1 and backlog 1 at every stage, orders 0..20, 200 periods, reward mix 0.5, 10 on
    hand and 10 in every pipeline slot at the start. As in the paper, an agent orders before
    seeing the demand it will serve (``demand_visible=False``) and observations are divided by
    20 (``normalize_obs=True``, ``obs_scale=20``).

    Options (off by default, as in the paper's main experiments):
        price_discount: all-units quantity discount on a unit order cost of 1 (prices 1, .95,
            .9, .85, .8 for orders of 0-4, 5-9, 10-14, 15-19, 20 units).
        fixed_cost: a fixed cost of 5 per period with a non-zero order (the paper charges it
            on non-zero shipments received; here it is charged when the order is placed).
        shipping_loss: each arrival loses ``floor(units * u / 100)``, ``u`` uniform on 0..10.
    """
    kw: dict[str, Any] = dict(
        num_stages=3,
        lead_times=4,
        order_delays=0,
        demand=Merton(max_demand=20),
        holding_costs=1.0,
        backorder_costs=1.0,
        max_order=20,
        initial_inventory=10,
        initial_pipeline=10,
        max_cycles=200,
        reward_mix=0.5,
        demand_visible=False,
        normalize_obs=True,
        obs_scale=20.0,
    )
    if price_discount:
        kw["order_costs"] = 1.0
        kw["quantity_discounts"] = ((0, 1.0), (5, 0.95), (10, 0.9), (15, 0.85), (20, 0.8))
    if fixed_cost:
        kw["fixed_order_costs"] = 5.0
    if shipping_loss:
        kw["shipping_loss"] = 0.1
    return kw


@register_preset("serial_v0", "snyder_shen_6_1")
def snyder_shen_6_1() -> dict[str, Any]:
    """Snyder & Shen, Fundamentals of Supply Chain Theory, Example 6.1 (Poisson variant).

    The Clark-Scarf textbook instance: three stages, Poisson(5) demand, lead times (1, 1, 2),
    local holding costs (7, 4, 2), stockout cost 37.12 at the retailer only, in-transit units
    charged at the shipping stage's holding rate (4, 2, 0). The optimal echelon base-stock
    levels are (9, 15, 26) and the optimal expected cost is 72.04 per period. The episode
    starts with the echelon levels on hand (9, 6, 11 units locally) and empty pipelines.
    """
    return dict(
        num_stages=3,
        lead_times=(1, 1, 2),
        order_delays=0,
        demand=Poisson(5),
        holding_costs=(7.0, 4.0, 2.0),
        backorder_costs=(37.12, 0.0, 0.0),
        pipeline_holding_costs=(4.0, 2.0, 0.0),
        max_order=30,
        initial_inventory=(9, 6, 11),
        initial_pipeline=0,
        max_cycles=200,
        reward_mix=0.0,
    )


@register_preset("network_v0", "liu2022_2x3")
def liu2022_2x3() -> dict[str, Any]:
    """The 2x3 network of Liu et al. (2022): 3 levels of 2 nodes, every node dual-sourcing.

    Agents, in the paper's order: ``retailer_0``, ``retailer_1`` (level 0, customer demand),
    ``distributor_0``, ``distributor_1`` (level 1), ``manufacturer_0``, ``manufacturer_1``
    (level 2). Every node orders from both nodes of the level above, the top level from two
    outside sources; its action is the pair ``(q_0, q_1)``, each ``0..4``: ``q_0`` from upstream
    node 0 (lead time 4, unit cost 0.1), ``q_1`` from upstream node 1 (lead time 2, unit cost
    0.2), costs charged on the units shipped. A short supplier fills downstream node 1 first,
    then node 0. Retailers lose unmet demand (penalty 1 per unit), the levels above backlog
    (1 per unit owed per period); holding costs 1. Demand: two independent
    ``Merton(max_demand=4)`` streams. At reset every node has 2 on hand and 2 units arriving in
    each of the next 4 periods (the paper's pipeline of 2s, put on the lead-time-4 link).
    Reward: 0.75 own cost + 0.25 team mean (``reward_mix=0.25``); 200 periods; agents order
    before seeing the demand they serve, observations divided by 4, as in the paper. Pass
    ``action_type="discrete"`` for the paper's flattened ``Discrete(25)`` action ``5 q_0 + q_1``.
    """
    levels = ("retailer", "distributor", "manufacturer")
    nodes = []
    edges = []
    for lvl, kind in enumerate(levels):
        for j in range(2):
            nodes.append(
                Node(
                    f"{kind}_{j}",
                    holding_cost=1.0,
                    backorder_cost=1.0,
                    lost_sales=lvl == 0,
                    initial_inventory=2,
                    demand=Merton(max_demand=4) if lvl == 0 else None,
                )
            )
            for up, (lead, cost) in enumerate(((4, 0.1), (2, 0.2))):
                supplier = f"{levels[lvl + 1]}_{up}" if lvl + 1 < len(levels) else None
                edges.append(
                    Edge(
                        supplier,
                        f"{kind}_{j}",
                        lead_time=lead,
                        unit_cost=cost,
                        priority=1 - j,  # downstream node 1 is served first
                        initial_pipeline=2 if lead == 4 else 0,
                    )
                )
    return dict(
        network=dict(nodes=nodes, edges=edges, allocation="priority", order_cost_basis="shipped"),
        max_order=4,
        max_cycles=200,
        reward_mix=0.25,
        demand_visible=False,
        normalize_obs=True,
        obs_scale=4.0,
    )
