"""Base-stock policies and the evaluation harness."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_zoo import Constant, evaluate, network_v0, serial_v0
from inventory_zoo.policies import BaseStock, EchelonBaseStock
from inventory_zoo.policies.base_stock import echelon_position, installation_position, orders_up_to


def test_base_stock_orders_up_to_level_from_local_observation():
    env = serial_v0.parallel_env(demand=Constant(4), lead_times=2, initial_inventory=5, max_cycles=30)
    obs, _ = env.reset(seed=0)
    pol = BaseStock((12, 10, 10), sequential=False)
    # The position is computable from each agent's own observation.
    o = np.stack([obs[a] for a in env.possible_agents])
    ip_from_obs = o[:, 0] - o[:, 1] + o[:, 3:].sum(1) - np.array([o[0, 2], 0, 0])
    np.testing.assert_array_equal(installation_position(env)[0], ip_from_obs)
    acts = pol(obs, env)
    assert acts == {"stage_0": 12 - (5 - 4), "stage_1": 5, "stage_2": 5}
    # In steady state with constant demand every stage orders the demand.
    for _ in range(25):
        obs, *_ = env.step(pol(obs, env))
    assert pol(obs, env) == {"stage_0": 4, "stage_1": 4, "stage_2": 4}


def test_sequential_base_stock_counts_this_periods_customer_orders():
    env = serial_v0.parallel_env(demand=Constant(4), lead_times=2, initial_inventory=5, max_cycles=30)
    obs, _ = env.reset(seed=0)
    # retailer orders 12 - (5 - 4) = 11; stage_1 then sees 5 - 11 = -6 and orders 10 + 6 = 16; ...
    assert BaseStock((12, 10, 10))(obs, env) == {"stage_0": 11, "stage_1": 16, "stage_2": 21}
    assert BaseStock.needs_state is not None and BaseStock(3).needs_state
    assert not BaseStock(3, sequential=False).needs_state


def test_installation_equals_echelon_in_a_serial_chain():
    env = serial_v0.parallel_env(preset="snyder_shen_6_1", max_cycles=300)
    inst = evaluate(env, BaseStock((9, 15 - 9, 26 - 15)), episodes=4, seed=2)
    ech = evaluate(env, EchelonBaseStock((9, 15, 26)), episodes=4, seed=2)
    np.testing.assert_array_equal(inst.episode_costs, ech.episode_costs)


def test_orders_are_capped_at_max_order():
    env = serial_v0.parallel_env(max_order=3, initial_inventory=0)
    obs, _ = env.reset(seed=0)
    assert set(BaseStock(50)(obs, env).values()) == {3}


def test_echelon_position_sums_downstream_stock():
    env = serial_v0.parallel_env(preset="snyder_shen_6_1")
    env.reset(seed=0)
    s = env.engine_state
    ep = echelon_position(env)[0]
    d = s.demand[0, 0]
    assert ep.tolist() == [9 - d, 15 - d, 26 - d]


def test_evaluate_report_and_common_random_numbers():
    env = serial_v0.parallel_env(preset="snyder_shen_6_1", max_cycles=100)
    r1 = evaluate(env, EchelonBaseStock((9, 15, 26)), episodes=6, seed=3)
    r2 = evaluate(env, EchelonBaseStock((9, 15, 26)), episodes=6, seed=3)
    assert r1.cost_per_period == r2.cost_per_period
    assert sum(r1.agent_cost_per_period.values()) == pytest.approx(r1.cost_per_period)
    assert r1.episodes == 6 and r1.periods == 100
    # Episode k of evaluate is the ParallelEnv episode seeded seed + k.
    env.reset(seed=3 + 2)
    pol = EchelonBaseStock((9, 15, 26))
    total = 0.0
    obs = None
    obs, _ = env.reset(seed=5)
    while env.agents:
        obs, _, _, _, info = env.step(pol(obs, env))
        total += sum(i["cost"] for i in info.values())
    assert r1.episode_costs[2] == pytest.approx(total / 100)
    # A worse policy costs more on the same demand.
    worse = evaluate(env, EchelonBaseStock((5, 10, 20)), episodes=6, seed=3)
    assert worse.cost_per_period > r1.cost_per_period


def test_evaluate_accepts_a_callable():
    env = serial_v0.parallel_env(max_cycles=10)
    rep = evaluate(env, lambda obs, venv: np.full(obs.shape[:2], 10), episodes=3, seed=0)
    assert rep.cost_per_period > 0


def test_echelon_needs_a_serial_chain():
    """Echelon positions exist for serial chains only: on the 2x3 network the policy refuses to
    act, naming the reason, while a serial network (network_v0 of a chain) is accepted."""
    net = network_v0.parallel_env(preset="liu2022_2x3")
    net.reset(seed=0)
    with pytest.raises(ValueError, match="echelon positions are defined here for serial chains only"):
        EchelonBaseStock(10).act(None, net)
    chain = network_v0.parallel_env(network=network_v0.network_to_dict(serial_v0.parallel_env().spec))
    chain.reset(seed=0)
    assert EchelonBaseStock(10).act(None, chain).shape == (1, 3)


def test_orders_up_to_matches_the_base_stock_policies():
    env = serial_v0.parallel_env(preset="snyder_shen_6_1", max_cycles=40)
    obs, _ = env.reset(seed=3)
    for _ in range(15):
        levels = np.array([[9.4, 6.0, 10.6]])  # rounded to (9, 6, 11)
        local = BaseStock((9, 6, 11), sequential=False).act(None, env)
        np.testing.assert_array_equal(orders_up_to(levels, env), local)
        ech = EchelonBaseStock((9, 15, 26)).act(None, env)
        np.testing.assert_array_equal(orders_up_to(np.array([[9, 15, 26]]), env, "echelon"), ech)
        obs, *_ = env.step({a: int(q) for a, q in zip(env.possible_agents, ech[0], strict=True)})
    with pytest.raises(ValueError, match="position must be"):
        orders_up_to(levels, env, "local")


def test_unwrap_env_finds_the_parallel_env_inside_wrappers():
    from pettingzoo.utils import BaseParallelWrapper

    from inventory_zoo.evaluation import unwrap_env

    par = serial_v0.parallel_env()
    assert unwrap_env(par) is par
    assert unwrap_env(BaseParallelWrapper(par)) is par
    assert isinstance(unwrap_env(serial_v0.env()), type(par))
    with pytest.raises(TypeError, match="expected an inventory_zoo env"):
        unwrap_env(object())
