"""best_heuristics / compare_with_heuristics and the paired difference."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_zoo import Poisson, evaluate, serial_v0
from inventory_zoo.comparison import best_heuristics, compare_with_heuristics, format_comparison
from inventory_zoo.evaluation import paired_difference
from inventory_zoo.policies import BaseStock


def _env():
    return serial_v0.parallel_env(
        num_stages=2, demand=Poisson(4), lead_times=(1, 2), max_cycles=30, max_order=15
    )


def test_paired_difference_by_hand():
    mean, half = paired_difference(np.array([3.0, 5.0, 7.0]), np.array([2.0, 3.0, 4.0]))
    # differences 1, 2, 3: mean 2, sample std 1
    assert mean == pytest.approx(2.0)
    assert half == pytest.approx(1.96 / np.sqrt(3))
    assert np.isnan(paired_difference([1.0], [0.5])[1])
    with pytest.raises(ValueError, match="same episodes"):
        paired_difference(np.zeros(3), np.zeros(4))


def test_compare_with_heuristics_rows_and_paired_difference():
    families = ["base_stock", "forecast_es", "capped_base_stock"]
    heur = best_heuristics(
        _env, budget=8, episodes=4, seed=0, test_episodes=12, test_seed=500, families=families
    )
    assert [h.family for h in heur] == sorted(
        families, key=lambda f: next(h for h in heur if h.family == f).test.cost_per_period
    )
    learner = BaseStock((6, 8))
    res = compare_with_heuristics(
        learner, _env, name="mine", heuristics=heur, test_episodes=12, test_seed=500
    )
    names = {r["policy"] for r in res["rows"]}
    assert names == {"mine", *families}
    costs = [r["cost_per_period"] for r in res["rows"]]
    assert costs == sorted(costs)
    best = heur[0]
    assert res["best_heuristic"] == best.family
    mine = evaluate(_env(), learner, 12, 500)
    diff = mine.episode_costs - best.test.episode_costs
    assert res["paired_difference"] == pytest.approx(diff.mean())
    assert res["paired_difference_ci95"] == pytest.approx(1.96 * diff.std(ddof=1) / np.sqrt(12))
    for r in res["rows"]:
        assert {"cost_per_period", "cost_per_period_ci95", "fill_rate", "bullwhip"} <= set(r)
    text = format_comparison(res)
    assert "mine - best heuristic" in text
    with pytest.raises(ValueError, match="other episodes"):
        compare_with_heuristics(learner, _env, heuristics=heur, test_episodes=12, test_seed=900)
