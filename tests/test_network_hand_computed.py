"""network_v0 periods computed by hand: allocation (both rules), dual sourcing, lost sales,
overtaking shipments, and two periods of the 2x3 preset.

Observation of an agent: ``[on_hand, backlog, incoming]`` then, per supplier,
``[transit_1 .. transit_Lmax, owed_by_supplier]`` (no order delays here).
"""

from __future__ import annotations

import numpy as np
import pytest

from inventory_zoo import Constant, network_v0
from inventory_zoo.core import Edge, Node
from inventory_zoo.core.engine import conservation_gap


def _step(env, actions):
    obs, rew, term, trunc, info = env.step(actions)
    assert conservation_gap(env.engine_state)[0] == 0
    cost = {a: info[a]["cost"] for a in info}
    return obs, rew, cost


# ------------------------------------------------------------------------------ allocation
def _allocation_env(rule):
    """A warehouse with its own customers (2 per period) and two retailers, short in period 1."""
    return network_v0.parallel_env(
        network={
            "allocation": rule,
            "nodes": [
                {"name": "retailer_0", "holding_cost": 1.0, "initial_inventory": 10, "demand": 0},
                {"name": "retailer_1", "holding_cost": 1.0, "initial_inventory": 10, "demand": 0},
                {"name": "warehouse_0", "holding_cost": 0.5, "backorder_cost": 1.0, "initial_inventory": 8,
                 "demand": 2},
            ],
            "edges": [
                {"supplier": "warehouse_0", "customer": "retailer_0", "priority": 1},
                {"supplier": "warehouse_0", "customer": "retailer_1", "priority": 0},
                {"customer": "warehouse_0"},
            ],
        },
        max_order=10,
        max_cycles=3,
    )  # fmt: skip


@pytest.mark.parametrize(
    "rule, to_r0, to_r1",
    [
        # claims in priority order: own customers 2, retailer_1 3, retailer_0 6; 8 on hand.
        # priority: 2, 3, then the 3 left to retailer_0.
        ("priority", 3, 3),
        # proportional: floor(2*8/11)=1, floor(3*8/11)=2, floor(6*8/11)=4 = 7; the 1 left goes
        # by priority to the first claim still short: the warehouse's own customers.
        ("proportional", 4, 2),
    ],
)
def test_allocation_rules_by_hand(rule, to_r0, to_r1):
    env = _allocation_env(rule)
    obs, _ = env.reset(seed=0)
    np.testing.assert_array_equal(obs["warehouse_0"], [8, 0, 2, 0, 0])
    obs, _, cost = _step(env, {"retailer_0": 6, "retailer_1": 3, "warehouse_0": 10})
    out = env.batch.last
    assert out.sold[0].tolist() == [0, 0, 2]  # the warehouse's customers got all 2
    assert out.shipped[0].tolist() == [to_r0, to_r1, 10]
    # retailers: [on_hand, backlog, incoming, transit_1, owed_by_supplier]
    np.testing.assert_array_equal(obs["retailer_0"], [10, 0, 0, to_r0, 6 - to_r0])
    np.testing.assert_array_equal(obs["retailer_1"], [10, 0, 0, to_r1, 3 - to_r1])
    # warehouse: nothing left, owes 3; incoming = next customer demand 2 + orders 6 + 3
    np.testing.assert_array_equal(obs["warehouse_0"], [0, 3, 11, 10, 0])
    assert cost == {"retailer_0": 10.0, "retailer_1": 10.0, "warehouse_0": 3.0}
    # Period 2: 10 arrive; the warehouse pays what it owes, then its customers' 2: 5 left.
    obs, _, cost = _step(env, {"retailer_0": 0, "retailer_1": 0, "warehouse_0": 0})
    assert env.batch.last.shipped[0].tolist() == [6 - to_r0, 3 - to_r1, 0]
    np.testing.assert_array_equal(obs["warehouse_0"], [5, 0, 2, 0, 0])
    np.testing.assert_array_equal(obs["retailer_0"], [10 + to_r0, 0, 0, 6 - to_r0, 0])
    assert cost["warehouse_0"] == 2.5


