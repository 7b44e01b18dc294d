"""beer_game_v0: Sterman's benchmark, the board by hand, presets, conservation, bad arguments,
and the Clark-Scarf reading of the DQN settings' published base-stock levels."""

from __future__ import annotations

import numpy as np
import pettingzoo
import pytest

import inventory_zoo  # noqa: F401  (registers the envs)
from inventory_zoo import Normal, Uniform, beer_game_v0, evaluate, serial_v0
from inventory_zoo.beer_game_v0 import AGENTS, STERMAN_BENCHMARK
from inventory_zoo.core.engine import conservation_gap
from inventory_zoo.evaluation import run_episodes
from inventory_zoo.policies import BaseStock, EchelonBaseStock, Sterman, optimal_serial_base_stock
from inventory_zoo.policies.clark_scarf import chen_zheng
from inventory_zoo.policies.sterman import stock_and_supply_line

PRESETS = ("classic", "dqn_uniform_0_2", "dqn_uniform_0_8", "dqn_normal_10_2", "plooto")


def _play(env, policy, actions=None):
    """Play an episode; returns per-agent total costs and the actions taken."""
    obs, _ = env.reset(seed=0)
    total = dict.fromkeys(env.possible_agents, 0.0)
    taken = []
    while env.agents:
        act = policy(obs, env) if actions is None else actions[len(taken)]
        taken.append([int(act[a]) for a in env.possible_agents])
        obs, _, _, _, infos = env.step(act)
        for a in total:
            total[a] += infos[a]["cost"]
        assert conservation_gap(env.engine_state)[0] == 0
    return total, taken


# ---------------------------------------------------------------- Sterman's benchmark
def test_sterman_benchmark_46_50_54_54():
    env = beer_game_v0.parallel_env(preset="classic")
    costs, orders = _play(env, Sterman(theta=0, alpha_s=1, beta=1, s_prime=(28, 28, 28, 20)))
    assert costs == STERMAN_BENCHMARK == {"retailer": 46, "wholesaler": 50, "distributor": 54, "factory": 54}
    assert sum(costs.values()) == 204
    # The setup slips and weeks 1-4 are 4 (board protocol); then the rule, e.g. week 5's
    # retailer: 4 + 28 - (8 on hand) - (4 + 4 in transit + 4 on the slip) = 12.
    assert orders[:5] == [[4, 4, 4, 4]] * 5
    assert orders[5:10] == [[12, 8, 8, 4], [8, 4, 4, 4], [8, 12, 8, 8], [8, 8, 4, 4], [8, 8, 12, 8]]
    assert orders[-1] == [8, 8, 8, 8]


def test_sterman_benchmark_on_the_vector_path_and_the_registry():
    par = pettingzoo.make("parallel", "inventory_zoo/beer-game-v0", preset="classic")
    report = evaluate(par, Sterman.benchmark(par), episodes=3, seed=5)
    assert report.cost_per_period * 36 == pytest.approx(204)
    assert {a: c * 36 for a, c in report.agent_cost_per_period.items()} == pytest.approx(STERMAN_BENCHMARK)
    aec = pettingzoo.make("aec", "inventory_zoo/beer-game-v0", max_cycles=4)
    aec.reset(seed=0)
    assert aec.agents == list(AGENTS)


def test_benchmark_needs_the_warm_up_not_a_rounding_rule():
    env = beer_game_v0.parallel_env(preset="classic")
    # Every term is a whole number at the benchmark parameters: no rounding convention matters.
    for rounding in ("half_up", "half_even", "floor", "ceil"):
        costs, _ = _play(env, Sterman(0, 1, 1, (28, 28, 28, 20), rounding=rounding))
        assert sum(costs.values()) == 204
    # The warm-up does: the rule from the setup slip on, or from week 1 on, is not Sterman's game.
    assert sum(_play(env, Sterman(0, 1, 1, (28, 28, 28, 20), warmup=0))[0].values()) == 186
    assert sum(_play(env, Sterman(0, 1, 1, (28, 28, 28, 20), warmup=1))[0].values()) == 180
    # Away from 0/1 the expectation and the adjustment are fractional and rounding matters.
    mid = {r: sum(_play(env, Sterman(0.5, 0.5, 0.5, (28, 28, 28, 20), rounding=r))[0].values()) for r in
           ("half_up", "half_even", "floor", "ceil")}  # fmt: skip
    assert len(set(mid.values())) == 4


