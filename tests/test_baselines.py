"""Every baseline policy on the envs it supports, and the base-stock search."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_zoo import evaluate, serial_v0
from inventory_zoo.policies import (
    SS,
    BaseStock,
    CallablePolicy,
    ConstantOrder,
    EchelonBaseStock,
    ModelPolicy,
    RandomPolicy,
    as_policy,
    optimal_serial_base_stock,
    search_base_stock,
)
from tests.conftest import ENV_CASES

POLICIES = [BaseStock(30), SS(10, 40), ConstantOrder(2), RandomPolicy(1)]


@pytest.mark.parametrize("module, kwargs", ENV_CASES)
@pytest.mark.parametrize("policy", POLICIES, ids=repr)
def test_policy_runs_on_env_with_valid_actions(module, kwargs, policy):
    env = module.parallel_env(**kwargs)
    obs, _ = env.reset(seed=0)
    for _ in range(5):
        acts = policy(obs, env)
        for a, v in acts.items():
            assert env.action_space(a).contains(np.asarray(v, dtype=np.int64).reshape(env.action_space(a).shape))
        obs, *_ = env.step(acts)
    rep = evaluate(env, policy, episodes=2, seed=0, max_cycles=20)
    assert np.isfinite(rep.cost_per_period)


def test_ss_orders_only_at_or_below_s():
    env = serial_v0.parallel_env(num_stages=1, demand=3, initial_inventory=10, lead_times=1, max_cycles=10)
    obs, _ = env.reset(seed=0)
    pol = SS(5, 12)
    orders = []
    while env.agents:
        act = pol(obs, env)
        orders.append(act["stage_0"])
        obs, *_ = env.step(act)
    # positions (after the revealed demand of 3): 7 (no order), 4 (order up to 12: 8), 9
    assert orders[:3] == [0, 8, 0]
    with pytest.raises(ValueError, match="S must be >= s"):
        SS(10, 5).act(np.zeros((1, 1, 6)), env)


def test_random_policy_is_seeded():
    env = serial_v0.parallel_env()
    a = evaluate(env, RandomPolicy(3), episodes=2, seed=0).cost_per_period
    b = evaluate(env, RandomPolicy(3), episodes=2, seed=0).cost_per_period
    assert a == b


def test_wrappers():
    class Model:
        def predict(self, obs, deterministic=True):
            assert obs.ndim == 2
            return np.full(obs.shape[0], 7), None

    env = serial_v0.parallel_env(max_cycles=5)
    obs, _ = env.reset(seed=0)
    assert set(ModelPolicy(Model())(obs, env).values()) == {7}
    assert isinstance(as_policy(Model()), ModelPolicy)
    assert isinstance(as_policy(lambda o, e: np.zeros(o.shape[:2], int)), CallablePolicy)
    with pytest.raises(TypeError):
        as_policy(42)


def test_echelon_refuses_non_serial_chain():
    from inventory_zoo.core.spec import Edge, Node, SupplyChain
    from inventory_zoo.envs.parallel import SupplyChainParallelEnv

    spec = SupplyChain(
        (Node("w"), Node("r1", demand=2), Node("r2", demand=2)),
        (Edge(None, "w"), Edge("w", "r1"), Edge("w", "r2")),
    )
    env = SupplyChainParallelEnv(spec, max_order=10, max_cycles=5)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="serial"):
        EchelonBaseStock(5).act(np.zeros((1, 3, 1)), env)
    assert BaseStock(5).act(np.zeros((1, 3, 1)), env).shape == (1, 3)


def test_search_finds_the_textbook_optimum_within_one_percent():
    env = serial_v0.parallel_env(preset="snyder_shen_6_1")
    res = search_base_stock(env, episodes=6, max_cycles=300, seed=0, progress=False)
    assert res.evaluations > 0 and len(res.history) == res.evaluations
    _, exact = optimal_serial_base_stock(env)
    # fresh episodes, common to both policies
    found = evaluate(env, res.policy(), episodes=24, seed=10_000, max_cycles=1000).cost_per_period
    best = evaluate(env, EchelonBaseStock((9, 15, 26)), episodes=24, seed=10_000, max_cycles=1000).cost_per_period
    assert found <= best * 1.01
    assert found == pytest.approx(exact, rel=0.02)


def test_grid_search_and_bad_arguments():
    env = serial_v0.parallel_env(num_stages=1, demand=4, lead_times=1, max_cycles=30)
    res = search_base_stock(env, ranges=(0, 12), method="grid", episodes=1, progress=False)
    assert res.levels == (4,)  # constant demand 4 seen before ordering, lead time 1
    local = search_base_stock(env, ranges=(0, 12), method="grid", episodes=1, sequential=False, progress=False)
    assert local.policy().sequential is False and res.policy().sequential is True
    with pytest.raises(ValueError, match="method"):
        search_base_stock(env, method="anneal", progress=False)
    with pytest.raises(ValueError, match="ranges"):
        search_base_stock(env, ranges=[(5, 1)], progress=False)
