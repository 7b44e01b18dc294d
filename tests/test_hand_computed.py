"""Episodes of a few periods computed by hand, period by period.

The chain: two stages, lead times (1, 2), demand 3, 5, 2, 4 (a trace), holding (1, 0.5),
backorder (4, 1), in-transit holding 0.25 into the retailer, 4 and 2 units on hand and one
unit in the retailer's inbound pipeline at the start. Observation of a stage:
[on_hand, backlog, incoming, transit_1, transit_2, owed_by_supplier].
"""

from __future__ import annotations

import numpy as np
import pytest

from inventory_zoo import Trace, serial_v0
from inventory_zoo.core.engine import conservation_gap

BASE = dict(
    num_stages=2,
    lead_times=(1, 2),
    demand=Trace([3, 5, 2, 4, 6, 1]),
    holding_costs=(1.0, 0.5),
    backorder_costs=(4.0, 1.0),
    pipeline_holding_costs=(0.25, 0.0),
    initial_inventory=(4, 2),
    initial_pipeline=(1, 0),
    max_cycles=4,
    max_order=10,
)

ACTIONS = [(2, 5), (6, 0), (0, 0), (0, 0)]


def _run(env):
    obs, _ = env.reset(seed=0)
    trace = [obs]
    costs = []
    truncs = []
    for a0, a1 in ACTIONS:
        obs, rew, term, trunc, info = env.step({"stage_0": a0, "stage_1": a1})
        trace.append(obs)
        costs.append((info["stage_0"]["cost"], info["stage_1"]["cost"]))
        assert rew["stage_0"] == -info["stage_0"]["cost"]
        truncs.append(trunc["stage_0"])
        assert conservation_gap(env.engine_state)[0] == 0
    return trace, costs, truncs


def test_backlog_episode_by_hand():
    trace, costs, truncs = _run(serial_v0.parallel_env(**BASE))
    expect_obs = [
        # reset: retailer sees demand 3 and the 1 unit arriving next period
        ([4, 0, 3, 1, 0, 0], [2, 0, 0, 0, 0, 0]),
        # t1: 1 arrives, 3 sold; stage_1 ships its 2 units; 5 units leave the outside supplier
        ([2, 0, 5, 2, 0, 0], [0, 0, 2, 0, 5, 0]),
        # t2: 2 arrive, 4 of 5 sold (1 backlogged); stage_1 cannot ship the order of 6
        ([0, 1, 2, 0, 0, 6], [0, 6, 6, 5, 0, 0]),
        # t3: nothing arrives at the retailer (backlog 1 + 2 = 3); stage_1 gets 5, ships 5
        ([0, 3, 4, 5, 0, 1], [0, 1, 0, 0, 0, 0]),
        # t4: 5 arrive against 3 + 4 owed: 5 sold, backlog 2
        ([0, 2, 6, 0, 0, 1], [0, 1, 0, 0, 0, 0]),
    ]
    for (o0, o1), obs in zip(expect_obs, trace, strict=True):
        np.testing.assert_array_equal(obs["stage_0"], o0)
        np.testing.assert_array_equal(obs["stage_1"], o1)
    # holding + backlog + in-transit into the retailer (0.25 per unit)
    assert costs == [(2 + 0.5, 0), (4, 6), (12 + 1.25, 1), (8, 1)]
    assert truncs == [False, False, False, True]


def test_lost_sales_episode_by_hand():
    trace, costs, _ = _run(serial_v0.parallel_env(lost_sales=True, **BASE))
    # t2: 4 of 5 sold, 1 lost (penalty 4); t3: 2 lost; t4: 5 arrive, 4 sold, 1 left on hand
    np.testing.assert_array_equal(trace[2]["stage_0"], [0, 0, 2, 0, 0, 6])
    np.testing.assert_array_equal(trace[3]["stage_0"], [0, 0, 4, 5, 0, 1])
    np.testing.assert_array_equal(trace[4]["stage_0"], [1, 0, 6, 0, 0, 1])
    assert costs == [(2.5, 0), (4, 6), (8 + 1.25, 1), (1, 1)]
    out = serial_v0.parallel_env(lost_sales=True, **BASE)
    out.reset(seed=0)
    for a0, a1 in ACTIONS[:2]:
        out.step({"stage_0": a0, "stage_1": a1})
    assert out.batch.last.lost[0].tolist() == [1, 0]
    assert out.batch.last.filled[0].tolist() == [4, 0]


