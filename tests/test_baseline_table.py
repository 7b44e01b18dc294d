"""inventory_zoo.baselines: the final table every learner prints. Every row is played on the same
episodes (a policy equal to a baseline gets exactly the baseline's cost), the exact Clark-Scarf
optimum appears where the model holds and is the reference of the gaps, and the table explains
when it does not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from inventory_zoo import evaluate, network_v0, serial_v0
from inventory_zoo.baselines import baseline_table, baselines, format_table, mean_demand
from inventory_zoo.policies import BaseStock, EchelonBaseStock, RandomPolicy, optimal_serial_base_stock

ROOT = Path(__file__).resolve().parents[1]
FAST = dict(episodes=6, seed=500, search_episodes=4)


def _serial():
    return serial_v0.parallel_env(preset="snyder_shen_6_1")


def test_rows_share_episodes_and_the_exact_optimum_is_the_reference():
    levels, exact = optimal_serial_base_stock(_serial())
    mine = {"mine": EchelonBaseStock(levels), "coin": RandomPolicy(500)}
    rows = baseline_table(_serial, mine, **FAST)
    by = {r["policy"]: r for r in rows}
    optimal = next(r for r in rows if r["kind"] == "optimal")
    # Same policy, same episodes: exactly the same numbers (common random numbers).
    assert by["mine"]["cost_per_period"] == optimal["cost_per_period"]
    assert by["coin"]["cost_per_period"] == by["random orders"]["cost_per_period"]
    assert by["mine"]["kind"] == "learned"
    # The exact row is last and holds the computed optimum; the gaps are relative to it.
    assert rows[-1]["kind"] == "exact" and rows[-1]["cost_per_period"] == pytest.approx(float(exact))
    for r in rows:
        assert r["gap_percent"] == pytest.approx(100 * (r["cost_per_period"] / float(exact) - 1))
        assert r["reference"] == "exact optimum"
    costs = [r["cost_per_period"] for r in rows[:-1]]
    assert costs == sorted(costs)
    # The searched rows carry their levels, and those levels play the row's cost.
    for r in rows:
        if r["kind"] == "searched":
            again = evaluate(_serial(), BaseStock(r["levels"]), 6, 500).cost_per_period
            assert again == r["cost_per_period"]
    assert {r["kind"] for r in rows} == {"learned", "optimal", "searched", "searched_local", "naive", "exact"}


def test_an_env_or_a_factory_give_the_same_table():
    a = baseline_table(_serial, {}, **FAST)
    b = baseline_table(_serial(), {}, **FAST)
    assert [(r["policy"], r["cost_per_period"]) for r in a] == [
        (r["policy"], r["cost_per_period"]) for r in b
    ]


def test_outside_the_model_the_searched_base_stock_is_the_reference_and_the_table_says_why():
    env = network_v0.parallel_env(preset="liu2022_2x3", max_cycles=20)
    rows = baseline_table(env, {}, local=False, **FAST)
    kinds = [r["kind"] for r in rows]
    assert "exact" not in kinds and "optimal" not in kinds and "searched_local" not in kinds
    searched = next(r for r in rows if r["kind"] == "searched")
    assert searched["gap_percent"] == 0.0 and searched["reference"] == "searched base-stock"
    assert "not a serial chain" in searched["notes"]["optimum"]
    text = format_table(rows, title="network")
    assert text.splitlines()[0] == "network"
    assert "note (optimum): " in text and "not a serial chain" in text
    assert "vs searched base-stock" in text


def test_format_table_shows_every_row_with_its_gap():
    rows = baseline_table(_serial, {"mine": RandomPolicy(1)}, **FAST)
    lines = format_table(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    for r, line in zip(rows, lines[2:], strict=True):
        assert line.startswith(r["policy"]) and f"{r['cost_per_period']:.2f}" in line
        assert f"{r['gap_percent']:+.1f}%" in line
    exact_line = lines[-1]
    assert "optimum (expected)" in exact_line and "+0.0%" in exact_line


def test_baselines_and_mean_demand():
    env = serial_v0.parallel_env(preset="snyder_shen_6_1")
    b = baselines(env, search_episodes=4, local=False)
    assert b.exact is not None and not b.notes
    assert sorted(k for k, _ in b.policies.values()) == ["naive", "naive", "optimal", "searched"]
    # snyder_shen_6_1: Poisson demand of rate 5 at the retailer.
    assert mean_demand(env) == round(env.unwrapped.spec.nodes[0].demand.mean) == 5


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="policies"):
        baseline_table(_serial, [RandomPolicy(0)], **FAST)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="episodes=0"):
        baseline_table(_serial, {}, episodes=0)


def test_no_torch_needed():
    code = "import sys, inventory_zoo.baselines; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_tuned_heuristics_join_the_table_with_the_learners_paired_difference():
    # A "learner" that is the searched base-stock: its difference to the best tuned heuristic
    # is the mean of the per-episode cost differences on the table's own episodes.
    env = serial_v0.parallel_env(preset="liu2022", max_cycles=40)
    learner = BaseStock((20, 20, 20))
    rows = baseline_table(env, {"mine": learner}, episodes=6, seed=900, search_episodes=3,
                          heuristic_budget=3, heuristic_episodes=2)  # fmt: skip
    tuned = [r for r in rows if r["kind"] == "tuned heuristic"]
    assert {r["policy"] for r in tuned} >= {"tuned forecast_es", "tuned capped_base_stock"}
    best = min(tuned, key=lambda r: r["cost_per_period"])
    mine = next(r for r in rows if r["policy"] == "mine")
    assert mine["best_heuristic"] == best["policy"]
    assert mine["vs_best_heuristic"] == pytest.approx(mine["cost_per_period"] - best["cost_per_period"])
    assert mine["vs_best_heuristic_ci95"] > 0
    assert f"mine - best heuristic ({best['policy']})" in format_table(rows)
