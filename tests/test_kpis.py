"""KPI formulas checked on a hand-made episode.

One stage, lead time 1, 3 units on hand, demand 2, 4, 0, 6; the policy orders what it sees
(2, 4, 0, 6). By hand, period by period (on hand / backlog / filled / cost with h=1, p=2):
1: sells 2 -> 1 / 0 / 2 / 1;  2: receives 2, sells 3 of 4 -> 0 / 1 / 3 / 2;
3: receives 4, ships the 1 owed -> 3 / 0 / 0 / 3;  4: sells 3 of 6 -> 0 / 3 / 3 / 6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from inventory_zoo import Trace, compare, evaluate, serial_v0
from inventory_zoo.policies import CallablePolicy, ConstantOrder


def _env():
    return serial_v0.parallel_env(
        num_stages=1,
        lead_times=1,
        demand=Trace([2, 4, 0, 6, 0]),
        holding_costs=1.0,
        backorder_costs=2.0,
        initial_inventory=3,
        max_cycles=4,
        max_order=10,
    )


def _echo(obs, env):
    return obs[:, :, 2].astype(int)  # the demand just revealed


def test_kpis_by_hand():
    rep = evaluate(_env(), CallablePolicy(_echo), episodes=3, seed=0)
    assert rep.cost_per_period == pytest.approx((1 + 2 + 3 + 6) / 4)
    assert rep.cost_per_period_ci95 == 0  # deterministic: every episode is the same
    assert rep.fill_rate == pytest.approx(8 / 12)
    assert rep.agent_fill_rate == {"stage_0": pytest.approx(8 / 12)}
    assert rep.mean_on_hand["stage_0"] == pytest.approx((1 + 0 + 3 + 0) / 4)
    assert rep.mean_backlog["stage_0"] == pytest.approx((0 + 1 + 0 + 3) / 4)
    assert rep.bullwhip["stage_0"] == pytest.approx(1.0)  # orders copy demand
    assert rep.order_fluctuation["stage_0"] == pytest.approx(np.std([2, 4, 0, 6]) / 3)


def test_constant_orders_have_no_fluctuation_and_zero_bullwhip():
    rep = evaluate(_env(), ConstantOrder(2), episodes=2, seed=0)
    assert rep.bullwhip["stage_0"] == 0 and rep.order_fluctuation["stage_0"] == 0
    flat = evaluate(
        serial_v0.parallel_env(num_stages=1, demand=3, max_cycles=5), ConstantOrder(3), episodes=1, seed=0
    )
    assert math.isnan(flat.bullwhip["stage_0"])  # constant demand: the ratio is undefined
    assert math.isnan(flat.cost_per_period_ci95)


def test_compare_sorts_and_shares_demand(capsys):
    rows = compare(_env(), {"echo": CallablePolicy(_echo), "none": ConstantOrder(0)}, episodes=2, seed=0)
    assert [r["policy"] for r in rows] == ["echo", "none"]
    assert rows[0]["cost_per_period"] == pytest.approx(3.0)
    out = capsys.readouterr().out
    assert "echo" in out and "cost/period" in out