def test_reward_mix_blends_team_cost():
    env = serial_v0.parallel_env(reward_mix=0.5, **BASE)
    env.reset(seed=0)
    env.step({"stage_0": 2, "stage_1": 5})
    _, rew, _, _, info = env.step({"stage_0": 6, "stage_1": 0})
    # costs (4, 6): team mean 5
    assert rew["stage_0"] == pytest.approx(-(0.5 * 4 + 0.5 * 5))
    assert rew["stage_1"] == pytest.approx(-(0.5 * 6 + 0.5 * 5))
    assert info["stage_0"]["cost"] == 4


def test_order_delay_and_order_costs_by_hand():
    env = serial_v0.parallel_env(
        num_stages=1,
        lead_times=1,
        order_delays=2,
        demand=Trace([0]),
        holding_costs=0.0,
        backorder_costs=0.0,
        order_costs=2.0,
        fixed_order_costs=3.0,
        initial_inventory=0,
        max_cycles=5,
        max_order=10,
    )
    obs, _ = env.reset(seed=0)
    # [on_hand, backlog, incoming, transit_1, owed, order_slot_1, order_slot_2]
    np.testing.assert_array_equal(obs["stage_0"], [0, 0, 0, 0, 0, 0, 0])
    obs, _, _, _, info = env.step({"stage_0": 7})
    np.testing.assert_array_equal(obs["stage_0"], [0, 0, 0, 0, 0, 0, 7])
    assert info["stage_0"]["cost"] == 2 * 7 + 3
    obs, _, _, _, info = env.step({"stage_0": 0})
    np.testing.assert_array_equal(obs["stage_0"], [0, 0, 0, 0, 0, 7, 0])
    assert info["stage_0"]["cost"] == 0
    obs, *_ = env.step({"stage_0": 0})  # the order reaches the outside supplier, ships (L=1)
    np.testing.assert_array_equal(obs["stage_0"], [0, 0, 0, 7, 0, 0, 0])
    obs, *_ = env.step({"stage_0": 0})
    np.testing.assert_array_equal(obs["stage_0"], [7, 0, 0, 0, 0, 0, 0])


def test_demand_visible_false_shows_served_demand():
    env = serial_v0.parallel_env(demand_visible=False, **BASE)
    obs, _ = env.reset(seed=0)
    assert obs["stage_0"][2] == 0
    obs, *_ = env.step({"stage_0": 2, "stage_1": 5})
    assert obs["stage_0"][2] == 3  # the demand just served, not the next one (5)


def test_quantity_discount_and_shipping_loss():
    env = serial_v0.parallel_env(preset="liu2022", price_discount=True, max_cycles=3)
    env.reset(seed=0)
    _, _, _, _, info = env.step({"stage_0": 12, "stage_1": 4, "stage_2": 20})
    parts = env.batch.last.order_cost[0]
    np.testing.assert_allclose(parts, [12 * 0.9, 4 * 1.0, 20 * 0.8])
    lossy = serial_v0.parallel_env(preset="liu2022", shipping_loss=True, max_cycles=50)
    lossy.reset(seed=1)
    for t in range(50):
        due = lossy.engine_state.pipe[0, :, 0].copy()
        u = lossy.batch.scenario.loss[0, t]
        lossy.step({a: 10 for a in lossy.possible_agents})
        arrived = lossy.batch.last.arrived[0]
        # The kept part rounds down: an arrival of 10 keeps 9 or 10, one of 9 keeps 8 or 9.
        assert arrived.tolist() == [int(a * (1 - x / 100)) for a, x in zip(due, u, strict=True)]
        assert np.all((arrived >= due - 1 - due // 10) & (arrived <= due))
    assert lossy.engine_state.transit_lost[0] > 0
    assert conservation_gap(lossy.engine_state)[0] == 0
