"""tune(): finds a known optimum, keeps training and test seeds apart, refuses bad arguments."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inventory_zoo import Poisson, evaluate, network_v0, serial_v0
from inventory_zoo.policies import (
    FAMILIES,
    ForecastOrderUpTo,
    applicable_families,
    disjoint_training_seed,
    optimal_serial_base_stock,
    tune,
)
from inventory_zoo.policies.families import family
from inventory_zoo.policies.search import TRAIN_SEED_OFFSET
from inventory_zoo.policies.tuning import policy_factory, simulate_candidates

# One stage, Poisson(5), lead time 1, holding 1, backorder 9: the optimal base-stock level is the
# 0.9 quantile of demand over two periods (a newsvendor), computed exactly by Clark-Scarf.
ONE_STAGE = dict(
    num_stages=1,
    lead_times=1,
    demand=Poisson(5),
    holding_costs=1.0,
    backorder_costs=9.0,
    max_order=30,
    initial_inventory=14,
    initial_pipeline=0,
    max_cycles=200,
)


@pytest.mark.parametrize("optimizer", ["tpe", "cmaes", "tpe+cmaes"])
def test_tuning_recovers_the_clark_scarf_level(optimizer):
    env = serial_v0.parallel_env(**ONE_STAGE)
    (level,), _ = optimal_serial_base_stock(env)
    policy, report = tune(
        env, "base_stock", budget=48, episodes=16, seed=0, test_episodes=0, optimizer=optimizer, batch=8
    )
    assert abs(report.params["levels"][0] - level) <= 1
    assert report.evaluations <= 48
    assert report.test is None and report.test_seeds is None


def test_train_cost_is_measured_on_the_stated_training_seeds_and_test_on_disjoint_ones():
    env = serial_v0.parallel_env(num_stages=2, demand=Poisson(4), lead_times=2, max_cycles=40, max_order=15)
    policy, report = tune(
        env, "forecast_es", budget=12, episodes=6, seed=100, test_episodes=10, test_seed=200, batch=4
    )
    assert report.train_seeds == (100, 105) and report.test_seeds == (200, 209)
    train = set(range(report.train_seeds[0], report.train_seeds[1] + 1))
    test = set(range(report.test_seeds[0], report.test_seeds[1] + 1))
    assert not train & test
    # The reported training cost is the policy's cost on exactly those episodes.
    assert evaluate(env, policy, episodes=6, seed=100).cost_per_period == pytest.approx(report.train_cost)
    assert evaluate(env, policy, episodes=10, seed=200).cost_per_period == pytest.approx(
        report.test.cost_per_period
    )
    json.dumps(report.as_dict())  # plain numbers


@pytest.mark.parametrize("seed, test_seed", [(5, 20), (9, 0), (0, 0), (29, 20)])
def test_overlapping_seed_ranges_are_refused(seed, test_seed):
    # training seeds seed..seed+15, test seeds test_seed..test_seed+9
    env = serial_v0.parallel_env(**{**ONE_STAGE, "max_cycles": 5})
    with pytest.raises(ValueError, match="overlap"):
        tune(env, "base_stock", budget=2, episodes=16, seed=seed, test_episodes=10, test_seed=test_seed)
    # ranges that touch without overlapping are fine
    tune(env, "base_stock", budget=2, episodes=16, seed=test_seed + 10, test_episodes=10, test_seed=test_seed)


def test_disjoint_training_seed():
    assert disjoint_training_seed(0) == TRAIN_SEED_OFFSET
    assert disjoint_training_seed(7, 3 * TRAIN_SEED_OFFSET) == 7 + 3 * TRAIN_SEED_OFFSET
    for test_seed, n in ((0, 100), (20000, 100), (5, 2 * TRAIN_SEED_OFFSET)):
        assert disjoint_training_seed(test_seed, n) >= test_seed + n
    with pytest.raises(ValueError, match="test_seed"):
        disjoint_training_seed(-1)


def test_candidates_in_one_batch_cost_what_they_cost_alone():
    env = serial_v0.parallel_env(num_stages=2, demand=Poisson(4), lead_times=2, max_cycles=30, max_order=15)
    fam = family("forecast_es")
    values = {"alpha": np.array([[0.2, 0.2], [0.8, 0.8]]), "safety": np.array([[1.0, 3.0], [-2.0, 0.0]])}
    costs = simulate_candidates(env, fam, values, episodes=3, seed=11)
    for k, (a, s) in enumerate(((0.2, [1.0, 3.0]), (0.8, [-2.0, 0.0]))):
        alone = evaluate(env, ForecastOrderUpTo("es", alpha=a, safety=s), episodes=3, seed=11)
        assert costs[k] == pytest.approx(alone.cost_per_period)


def test_every_family_tunes_on_every_kind_of_env():
    envs = {
        "serial": serial_v0.parallel_env(preset="snyder_shen_6_1", max_cycles=20),
        "network": network_v0.parallel_env(preset="liu2022_2x3", max_cycles=20),
    }
    for kind, env in envs.items():
        names = applicable_families(env)
        if kind == "network":
            assert "forecast_es_echelon" not in names and "sterman_chain" not in names
        for name in names:
            policy, report = tune(env, name, budget=4, episodes=2, test_episodes=2, batch=4)
            assert np.isfinite(report.test.cost_per_period), name
            assert set(report.params) == {p.name for p in FAMILIES[name].space(env)}


def test_policy_factory_tunes_on_seeds_disjoint_from_the_scored_ones(monkeypatch):
    import inventory_zoo.policies.tuning as tuning

    seen = {}
    real = tuning.tune

    def spy(env, name, **kw):
        seen.update(kw, name=name)
        return real(env, name, **{**kw, "budget": 2, "episodes": 2})

    monkeypatch.setattr(tuning, "tune", spy)
    env = serial_v0.parallel_env(preset="snyder_shen_6_1", max_cycles=10)
    policy = policy_factory(env, "forecast_ma", seed=3, budget=5)
    assert seen["name"] == "forecast_ma" and seen["budget"] == 5
    assert seen["seed"] == disjoint_training_seed(3)
    assert isinstance(policy, ForecastOrderUpTo)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(family="nope"), ValueError, "unknown heuristic family 'nope'"),
        (dict(optimizer="grid"), ValueError, "optimizer='grid'"),
        (dict(budget=0), ValueError, "budget"),
        (dict(episodes=0), ValueError, "episodes"),
        (dict(seed=None), TypeError, "seed"),
        (dict(test_seed=-1), ValueError, "test_seed"),
        (dict(batch=1, optimizer="cmaes"), ValueError, "batch"),
        (dict(time_limit=0), ValueError, "time_limit"),
    ],
)
def test_bad_arguments_raise_named_errors(kwargs, err, match):
    env = serial_v0.parallel_env(**ONE_STAGE)
    kw = {"family": "base_stock", "budget": 2, **kwargs}
    with pytest.raises(err, match=match):
        tune(env, kw.pop("family"), **kw)


def test_family_that_does_not_apply_is_refused():
    env = network_v0.parallel_env(preset="liu2022_2x3")
    with pytest.raises(ValueError, match="needs a serial chain"):
        tune(env, "forecast_es_echelon", budget=2)