def test_sterman_reads_what_each_player_sees():
    env = beer_game_v0.parallel_env(preset="classic")
    obs, _ = env.reset(seed=0)
    for _ in range(7):
        obs, *_ = env.step({a: 9 for a in env.agents})
    S, SL = stock_and_supply_line(env)
    o = np.stack([obs[a] for a in AGENTS])
    np.testing.assert_array_equal(S[0], o[:, 0] - o[:, 1])
    np.testing.assert_array_equal(SL[0], o[:, 3:].sum(1))
    pol = Sterman(0.25, 0.5, 0.5, 20, warmup=0)
    pol(obs, env)
    # theta = 0.25: L moves a quarter of the way from 4 toward the order just received.
    np.testing.assert_allclose(pol.expectation()[0], 0.75 * 4 + 0.25 * o[:, 2])


# ---------------------------------------------------------------- the board by hand
def test_classic_first_three_weeks_by_hand():
    """Week 0 (step 1) is the board's setup slips; then players order by hand.

    Observation: [inventory, backlog, incoming order, shipping delay 2 (arrives next week),
    shipping delay 1, supplier's backlog to me, my order slip at the supplier].
    """
    env = beer_game_v0.parallel_env(preset="classic")
    obs, _ = env.reset(seed=0)
    board = {a: [12, 0, 0, 4, 4, 0, 4] for a in AGENTS[:3]} | {"factory": [12, 0, 0, 4, 4, 0, 0]}
    for a in AGENTS:
        np.testing.assert_array_equal(obs[a], board[a])
    weeks = [
        # actions (slips, then week 1 and week 2 orders), obs after the week, costs of the week
        (
            (4, 4, 4, 4),
            # 4 arrive, 4 shipped: 12 on hand; the supplier's shipment sits in delay 1.
            {"retailer": [12, 0, 4, 4, 4, 0, 4], "wholesaler": [12, 0, 4, 4, 4, 0, 4],
             "distributor": [12, 0, 4, 4, 4, 0, 4], "factory": [12, 0, 4, 4, 4, 0, 0]},
            (6, 6, 6, 6),
        ),
        (
            (20, 6, 7, 8),
            # Suppliers read last week's slips (4); the factory's 8 starts brewing (delay 1);
            # each new order sits on its slip.
            {"retailer": [12, 0, 4, 4, 4, 0, 20], "wholesaler": [12, 0, 4, 4, 4, 0, 6],
             "distributor": [12, 0, 4, 4, 4, 0, 7], "factory": [12, 0, 4, 4, 8, 0, 0]},
            (6, 6, 6, 6),
        ),
        (
            (0, 9, 3, 10),
            # The wholesaler reads the retailer's 20 with 16 in stock: ships 16, owes 4.
            {"retailer": [12, 0, 4, 4, 16, 4, 0], "wholesaler": [0, 4, 20, 4, 6, 0, 9],
             "distributor": [10, 0, 6, 4, 7, 0, 3], "factory": [9, 0, 7, 8, 10, 0, 0]},
            (6, 4, 5, 4.5),
        ),
    ]  # fmt: skip
    for actions, expect, costs in weeks:
        obs, rew, _, _, infos = env.step(dict(zip(AGENTS, actions, strict=True)))
        for a in AGENTS:
            np.testing.assert_array_equal(obs[a], expect[a], err_msg=a)
        assert tuple(infos[a]["cost"] for a in AGENTS) == costs
        assert all(rew[a] == -infos[a]["cost"] for a in AGENTS)
        assert conservation_gap(env.engine_state)[0] == 0
    assert env.engine_state.t == 3