def test_proportional_rounds_down_and_hands_out_remainder_by_priority():
    env = _allocation_env("proportional")
    env.reset(seed=0)
    # claims 2 (customers), 5 (retailer_1), 5 (retailer_0), 8 on hand: shares 1, 3, 3 = 7 and
    # the remaining unit goes to the customers (first in priority order).
    _step(env, {"retailer_0": 5, "retailer_1": 5, "warehouse_0": 0})
    out = env.batch.last
    assert out.sold[0, 2] == 2
    assert out.shipped[0, :2].tolist() == [3, 3]


# ---------------------------------------------------------------------------- dual sourcing
def _dual_env(basis):
    """store_0 buys slow and cheap from depot_0 (L=3, 0.5/unit) and fast and dear from outside
    (L=1, 2/unit + 1 per order); depot_0 buys from outside (L=1)."""
    return network_v0.parallel_env(
        network={
            "order_cost_basis": basis,
            "outside_suppliers": ["express", "factory"],
            "nodes": [
                {"name": "store_0", "holding_cost": 1.0, "backorder_cost": 2.0, "initial_inventory": 5,
                 "demand": {"type": "trace", "data": [3, 4, 5, 6, 1]}},
                {"name": "depot_0", "holding_cost": 0.5, "backorder_cost": 1.0, "initial_inventory": 2},
            ],
            "edges": [
                {"supplier": "depot_0", "customer": "store_0", "lead_time": 3, "unit_cost": 0.5},
                {"supplier": "express", "customer": "store_0", "lead_time": 1, "unit_cost": 2.0, "fixed_cost": 1.0},
                {"supplier": "factory", "customer": "depot_0", "lead_time": 1},
            ],
        },
        max_order=10,
        max_cycles=4,
    )  # fmt: skip


