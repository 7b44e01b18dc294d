"""Named parameter sets that reproduce published settings.

A preset is a function that returns keyword arguments for an env builder; it may take options
of its own (for instance the origin paper's optional costs). ``serial_v0.parallel_env(
preset="liu2022", max_cycles=50)`` applies the preset, then the overrides.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from inventory_zoo.core.demand import Merton, Normal, Poisson, Step, Uniform
from inventory_zoo.core.spec import Edge, Node
from inventory_zoo.core.validation import check_bool

__all__ = ["PRESETS", "preset_kwargs", "register_preset", "resolve_env_kwargs"]

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


def resolve_env_kwargs(
    env: str,
    defaults: dict[str, Any],
    preset: str | None,
    kwargs: dict[str, Any],
    adjust: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """An env's full argument set: ``defaults``, then the preset, then the caller's ``kwargs``.

    ``episode_length`` is accepted as an alias of ``max_cycles``. ``adjust`` may edit the
    preset-plus-caller arguments before they are laid over the defaults.

    Raises:
        TypeError: an unknown argument.
        ValueError: an unknown preset, or ``max_cycles`` and ``episode_length`` that disagree.
    """
    kwargs = dict(kwargs)
    if "episode_length" in kwargs:
        el = kwargs.pop("episode_length")
        if "max_cycles" in kwargs and kwargs["max_cycles"] != el:
            raise ValueError(
                f"max_cycles={kwargs['max_cycles']!r} and its alias episode_length={el!r} disagree"
            )
        kwargs["max_cycles"] = el
    merged = preset_kwargs(env, preset, kwargs)
    if kwargs.get("obs_scale") is not None and not merged.get("normalize_obs", defaults.get("normalize_obs")):
        raise ValueError(
            f"obs_scale={kwargs['obs_scale']!r} is used only with normalize_obs=True; pass normalize_obs=True "
            "too (or drop obs_scale)"
        )
    unknown = sorted(set(merged) - set(defaults))
    if unknown:
        raise TypeError(f"{env}: unknown argument(s) {unknown}; allowed: {sorted(defaults)}")
    if adjust is not None:
        adjust(merged)
    out = dict(defaults)
    out.update(merged)
    out["preset"] = preset
    return out


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
        fixed_cost: a fixed cost of 5 per period in which the stage's supplier ships it a
            non-zero quantity (the shipment sent that period, as the paper's code charges it;
            ``fixed_cost_basis="shipped"``).
        shipping_loss: an arrival of ``a`` units keeps ``floor(a * (1 - u / 100))``, ``u``
            uniform on 0..10 for every stage and period (the paper's code's rounding: the kept
            part rounds down, so an arrival of 5 units loses 0.9 units on average).
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
    for name, value in (("price_discount", price_discount), ("fixed_cost", fixed_cost), ("shipping_loss", shipping_loss)):
        check_bool(f"liu2022 option {name}", value)
    if fixed_cost:
        kw["fixed_order_costs"] = 5.0
        kw["fixed_cost_basis"] = "shipped"
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


def _distribution(warehouses: int, stores: int, max_order: int) -> dict[str, Any]:
    from inventory_zoo.networks import distribution

    return dict(
        network=distribution(warehouses, stores),
        max_order=max_order,
        max_cycles=100,
        normalize_obs=True,
    )


@register_preset("network_v0", "distribution_56")
def distribution_56() -> dict[str, Any]:
    """A medium distribution tree: 1 factory, 5 warehouses, 10 stores each (56 agents).

    ``networks.distribution(5, 10)``: Poisson(5) demand at every store, lead times 2
    (outside -> factory), 2 (factory -> warehouse) and 1 (warehouse -> store); holding costs
    0.5 / 0.75 / 1.0 and backorder costs 1 / 1 / 4 per unit per period (factory / warehouses
    / stores); stock starts near its base-stock level. ``max_order=500`` (the factory's mean
    flow is 250 a period), observations divided by ``max_order``; 100 periods.
    """
    return _distribution(5, 10, 500)


@register_preset("network_v0", "distribution_1021")
def distribution_1021() -> dict[str, Any]:
    """A large distribution tree: 1 factory, 20 warehouses, 50 stores each (1,021 agents).

    ``networks.distribution(20, 50)``, the settings of ``distribution_56``; ``max_order=10000``
    (the factory's mean flow is 5,000 a period), observations divided by ``max_order``.
    """
    return _distribution(20, 50, 10000)


# ---------------------------------------------------------------- beer_game_v0
# Order delays are the engine's (see beer_game_v0): a board or paper order lead of k weeks,
# counted from an order placed after the week's shipments, is order_delays = k - 1 here.


@register_preset("beer_game_v0", "classic")
def beer_game_classic() -> dict[str, Any]:
    """The board game of Sterman (1989), as Edali & Yasarcan (2014) replicate it.

    Retailer, wholesaler, distributor and factory each start with 12 cases on hand, 4 cases in
    each of the two shipping (production) delay slots and 4 on every order slip; customer
    demand is 4 a week for weeks 1-4 and 8 from week 5; 36 weeks; 0.50 per case-week on hand
    and 1.00 per case-week of backlog at every position. Orders take 2 weeks to reach the
    supplier (engine ``order_delays=1``), the factory's production request 1 week
    (``order_delays=0``); shipping and production take 2 weeks. The retailer orders without
    knowing next week's demand card. Every player following
    ``Sterman(theta=0, alpha_s=1, beta=1, s_prime=(28, 28, 28, 20))`` costs 46, 50, 54, 54 = 204.
    """
    return dict(
        lead_times=2,
        order_delays=(1, 1, 1, 0),
        demand=Step(4, 8, 5),
        holding_costs=0.5,
        backorder_costs=1.0,
        max_order=100,
        initial_inventory=12,
        initial_pipeline=4,
        initial_orders=4,
        max_cycles=36,
        demand_visible=False,
    )


def _dqn(demand, holding, backorder, start_inventory, start_flow, order_delays, max_order):
    return dict(
        lead_times=2,
        order_delays=order_delays,
        demand=demand,
        holding_costs=holding,
        backorder_costs=backorder,
        max_order=max_order,
        initial_inventory=start_inventory,
        initial_pipeline=start_flow,
        initial_orders=start_flow,
        max_cycles=100,
        demand_visible=False,
    )


@register_preset("beer_game_v0", "dqn_uniform_0_2")
def beer_game_dqn_uniform_0_2() -> dict[str, Any]:
    """Oroojlooyjadid et al. (MSOM 2021), basic model: demand uniform on {0, 1, 2}.

    Holding 2 per unit at every stage, stockout 2 at the retailer only (a Clark-Scarf system),
    shipping lead 2, order leads 2 at every stage including the factory's production request
    (the authors' code for this case; engine ``order_delays=(1, 1, 1, 1)``), empty start (no
    stock, nothing in transit), 100 weeks. Published base-stock levels (8, 8, 0, 0): the
    Clark-Scarf optimum, as installation levels (see the docs page).
    """
    return _dqn(Uniform(0, 2), 2.0, (2.0, 0.0, 0.0, 0.0), 0, 0, (1, 1, 1, 1), 16)


@register_preset("beer_game_v0", "dqn_uniform_0_8")
def beer_game_dqn_uniform_0_8() -> dict[str, Any]:
    """Oroojlooyjadid et al. (MSOM 2021): demand uniform on {0, ..., 8}.

    Holding 0.5 and stockout 1 at every stage (not a Clark-Scarf system), shipping lead 2,
    order leads (2, 2, 2, 1) (engine ``order_delays=(1, 1, 1, 0)``), 12 on hand and 4 in every
    shipping slot and order slip at the start, 100 weeks. Published base-stock levels
    (19, 20, 20, 14).
    """
    return _dqn(Uniform(0, 8), 0.5, 1.0, 12, 4, (1, 1, 1, 0), 32)


@register_preset("beer_game_v0", "dqn_normal_10_2")
def beer_game_dqn_normal_10_2() -> dict[str, Any]:
    """Oroojlooyjadid et al. (MSOM 2021): demand normal(10, 2), rounded, at least 0.

    Holding (1, 0.75, 0.5, 0.25), stockout 10 at the retailer only (a Clark-Scarf system),
    shipping lead 2, order leads (2, 2, 2, 1) (engine ``order_delays=(1, 1, 1, 0)``), 10 on
    hand and 10 in every shipping slot and order slip at the start, 100 weeks. Published
    base-stock levels (48, 43, 41, 30): the Clark-Scarf optimum, as installation levels.
    """
    return _dqn(Normal(10, 2), (1.0, 0.75, 0.5, 0.25), (10.0, 0.0, 0.0, 0.0), 10, 10, (1, 1, 1, 0), 40)


@register_preset("beer_game_v0", "plooto")
def beer_game_plooto() -> dict[str, Any]:
    """The small beer-game example this project was asked to grow from (plooto-marl).

    Orders capped at 100, every order arrives 2 weeks after it is placed (no order delay),
    holding 1 per unit, stockout 2 per unit: unmet customer demand is lost at the retailer
    (as in the example), unfilled orders above it are backlogged at 2 per unit per week (the
    example dropped them). Customer demand uniform on {20, ..., 49}; 75 cases on hand at each
    stage (the example drew 50-99 at random), nothing in transit; 100 weeks.
    """
    return dict(
        lead_times=2,
        order_delays=0,
        demand=Uniform(20, 49),
        holding_costs=1.0,
        backorder_costs=2.0,
        lost_sales=True,
        max_order=100,
        initial_inventory=75,
        initial_pipeline=0,
        initial_orders=0,
        max_cycles=100,
        demand_visible=False,
    )
