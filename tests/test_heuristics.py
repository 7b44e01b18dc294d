"""The heuristics' formulas, period by period, on hand-made episodes.

The chain: one stage, lead time 1, no order delay, demand 4, 6, 2, 8 (a trace), shown before
ordering, 10 units on hand and nothing in transit at the start. Each period the stage's
installation position is IP = on hand + in transit - backlog - the demand just revealed, and
the cover of an order-up-to level is C = L + R = 1 + 1 = 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from inventory_zoo import Poisson, Trace, network_v0, serial_v0
from inventory_zoo.policies import (
    BaseStock,
    CappedBaseStock,
    ForecastOrderUpTo,
    Sterman,
    split_orders,
)
from inventory_zoo.policies.cli_names import ENTRIES, parse_args

ONE = dict(
    num_stages=1,
    lead_times=1,
    demand=Trace([4, 6, 2, 8, 5, 5]),
    holding_costs=1.0,
    backorder_costs=4.0,
    initial_inventory=10,
    initial_pipeline=0,
    max_cycles=4,
    max_order=20,
    demand_visible=True,
)


def _orders(policy, **kw):
    env = serial_v0.parallel_env(**{**ONE, **kw})
    obs, _ = env.reset(seed=0)
    policy.reset(env)
    out = []
    while env.agents:
        a = policy(obs, env)
        out.append(int(a["stage_0"]))
        obs, *_ = env.step(a)
    return out


def test_exponential_smoothing_order_up_to_by_hand():
    # prior 2, alpha 0.5, safety 1:
    # t0: d=4, l = .5*4 + .5*2 = 3,     S = 2*3 + 1 = 7,      IP = 10 - 4 = 6          -> 1
    # t1: d=6, l = .5*6 + .5*3 = 4.5,   S = 10,               IP = 6 + 1 - 6 = 1       -> 9
    # t2: d=2, l = 3.25,                S = 7.5 -> 8,         IP = 1 + 9 - 2 = 8       -> 0
    # t3: d=8, l = 5.625,               S = 12.25 -> 12,      IP = 8 - 8 = 0           -> 12
    assert _orders(ForecastOrderUpTo("es", alpha=0.5, safety=1, prior=2.0)) == [1, 9, 0, 12]


def test_moving_average_order_up_to_by_hand():
    # window 2 starts full of the prior 2: f = 3, 5, 4, 5; S = 2 f + 1 = 7, 11, 9, 11
    # IP = 6, 1, 1 + 10 - 2 = 9, 9 - 8 = 1 -> orders 1, 10, 0, 10
    assert _orders(ForecastOrderUpTo("ma", window=2, safety=1, prior=2.0)) == [1, 10, 0, 10]


def test_holt_trend_and_z_safety_first_period():
    # Holt, alpha = beta = .5: l = 3, b = .5 (3 - 2) = .5; S = 2*3 + .5 * 2*3/2 + 1 = 8.5 -> 8
    assert _orders(ForecastOrderUpTo("es", alpha=0.5, beta=0.5, safety=1, prior=2.0))[0] == 2
    # z = 1: sigma^2 = .9 * 2 + .1 * (4 - 2)^2 = 2.2; S = 2*3 + sqrt(2.2 * 2) = 8.10 -> 8
    assert _orders(ForecastOrderUpTo("es", alpha=0.5, z=1.0, prior=2.0))[0] == 2


def test_ss_and_rss_on_a_forecast_by_hand():
    # (s, S), cycle 1: s = 2 l + 1, S = s + l
    # t0: l=3: s=7, S=10, IP=6 <= 7                 -> 4
    # t1: l=4.5: s=10, S=14.5 -> 14, IP=6+4-6=4     -> 10
    # t2: l=3.25: s=7.5 -> 8, S=10.75 -> 11, IP = 4 + 10 - 2 = 12 > 8 -> 0
    assert _orders(ForecastOrderUpTo("es", alpha=0.5, safety=1, cycle=1.0, prior=2.0))[:3] == [4, 10, 0]
    # (R, s, S), R = 2: cover 1 + 2 = 3; reviews at t = 0 and 2 only
    # t0: l = 3, s = S = 3*3 + 1 = 10, IP = 6 -> 4;  t1: no review -> 0
    # t2: l = 3.25, S = 10.75 -> 11; on hand 10 - 4 + 4 - 6 = 4, nothing in transit, d = 2:
    #     IP = 2 -> 9;  t3: no review -> 0
    assert _orders(ForecastOrderUpTo("es", alpha=0.5, safety=1, review=2, prior=2.0)) == [4, 0, 9, 0]


def test_capped_base_stock_by_hand():
    # S = 12, cap 3: t0 IP = 10 - 4 = 6 -> min(6, 3) = 3; t1 on hand 6, 3 in transit, d = 6:
    # IP = 3 -> 3; t2 on hand 3, 3 in transit, d = 2: IP = 4 -> 3; t3 on hand 4, 3 in transit,
    # d = 8: IP = -1 -> 3
    assert _orders(CappedBaseStock(12, 3)) == [3, 3, 3, 3]
    # With a cap at max_order it is base-stock on the own position.
    assert _orders(CappedBaseStock(12, 20)) == _orders(BaseStock(12, sequential=False))


def test_echelon_forecast_uses_customer_demand_and_echelon_cover():
    env = serial_v0.parallel_env(preset="snyder_shen_6_1")
    env.reset(seed=3)
    pol = ForecastOrderUpTo("es", alpha=0.5, position="echelon", prior=5.0)
    S, f = pol.levels(env)
    d0 = env.engine_state.demand[0, 0]
    level = 0.5 * d0 + 0.5 * 5.0
    # cover: cumulative lead times (1, 2, 4) + 1
    np.testing.assert_allclose(S[0], level * np.array([2, 3, 5]))
    np.testing.assert_allclose(f[0], level)
    with pytest.raises(ValueError, match="serial"):
        ForecastOrderUpTo(position="echelon").act(None, _reset(network_v0.parallel_env(preset="liu2022_2x3")))


def _reset(env):
    env.reset(seed=0)
    return env


def test_split_rules_by_hand():
    env = _reset(network_v0.parallel_env(preset="liu2022_2x3"))  # max_order 4, 2 suppliers each
    q = np.array([[5, 10, 0, 1, 7, 3]])
    got = split_orders(q, env, "fractions", np.array([0.3, 0.7]))
    # 5: 1.5, 3.5 -> 1, 3 + the leftover unit to the first largest remainder -> (2, 3)
    # 10: 3, 7 -> capped (3, 4); 7: 2.1, 4.9 -> (2, 5) -> (2, 4); 1: .3, .7 -> (0, 1); 3: .9, 2.1 -> (1, 2)
    np.testing.assert_array_equal(got[0], [[2, 3], [3, 4], [0, 0], [0, 1], [2, 4], [1, 2]])
    assert np.all(got.sum(-1) <= q)
    # cheapest first: slot 0 costs 0.1, slot 1 0.2. Retailers' suppliers (distributors) have 2
    # on hand each; manufacturers order from outside (unlimited).
    got = split_orders(q, env, "cheapest")
    # retailer_0 wants 5: 2 free at distributor_0, 2 at distributor_1, then 1 more from slot 0
    np.testing.assert_array_equal(got[0], [[3, 2], [4, 4], [0, 0], [1, 0], [4, 3], [3, 0]])
    np.testing.assert_array_equal(split_orders(q, env, "first")[0, :, 1], 0)


def test_sterman_from_env_targets():
    env = serial_v0.parallel_env(preset="snyder_shen_6_1")  # mu 5, lead times (1, 1, 2)
    pol = Sterman.from_env(env, theta=0.2, alpha_s=0.5, beta=0.5, stock_periods=2.0, offset=(1, 0, -1))
    # s' = 2 * 5 + 0.5 * L * 5 + offset
    np.testing.assert_allclose(pol.s_prime, [10 + 2.5 + 1, 10 + 2.5, 10 + 5 - 1])
    assert pol.expected == pytest.approx(5.0) and pol.warmup == 0
    # A batch of parameter rows acts like the same rule built row by row.
    venv_rows = np.array([[0.2, 0.2, 0.2], [0.7, 0.7, 0.7]])
    batched = Sterman.from_env(env, theta=venv_rows, alpha_s=0.5, beta=1.0)
    from inventory_zoo.envs.vector import VectorEnv

    venv = VectorEnv(env, 2, auto_reset=False)
    obs, _ = venv.reset(seed=[5, 5])
    acts = []
    for _ in range(6):
        a = batched.act(obs, venv)
        acts.append(a)
        obs, *_ = venv.step(a)
    for row, theta in enumerate((0.2, 0.7)):
        single = Sterman.from_env(env, theta=theta, alpha_s=0.5, beta=1.0)
        v1 = VectorEnv(env, 1, auto_reset=False)
        o, _ = v1.reset(seed=5)
        for a in acts:
            b = single.act(o, v1)
            np.testing.assert_array_equal(b[0], a[row])
            o, *_ = v1.step(b)


def test_rows_of_parameters_play_like_separate_policies():
    env = serial_v0.parallel_env(num_stages=2, demand=Poisson(4), lead_times=2, max_cycles=30, max_order=15)
    from inventory_zoo import evaluate

    rows = ForecastOrderUpTo(
        "ma", window=np.array([[2, 5], [3, 1]]), safety=np.array([[1.0, 2.0], [0.0, -1.0]])
    )
    from inventory_zoo.envs.vector import VectorEnv

    venv = VectorEnv(env, 2, auto_reset=False)
    obs, _ = venv.reset(seed=[7, 7])
    cost = np.zeros(2)
    for _ in range(30):
        obs, _, _, _, info = venv.step(rows.act(obs, venv))
        cost += info["cost"].sum(1)
    for r, (w, s) in enumerate((((2, 5), (1.0, 2.0)), ((3, 1), (0.0, -1.0)))):
        rep = evaluate(env, ForecastOrderUpTo("ma", window=list(w), safety=list(s)), episodes=1, seed=7)
        assert rep.cost_per_period == pytest.approx(cost[r] / 30)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(forecast="arima"), "forecast"),
        (dict(alpha=0.0), "alpha"),
        (dict(alpha=1.5), "alpha"),
        (dict(window=0), "window"),
        (dict(window=2.5), "window"),
        (dict(z=-1), "z"),
        (dict(review=0), "review"),
        (dict(position="local"), "position"),
        (dict(split="random"), "split"),
        (dict(split="fractions", fractions=[0.5, 0.6]), "fractions"),
        (dict(safety=float("nan")), "safety"),
        (dict(safety="big"), "safety"),
    ],
)
def test_bad_forecast_arguments_raise_named_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ForecastOrderUpTo(**kwargs)


def test_bad_capped_arguments():
    with pytest.raises(ValueError, match="cap"):
        CappedBaseStock(10, -1)
    with pytest.raises(ValueError, match="levels"):
        CappedBaseStock([10, 10], 3).act(None, _reset(serial_v0.parallel_env(preset="snyder_shen_6_1")))


def test_cli_names_build_policies_and_refuse_bad_args():
    import importlib

    env = serial_v0.parallel_env(preset="snyder_shen_6_1")
    names = [e[0] for e in ENTRIES]
    assert {
        "forecast_es",
        "forecast_ma",
        "ss_forecast",
        "rss_forecast",
        "capped_base_stock",
        "sterman_chain",
        "tuned",
    } <= set(names)
    factories = {
        n: getattr(importlib.import_module(m.split(":")[0]), m.split(":")[1]) for n, m, _, _ in ENTRIES
    }
    pol = factories["forecast_es"](env, "alpha=0.2:safety=1,2,3:position=echelon")
    assert pol.alpha == 0.2 and list(pol.safety) == [1, 2, 3] and pol.position == "echelon"
    assert factories["forecast_ma"](env, "window=6").window == 6
    assert factories["rss_forecast"](env, "").review == 2
    assert factories["capped_base_stock"](env, "levels=9,6,11:cap=10").cap == 10
    assert factories["sterman_chain"](env, "theta=0.3").theta == 0.3
    with pytest.raises(ValueError, match="window='x' is not a number"):
        factories["forecast_ma"](env, "window=x")
    with pytest.raises(ValueError, match="unknown key 'alpha'"):
        factories["forecast_ma"](env, "alpha=0.3")
    with pytest.raises(ValueError, match="cap"):
        factories["capped_base_stock"](env, "levels=9,6,11")
    with pytest.raises(ValueError, match="whole numbers"):
        factories["forecast_ma"](env, "window=2.5")
    with pytest.raises(ValueError, match="key=value"):
        parse_args("x", "alpha", {"alpha": "number"})
    with pytest.raises(ValueError, match="twice"):
        parse_args("x", "alpha=1:alpha=2", {"alpha": "number"})
    with pytest.raises(ValueError, match="family"):
        factories["tuned"](env, "")
    with pytest.raises(ValueError, match="unknown heuristic family 'nope'"):
        factories["tuned"](env, "nope")


def test_constant_forecast_reduces_to_base_stock():
    # prior 0 and a negligible alpha keep the forecast at ~0, so the level is the safety stock.
    from inventory_zoo import evaluate
    from inventory_zoo.policies import EchelonBaseStock

    env = serial_v0.parallel_env(preset="snyder_shen_6_1", max_cycles=60)
    flat = dict(alpha=1e-9, prior=0.0)
    pairs = [
        (ForecastOrderUpTo(safety=(9, 6, 11), sequential=True, **flat), BaseStock((9, 6, 11))),
        (ForecastOrderUpTo(safety=(9, 6, 11), **flat), BaseStock((9, 6, 11), sequential=False)),
        (ForecastOrderUpTo(safety=(9, 15, 26), position="echelon", **flat), EchelonBaseStock((9, 15, 26))),
    ]
    for heuristic, base in pairs:
        a = evaluate(env, heuristic, episodes=4, seed=1).episode_costs
        b = evaluate(env, base, episodes=4, seed=1).episode_costs
        np.testing.assert_array_equal(a, b)


def test_needs_state_labels():
    assert not ForecastOrderUpTo().needs_state
    assert ForecastOrderUpTo(position="echelon").needs_state
    assert ForecastOrderUpTo(sequential=True).needs_state
    assert ForecastOrderUpTo(split="cheapest").needs_state
    assert not ForecastOrderUpTo(split="fractions", fractions=[0.5, 0.5]).needs_state
    assert not CappedBaseStock(5, 2).needs_state
