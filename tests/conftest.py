"""Shared fixtures: the (module, preset) table every contract test runs through."""

from __future__ import annotations

import pytest

from inventory_zoo import beer_game_v0, network_v0, serial_v0
from inventory_zoo.core import Constant, Edge, Node, Poisson, Uniform

#: One warehouse serving three retailers (divergent), split proportionally when short.
DIVERGENT_NETWORK = {
    "allocation": "proportional",
    "nodes": [
        {"name": f"retailer_{i}", "holding_cost": 1.0, "backorder_cost": 3.0, "initial_inventory": 5,
         "demand": {"type": "poisson", "rate": 2 + i}}
        for i in range(3)
    ]
    + [{"name": "warehouse_0", "holding_cost": 0.5, "backorder_cost": 1.0, "initial_inventory": 12}],
    "edges": [{"supplier": "warehouse_0", "customer": f"retailer_{i}", "lead_time": 1 + i, "priority": i}
              for i in range(3)]
    + [{"supplier": None, "customer": "warehouse_0", "lead_time": 2}],
}  # fmt: skip

#: Dual and triple sourcing with different lead times, prices, delays and capacities.
MULTI_SOURCING_NODES = (
    Node("store_0", holding_cost=1.0, backorder_cost=5.0, initial_inventory=6, demand=Poisson(4)),
    Node("store_1", holding_cost=1.0, backorder_cost=5.0, lost_sales=True, initial_inventory=4,
         demand=Uniform(0, 6)),
    Node("hub_0", holding_cost=0.4, backorder_cost=1.0, initial_inventory=10, demand=Constant(1)),
    Node("hub_1", holding_cost=0.3, backorder_cost=1.0, initial_inventory=10),
)  # fmt: skip
MULTI_SOURCING_EDGES = (
    Edge("hub_0", "store_0", lead_time=1, unit_cost=0.2),
    Edge("hub_1", "store_0", lead_time={1: 0.5, 3: 0.5}, unit_cost=0.1, capacity=6),
    Edge(None, "store_0", lead_time=1, unit_cost=1.0, fixed_cost=2.0),
    Edge("hub_0", "store_1", lead_time=2, order_delay=1, priority=1),
    Edge("hub_1", "store_1", lead_time=1, priority=0),
    Edge(None, "hub_0", lead_time=3, initial_pipeline=2),
    Edge(None, "hub_1", lead_time=2, pipeline_holding_cost=0.05),
)

# (module, kwargs) pairs: every env module with its defaults and every preset.
ENV_CASES = [
    pytest.param(serial_v0, {}, id="serial_v0-default"),
    pytest.param(serial_v0, {"preset": "liu2022"}, id="serial_v0-liu2022"),
    pytest.param(
        serial_v0,
        {"preset": "liu2022", "price_discount": True, "fixed_cost": True, "shipping_loss": True},
        id="serial_v0-liu2022-options",
    ),
    pytest.param(serial_v0, {"preset": "snyder_shen_6_1"}, id="serial_v0-snyder_shen_6_1"),
    pytest.param(
        serial_v0,
        {"lost_sales": True, "lead_times": {1: 0.5, 3: 0.5}, "order_delays": 1, "agent_id": True, "normalize_obs": True},
        id="serial_v0-variants",
    ),
    pytest.param(network_v0, {}, id="network_v0-default"),
    pytest.param(network_v0, {"preset": "liu2022_2x3"}, id="network_v0-liu2022_2x3"),
    pytest.param(
        network_v0, {"preset": "liu2022_2x3", "action_type": "discrete"}, id="network_v0-liu2022_2x3-discrete"
    ),
    pytest.param(
        network_v0,
        {"network": DIVERGENT_NETWORK, "agent_id": True, "normalize_obs": True, "max_order": 8},
        id="network_v0-divergent",
    ),
    pytest.param(
        network_v0,
        {
            "nodes": MULTI_SOURCING_NODES,
            "edges": MULTI_SOURCING_EDGES,
            "order_cost_basis": "shipped",
            "shipping_loss": 0.1,
            "max_order": 6,
        },
        id="network_v0-multi-sourcing",
    ),
    pytest.param(beer_game_v0, {}, id="beer_game_v0-default"),
    *[
        pytest.param(beer_game_v0, {"preset": name}, id=f"beer_game_v0-{name}")
        for name in ("classic", "dqn_uniform_0_2", "dqn_uniform_0_8", "dqn_normal_10_2", "plooto")
    ],
    pytest.param(
        beer_game_v0,
        {
            "lead_times": {1: 0.5, 3: 0.5},
            "lost_sales": True,
            "demand_visible": True,
            "agent_id": True,
            "normalize_obs": True,
            "reward_mix": 0.5,
        },
        id="beer_game_v0-variants",
    ),
]