@pytest.mark.parametrize("basis", ["ordered", "shipped"])
def test_dual_sourcing_by_hand(basis):
    env = _dual_env(basis)
    obs, _ = env.reset(seed=0)
    assert env.action_space("store_0").nvec.tolist() == [11, 11]
    #                     [oh, bl, in, slow: t1 t2 t3 owed, fast: t1 t2 t3 owed]
    np.testing.assert_array_equal(obs["store_0"], [5, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0])
    # Period 1: store orders 4 slow + 2 fast; the depot has 2 of the 4; depot orders 6 (its
    # second entry is padding and is ignored).
    obs, _, cost = _step(env, {"store_0": [4, 2], "depot_0": [6, 9]})
    np.testing.assert_array_equal(obs["store_0"], [2, 0, 4, 0, 0, 2, 2, 2, 0, 0, 0])
    np.testing.assert_array_equal(obs["depot_0"], [0, 2, 4, 6, 0, 0, 0, 0, 0, 0, 0])
    slow = 4 * 0.5 if basis == "ordered" else 2 * 0.5  # ordered 4, shipped 2
    assert cost["store_0"] == pytest.approx(2 * 1.0 + slow + 2 * 2.0 + 1.0)
    assert cost["depot_0"] == 2 * 1.0
    # Period 2: the 2 express units arrive (4 on hand, all sold); the depot gets 6 and ships
    # the 2 it owes (L=3).
    obs, _, cost = _step(env, {"store_0": [0, 0], "depot_0": [0, 0]})
    np.testing.assert_array_equal(obs["store_0"], [0, 0, 5, 0, 2, 2, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(obs["depot_0"], [4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert cost["store_0"] == (2 * 0.5 if basis == "shipped" else 0.0)
    assert cost["depot_0"] == 4 * 0.5
    # Period 3: nothing arrives: demand 5 is backlogged.
    obs, _, cost = _step(env, {"store_0": [0, 0], "depot_0": [0, 0]})
    np.testing.assert_array_equal(obs["store_0"], [0, 5, 6, 2, 2, 0, 0, 0, 0, 0, 0])
    assert cost["store_0"] == 5 * 2.0
    # Period 4: the first 2 slow units arrive against 5 + 6 owed: backlog 9.
    obs, _, cost = _step(env, {"store_0": [0, 0], "depot_0": [0, 0]})
    np.testing.assert_array_equal(obs["store_0"][:6], [0, 9, 1, 2, 0, 0])
    assert cost["store_0"] == 9 * 2.0


# ------------------------------------------------------------------------------ lost sales
@pytest.mark.parametrize("warehouse_lost_sales", [False, True])
def test_lost_sales_by_hand(warehouse_lost_sales):
    env = network_v0.parallel_env(
        network={
            "nodes": [
                {"name": "retailer_0", "holding_cost": 1.0, "backorder_cost": 3.0, "lost_sales": True,
                 "initial_inventory": 3, "demand": {"type": "trace", "data": [5, 1, 1]}},
                {"name": "warehouse_0", "holding_cost": 1.0, "backorder_cost": 2.0,
                 "lost_sales": warehouse_lost_sales, "initial_inventory": 1},
            ],
            "edges": [
                {"supplier": "warehouse_0", "customer": "retailer_0", "lead_time": 1},
                {"customer": "warehouse_0", "lead_time": 1},
            ],
        },
        max_order=10,
        max_cycles=2,
    )  # fmt: skip
    env.reset(seed=0)
    # Retailer: 3 on hand, demand 5: 3 sold, 2 lost (penalty 3 each). It orders 4; the
    # warehouse has 1: ships 1, and the 3 it cannot ship are owed (backlog, 2 per unit per
    # period) or, at a lost-sales warehouse, lost (2 per unit, once).
    obs, _, cost = _step(env, {"retailer_0": 4, "warehouse_0": 0})
    out = env.batch.last
    assert out.sold[0, 0] == 3 and out.lost[0].tolist() == [2, 3 if warehouse_lost_sales else 0]
    assert cost == {"retailer_0": 2 * 3.0, "warehouse_0": 3 * 2.0}
    owed = 0 if warehouse_lost_sales else 3
    np.testing.assert_array_equal(obs["retailer_0"], [0, 0, 1, 1, owed])
    np.testing.assert_array_equal(obs["warehouse_0"], [0, owed, 4, 0, 0])
    # Period 2: the unit arrives and is sold; the backlogging warehouse still owes 3.
    obs, _, cost = _step(env, {"retailer_0": 0, "warehouse_0": 0})
    assert cost == {"retailer_0": 0.0, "warehouse_0": owed * 2.0}
    assert env.batch.last.lost[0].tolist() == [0, 0]


# ---------------------------------------------------------------------------- overtaking
def test_random_lead_times_let_shipments_overtake():
    env = network_v0.parallel_env(
        nodes=[Node("store_0", demand=Constant(0))],
        edges=[Edge(None, "store_0", lead_time={1: 0.5, 3: 0.5})],
        max_order=9,
        max_cycles=40,
    )
    for seed in range(50):
        env.reset(seed=seed)
        lead = env.batch.scenario.lead[0, :, 0]
        hits = np.flatnonzero((lead[:-3] == 3) & (lead[1:-2] == 1))
        if hits.size:
            break
    t = int(hits[0])
    arrived = []
    for k in range(t + 4):
        _step(env, {"store_0": 5 if k == t else 7 if k == t + 1 else 0})
        arrived.append(int(env.batch.last.arrived[0, 0]))
    # sent 5 in period t (lead 3) and 7 in period t + 1 (lead 1): the 7 arrive first
    assert arrived[t + 2] == 7 and arrived[t + 3] == 5


# ------------------------------------------------------------------------- the 2x3 preset
def _preset_with_trace(**kwargs):
    base = network_v0.parallel_env(preset="liu2022_2x3")
    net = network_v0.network_to_dict(base.spec)
    net["nodes"][0]["demand"] = {"type": "trace", "data": [3, 2, 0]}
    net["nodes"][1]["demand"] = {"type": "trace", "data": [5, 4, 0]}
    return network_v0.parallel_env(preset="liu2022_2x3", network=net, **kwargs)


def test_liu2022_2x3_two_periods_by_hand():
    env = _preset_with_trace(normalize_obs=False, action_type="discrete")
    agents = ["retailer_0", "retailer_1", "distributor_0", "distributor_1", "manufacturer_0", "manufacturer_1"]
    assert env.possible_agents == agents
    obs, _ = env.reset(seed=0)
    # 2 on hand, 2 arriving in each of the next 4 periods on the slow link, demand not shown yet
    np.testing.assert_array_equal(obs["retailer_0"], [2, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0])
    # Period 1: everyone orders (1, 2) = flat action 5 * 1 + 2 = 7. Every node receives 2 (4 on
    # hand) and can ship all it is asked: upstream node 0 is asked 1 + 1, node 1 is asked 2 + 2.
    # Retailers: 3 of 3 sold; 4 of 5 sold and 1 lost. Ordering: 1 * 0.1 + 2 * 0.2 = 0.5 each.
    obs, rew, cost = _step(env, dict.fromkeys(agents, 7))
    expect = {"retailer_0": 1 + 0.5, "retailer_1": 1 + 0.5, "distributor_0": 2 + 0.5,
              "distributor_1": 0 + 0.5, "manufacturer_0": 2 + 0.5, "manufacturer_1": 0 + 0.5}  # fmt: skip
    assert cost == pytest.approx(expect)
    team = sum(expect.values()) / 6
    for a in agents:
        assert rew[a] == pytest.approx(-(0.75 * expect[a] + 0.25 * team))
    # retailer_0: 1 left; incoming = the demand it just served (3); slow link [2, 2, 2, 1],
    # fast link [0, 2]
    np.testing.assert_array_equal(obs["retailer_0"], [1, 0, 3, 2, 2, 2, 1, 0, 0, 2, 0, 0, 0])
    np.testing.assert_array_equal(obs["distributor_0"], [2, 0, 2, 2, 2, 2, 1, 0, 0, 2, 0, 0, 0])
    np.testing.assert_array_equal(obs["distributor_1"], [0, 0, 4, 2, 2, 2, 1, 0, 0, 2, 0, 0, 0])
    # Period 2: everyone orders (4, 4) = 24; suppliers are short and serve node 1 first.
    # manufacturer_0 (4 on hand): 4 to distributor_1, owes distributor_0 4.
    # manufacturer_1 (2 on hand): 2 to distributor_1, owes it 2 more and distributor_0 4.
    # distributor_0 (4): 4 to retailer_1, owes retailer_0 4; distributor_1 (2): 2 to
    # retailer_1, owes it 2 and retailer_0 4. Retailers: 3 on hand sell 2; 2 on hand, 4
    # wanted: 2 lost. Ordering costs on shipped units; the outside ships 4 + 4.
    obs, rew, cost = _step(env, dict.fromkeys(agents, 24))
    expect = {"retailer_0": 1.0, "retailer_1": 2 + 4 * 0.1 + 2 * 0.2, "distributor_0": 4.0,
              "distributor_1": 6 + 4 * 0.1 + 2 * 0.2, "manufacturer_0": 4 + 1.2, "manufacturer_1": 6 + 1.2}  # fmt: skip
    assert cost == pytest.approx(expect)
    shipped = env.batch.last.shipped[0]
    spec = env.spec
    by_edge = {(e.supplier, e.customer, e.lead_time.values[0]): int(q) for e, q in zip(spec.edges, shipped, strict=True)}
    assert by_edge[("distributor_0", "retailer_0", 4)] == 0
    assert by_edge[("distributor_0", "retailer_1", 4)] == 4
    assert by_edge[("distributor_1", "retailer_1", 2)] == 2
    assert by_edge[("manufacturer_1", "distributor_1", 2)] == 2
    assert by_edge[(None, "manufacturer_0", 4)] == 4 and by_edge[(None, "manufacturer_0", 2)] == 4
    # owed_by_supplier of retailer_0: 4 on the slow link and 4 on the fast one
    assert obs["retailer_0"][7] == 4 and obs["retailer_0"][12] == 4