# ---------------------------------------------------------------- presets
@pytest.mark.parametrize(
    "preset, demand, h, p, delays, start, T",
    [
        ("classic", None, [0.5] * 4, [1.0] * 4, [1, 1, 1, 0], (12, 4, 4), 36),
        ("dqn_uniform_0_2", Uniform(0, 2), [2.0] * 4, [2, 0, 0, 0], [1, 1, 1, 1], (0, 0, 0), 100),
        ("dqn_uniform_0_8", Uniform(0, 8), [0.5] * 4, [1.0] * 4, [1, 1, 1, 0], (12, 4, 4), 100),
        ("dqn_normal_10_2", Normal(10, 2), [1, 0.75, 0.5, 0.25], [10, 0, 0, 0], [1, 1, 1, 0], (10, 10, 10), 100),
        ("plooto", Uniform(20, 49), [1.0] * 4, [2.0] * 4, [0, 0, 0, 0], (75, 0, 0), 100),
    ],
)  # fmt: skip
def test_preset_settings(preset, demand, h, p, delays, start, T):
    env = beer_game_v0.parallel_env(preset=preset)
    spec, a = env.spec, env.spec.params
    assert spec.node_names == list(AGENTS)
    assert env.max_cycles == T
    assert a.lead_time.tolist() == [2, 2, 2, 2]
    assert a.order_delay.tolist() == delays
    assert a.holding_cost.tolist() == h and a.backorder_cost.tolist() == p
    assert [n.initial_inventory for n in spec.nodes] == [start[0]] * 4
    assert [e.initial_pipeline for e in spec.edges] == [start[1]] * 4
    assert [e.initial_orders for e in spec.edges] == [start[2]] * 4
    if demand is not None:
        assert spec.nodes[0].demand == demand
    assert env.batch.demand_visible is False
    assert a.lost_sales.tolist() == [preset == "plooto", False, False, False]


@pytest.mark.parametrize("preset", PRESETS)
def test_units_are_conserved_under_random_orders(preset):
    env = beer_game_v0.parallel_env(preset=preset, shipping_loss=0.1)
    for seed in range(3):
        env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        while env.agents:
            env.step({a: int(rng.integers(0, env.max_order + 1)) for a in env.agents})
            s = env.engine_state
            assert conservation_gap(s)[0] == 0
            for name in ("on_hand", "backlog", "owed", "pipe", "opipe"):
                assert np.all(getattr(s, name) >= 0), name


def test_options_override_the_preset():
    env = beer_game_v0.parallel_env(
        preset="classic", lead_times=(1, 2, 3, {1: 0.5, 2: 0.5}), episode_length=10, agent_id=True
    )
    assert env.max_cycles == 10
    assert [e.lead_time.max for e in env.spec.edges] == [1, 2, 3, 2]
    assert env.observation_space("factory").shape == (3 + 3 + 1 + 1 + 4,)


def test_max_cycles():
    from pettingzoo.test import max_cycles_test

    max_cycles_test(beer_game_v0)


# ---------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"preset": "board"}, ValueError, "unknown preset 'board'.*classic"),
        ({"num_stages": 3}, TypeError, "unknown argument.*num_stages"),
        ({"lead_times": (2, 2, 2)}, ValueError, "lead_times must have one value per stage \\(4"),
        ({"lead_times": 0}, ValueError, "lead_times must be an integer >= 1"),
        ({"order_delays": (1, 1, 1, -1)}, ValueError, "order_delays\\[3\\] must be an integer >= 0"),
        ({"holding_costs": "cheap"}, TypeError, "holding_costs must be a number"),
        ({"initial_inventory": -12}, ValueError, "initial_inventory\\[0\\] must be an integer >= 0"),
        ({"initial_orders": 4.5}, TypeError, "initial_orders\\[0\\] must be an integer"),
        ({"demand": "4 then 8"}, TypeError, "demand must be a DemandProcess"),
        ({"max_order": 0}, ValueError, "max_order must be an integer >= 1"),
        ({"reward_mix": 2}, ValueError, "reward_mix must be <= 1"),
        ({"max_cycles": 5, "episode_length": 6}, ValueError, "disagree"),
        ({"render_mode": "rgb"}, ValueError, "render_mode='rgb' is not allowed"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        beer_game_v0.parallel_env(**kwargs)


def test_bad_actions_are_refused_whole():
    env = beer_game_v0.parallel_env()
    env.reset(seed=0)
    before = env.engine_state.copy()
    with pytest.raises(ValueError, match="0..100"):
        env.step({"retailer": 101, "wholesaler": 4, "distributor": 4, "factory": 4})
    with pytest.raises(ValueError, match="missing"):
        env.step({"retailer": 4})
    np.testing.assert_array_equal(env.engine_state.opipe, before.opipe)
    assert env.engine_state.t == 0


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"theta": 1.5}, ValueError, "theta must be <= 1"),
        ({"alpha_s": -1}, ValueError, "alpha_s must be >= 0"),
        ({"beta": "one"}, TypeError, "beta must be a real number"),
        ({"rounding": "bankers"}, ValueError, "rounding='bankers' is not allowed"),
        ({"warmup": -1}, ValueError, "warmup must be an integer >= 0"),
    ],
)
def test_bad_sterman_parameters(kwargs, error, match):
    args = dict(theta=0, alpha_s=1, beta=1, s_prime=28) | kwargs
    with pytest.raises(error, match=match):
        Sterman(**args)


