"""The ``liu2022`` preset's options reproduce the origin code's serial env exactly.

The reference below restates, period by period, the rules of the origin code's serial env as
REFERENCES.md section 1 and the fidelity issue describe them (it is not that code): each stage
fills its customer's order plus its backlog from its stock plus its arrival; an arrival of
``a`` units keeps ``int(a * (1 - u / 100))``; the stage above ships
``min(what is asked, its stock + its arrival)``; a stage pays holding 1 and backlog 1 per unit,
a discounted unit cost on what it orders, and a fixed cost of 5 when the shipment sent to it
that period is non-zero.
"""

from __future__ import annotations

import numpy as np
import pytest

from inventory_zoo import serial_v0
from inventory_zoo.core import engine
from inventory_zoo.core.demand import Constant
from inventory_zoo.core.spec import Edge, Node, SupplyChain

DISCOUNT = (1.0, 0.95, 0.9, 0.85, 0.8)  # by blocks of 5 units ordered


def test_shipping_loss_keeps_the_rounded_down_part_for_every_arrival_and_draw():
    spec = SupplyChain(
        (Node("n", demand=Constant(0)),), (Edge(None, "n", lead_time=1),), shipping_loss=0.1
    )
    pairs = [(a, u) for a in range(41) for u in range(11)]
    B = len(pairs)
    a_col = np.array([a for a, _ in pairs], np.int64)
    u_col = np.array([u for _, u in pairs], np.int64)
    scenario = engine.Scenario(np.zeros((B, 2, 1), np.int64), None, u_col.reshape(B, 1, 1))
    state = engine.reset(spec, scenario)
    state.pipe[:, 0, 0] = a_col
    out = engine.step(spec, state, np.zeros((B, 1), np.int64), scenario)
    expected = [int(a * (1 - u / 100)) for a, u in pairs]  # the origin code's expression
    assert out.arrived[:, 0].tolist() == expected
    assert (state.transit_lost == a_col - expected).all()
    # Examples: 5 units lose one at u >= 1 (int(4.95) = 4); 40 units at u = 10 keep 36.
    assert expected[pairs.index((5, 1))] == 4 and expected[pairs.index((40, 10))] == 36
    # The mean loss of an arrival of 5 units over u = 0..10 is 10/11 of a unit.
    assert np.mean([5 - int(5 * (1 - u / 100)) for u in range(11)]) == pytest.approx(10 / 11)


def reference_costs(demand: np.ndarray, keep_u: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """Per-period costs ``[T, 3]`` of the origin code's rules with every option on.

    Args:
        demand: ``[T]`` customer demand served in each period.
        keep_u: ``[T, 3]`` the loss percent ``u`` of each stage's arrival in each period.
        actions: ``[T, 3]`` orders, retailer first.
    """
    n, lead = 3, 4
    inventory = [10] * n
    backlog = [0] * n
    pipeline = [[10] * lead for _ in range(n)]
    costs = []
    for t in range(len(demand)):
        act = [int(x) for x in actions[t]]
        asked = [int(demand[t])] + act[:-1]
        due = [asked[i] + backlog[i] for i in range(n)]
        arrival = [int(pipeline[i][0] * (1 - int(keep_u[t, i]) / 100)) for i in range(n)]
        sent = []
        for i in range(n):
            if i == n - 1:
                sent.append(act[i])  # the outside supplier ships every order
            else:
                sent.append(min(due[i + 1], inventory[i + 1] + arrival[i + 1]))
        row = []
        for i in range(n):
            unmet = due[i] - inventory[i] - arrival[i]
            inventory[i], backlog[i] = max(-unmet, 0), max(unmet, 0)
            pipeline[i] = pipeline[i][1:] + [sent[i]]
            order_cost = DISCOUNT[act[i] // 5] * act[i]
            row.append(inventory[i] + backlog[i] + order_cost + (5.0 if sent[i] > 0 else 0.0))
        costs.append(row)
    return np.array(costs)


@pytest.mark.parametrize("seed", range(6))
def test_liu2022_with_every_option_matches_the_reference_period_by_period(seed):
    env = serial_v0.parallel_env(
        preset="liu2022", price_discount=True, fixed_cost=True, shipping_loss=True, max_cycles=200
    )
    env.reset(seed=seed)
    scenario = env.batch.scenario
    rng = np.random.default_rng(seed)
    # Mostly sensible orders, sometimes none: shipments of 0 (no fixed cost) and stockouts.
    actions = np.where(rng.random((200, 3)) < 0.2, 0, rng.integers(0, 21, (200, 3)))
    got = []
    for t in range(200):
        _, _, _, _, info = env.step({a: int(actions[t, i]) for i, a in enumerate(env.possible_agents)})
        got.append([info[a]["cost"] for a in env.possible_agents])
    want = reference_costs(scenario.demand[0, :200, 0], scenario.loss[0], actions)
    np.testing.assert_allclose(np.array(got), want, rtol=0, atol=1e-9)


def test_fixed_cost_is_charged_on_the_shipment_sent_not_on_the_order():
    # Stage 2 starts empty with nothing on its way: stage 1's order of 5 gets no shipment (no
    # fixed cost), while stage 0's order of 4 is shipped from stage 1's stock (fixed cost 5),
    # and stage 2's order of 3 from outside is shipped at once (fixed cost 5).
    env = serial_v0.parallel_env(
        preset="liu2022", fixed_cost=True, initial_inventory=(10, 10, 0), initial_pipeline=(10, 10, 0), max_cycles=3
    )
    env.reset(seed=0)
    env.step({"stage_0": 4, "stage_1": 5, "stage_2": 3})
    out = env.batch.last
    assert out.shipped[0].tolist() == [4, 0, 3]
    np.testing.assert_array_equal(out.order_cost[0], [5.0, 0.0, 5.0])
