"""The exact serial optimum (Chen-Zheng) against the textbook and against simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inventory_zoo import Poisson, evaluate, serial_v0
from inventory_zoo.policies import EchelonBaseStock, optimal_serial_base_stock
from inventory_zoo.policies.clark_scarf import chen_zheng


def test_snyder_shen_example_6_1():
    env = serial_v0.parallel_env(preset="snyder_shen_6_1")
    levels, cost = optimal_serial_base_stock(env)
    assert levels == (9, 15, 26)
    assert cost == pytest.approx(72.04, abs=0.1)


def test_simulated_optimum_matches_textbook_cost():
    env = serial_v0.parallel_env(preset="snyder_shen_6_1")
    report = evaluate(env, EchelonBaseStock((9, 15, 26)), episodes=48, seed=1, max_cycles=2500)
    assert report.cost_per_period == pytest.approx(72.04, rel=0.02)
    # and the interval is tight enough for the comparison to mean something
    assert report.cost_per_period_ci95 < 0.01 * 72.04


def test_single_stage_is_the_newsvendor_fractile():
    """Independent check: a single stage is a newsvendor over its lead-time demand."""
    # With demand seen before ordering and lead time L, the order covers L periods of
    # Poisson demand: S* = min{S : P(D_L <= S) >= p / (p + h)}, D_L ~ Poisson(L * mu).
    mu, L, h, p = 4.0, 2, 1.0, 9.0
    env = serial_v0.parallel_env(
        num_stages=1, lead_times=L, demand=Poisson(mu), holding_costs=h, backorder_costs=p
    )
    levels, cost = optimal_serial_base_stock(env)
    lam = L * mu
    cdf, k = 0.0, -1
    while cdf < p / (p + h):
        k += 1
        cdf += math.exp(-lam) * lam**k / math.factorial(k)
    assert levels == (k,)
    expected = sum(
        math.exp(-lam) * lam**d / math.factorial(d) * (h * max(k - d, 0) + p * max(d - k, 0))
        for d in range(80)
    )
    assert cost == pytest.approx(expected, rel=1e-9)


def test_second_instance_against_brute_force_simulation():
    """Two stages, our own instance: the recursion's levels are the best of a grid by simulation."""
    kw = dict(
        num_stages=2,
        lead_times=(2, 1),
        demand=Poisson(3),
        holding_costs=(3.0, 1.0),
        backorder_costs=(12.0, 0.0),
        pipeline_holding_costs=(1.0, 0.0),
        initial_inventory=(8, 4),
        max_order=25,
    )
    env = serial_v0.parallel_env(**kw)
    levels, cost = optimal_serial_base_stock(env)
    grid = {}
    for s1 in range(levels[0] - 2, levels[0] + 3):
        for s2 in range(max(s1, levels[1] - 2), levels[1] + 3):
            grid[(s1, s2)] = evaluate(
                env, EchelonBaseStock((s1, s2)), episodes=24, seed=5, max_cycles=1500
            ).cost_per_period
    best = min(grid, key=grid.get)
    # Common random numbers make the grid comparison sharp: the optimum is (nearly) the best.
    assert grid[levels] <= grid[best] * 1.005
    assert grid[levels] == pytest.approx(cost, rel=0.02)


def test_chen_zheng_cost_increases_away_from_optimum():
    pmf = Poisson(5).pmf()
    levels, cost = chen_zheng([7, 4, 2], 37.12, [1, 1, 2], pmf)
    assert levels == (9, 15, 26)
    assert np.isfinite(cost)


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"lost_sales": True}, "lost sales"),
        ({"backorder_costs": (5.0, 1.0, 0.0)}, "backorder costs above the retailer"),
        ({"lead_times": ({1: 0.5, 2: 0.5}, 1, 1)}, "random lead times"),
        ({"order_delays": 1}, "order delays"),
        ({"fixed_order_costs": 2.0}, "fixed ordering costs"),
        ({"holding_costs": (1.0, 2.0, 3.0)}, "holding costs rise upstream"),
        ({"demand_visible": False}, "demand_visible"),
    ],
)
def test_outside_the_model_raises(kwargs, reason):
    base = dict(preset="snyder_shen_6_1")
    env = serial_v0.parallel_env(**base, **kwargs)
    with pytest.raises(ValueError, match=reason):
        optimal_serial_base_stock(env)


def test_merton_demand_is_not_iid():
    with pytest.raises(ValueError, match="not i.i.d."):
        optimal_serial_base_stock(serial_v0.parallel_env(preset="liu2022"))