def test_sterman_parameter_count_must_match_the_agents():
    env = beer_game_v0.parallel_env()
    obs, _ = env.reset(seed=0)
    with pytest.raises(ValueError, match="s_prime must have one value per stage \\(4"):
        Sterman(0, 1, 1, (28, 28, 20), warmup=0)(obs, env)
    with pytest.raises(ValueError, match="4 positions; this env has 3 agents"):
        Sterman.benchmark(serial_v0.parallel_env())


# ---------------------------------------------------------------- Clark-Scarf and the DQN levels
def _echelon_problem(env):
    a = env.spec.params
    # Lead time of each stage's decision: order delay + shipping + the week by which an order
    # follows the fill it reacts to (orders are placed after the week's shipments).
    lam = (a.lead_time + a.order_delay + 1).tolist()
    return a.holding_cost.tolist(), float(a.backorder_cost[0]), lam, env.spec.nodes[0].demand.pmf()


@pytest.mark.parametrize(
    "preset, published", [("dqn_normal_10_2", (48, 43, 41, 30)), ("dqn_uniform_0_2", (8, 8, 0, 0))]
)
def test_published_dqn_levels_are_clark_scarf_installation_levels(preset, published):
    env = beer_game_v0.parallel_env(preset=preset)
    with pytest.raises(ValueError, match="order delays.*demand_visible=False"):
        optimal_serial_base_stock(env)
    levels, _ = chen_zheng(*_echelon_problem(env))
    effective = np.minimum.accumulate(np.array(levels)[::-1])[::-1]  # S_j <= S_{j+1}
    assert tuple(np.diff(np.r_[0, effective]).tolist()) == published


def test_published_levels_reach_the_clark_scarf_cost_as_installation_levels():
    env = beer_game_v0.parallel_env(preset="dqn_normal_10_2")
    h, p, lam, pmf = _echelon_problem(env)
    levels, cz_cost = chen_zheng(h, p, lam, pmf)
    mu = float(np.arange(len(pmf)) @ pmf)
    # Where 72.61 and 12.61 come from. 72.61 is the Clark-Scarf optimal cost per week that the
    # Chen-Zheng recursion gives for this instance (h = (1, .75, .5, .25), p = 10 at the
    # retailer, lam = order delay + shipping lead + 1 = (4, 4, 4, 3) weeks, demand N(10, 2)
    # rounded, mean mu = 10). That cost includes the holding of units in transit: each of the mu
    # units a week spends lam_j weeks on the way to stage j at the supplier's holding cost
    # h_{j+1}, i.e. (.75*4 + .5*4 + .25*4 + 0*3) * 10 = 60 per week, a constant no policy
    # changes. The env charges no in-transit holding, so the cost it should show is
    # 72.61 - 60 = 12.61, which the simulation below confirms within 4%.
    assert mu == pytest.approx(10.0, abs=1e-6) and lam == [4, 4, 4, 3]
    pipeline = sum(hn * lj * mu for hn, lj in zip(h[1:] + [0.0], lam, strict=True))
    assert pipeline == pytest.approx(60.0)
    predicted = cz_cost - pipeline
    assert cz_cost == pytest.approx(72.61, abs=0.01) and predicted == pytest.approx(12.61, abs=0.01)

    def steady_cost(policy, periods=1500, skip=100):
        costs = [out.cost.sum(1).mean() for *_, out in run_episodes(env, policy, 8, 0, max_cycles=periods)]
        return float(np.mean(costs[skip:]))

    installation = steady_cost(BaseStock((48, 43, 41, 30), sequential=False))
    assert installation == pytest.approx(predicted, rel=0.04)
    # The same numbers as echelon levels (cumulated) are another, much worse policy here.
    assert steady_cost(EchelonBaseStock(tuple(levels))) > 2 * installation


def test_uniform_0_8_is_outside_clark_scarf():
    env = beer_game_v0.parallel_env(preset="dqn_uniform_0_8")
    with pytest.raises(ValueError, match="backorder costs above the retailer"):
        optimal_serial_base_stock(env)
