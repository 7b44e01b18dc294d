"""Bad input gets a clear error naming the argument, the value and what is allowed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inventory_zoo import Merton, Normal, Poisson, RandomLeadTime, Step, Trace, Uniform, serial_v0
from inventory_zoo.core.spec import Edge, Node, SupplyChain

PER_STAGE = [
    "holding_costs",
    "backorder_costs",
    "pipeline_holding_costs",
    "order_costs",
    "fixed_order_costs",
    "initial_inventory",
    "initial_pipeline",
    "order_delays",
    "lead_times",
]


@pytest.mark.parametrize("name", PER_STAGE)
def test_per_stage_wrong_type(name):
    with pytest.raises(TypeError, match=name):
        serial_v0.parallel_env(**{name: "a lot"})


@pytest.mark.parametrize("name", PER_STAGE)
def test_per_stage_wrong_length(name):
    with pytest.raises(ValueError, match=rf"{name}.*3"):
        serial_v0.parallel_env(**{name: [1, 1]})


@pytest.mark.parametrize("name", PER_STAGE)
def test_per_stage_negative(name):
    with pytest.raises(ValueError, match=name):
        serial_v0.parallel_env(**{name: [1, -1, 1]})


@pytest.mark.parametrize("name", PER_STAGE)
def test_per_stage_nan(name):
    with pytest.raises((ValueError, TypeError), match=name):
        serial_v0.parallel_env(**{name: [1, math.nan, 1]})


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"num_stages": 0}, ValueError, "num_stages"),
        ({"num_stages": 2.5}, TypeError, "num_stages"),
        ({"num_stages": True}, TypeError, "num_stages"),
        ({"lead_times": 0}, ValueError, "lead_times"),
        ({"lead_times": {1: 0.5, 2: 0.6}}, ValueError, "sum to 1"),
        ({"lead_times": {0: 1.0}}, ValueError, "lead"),
        ({"initial_inventory": 2.5}, TypeError, "initial_inventory"),
        ({"demand": "poisson"}, TypeError, "demand"),
        ({"demand": -3}, ValueError, "demand"),
        ({"lost_sales": 1}, TypeError, "lost_sales"),
        ({"shipping_loss": 1.0}, ValueError, "shipping_loss"),
        ({"shipping_loss": -0.1}, ValueError, "shipping_loss"),
        ({"max_order": 0}, ValueError, "max_order"),
        ({"max_order": 10.0}, TypeError, "max_order"),
        ({"max_cycles": 0}, ValueError, "max_cycles"),
        ({"episode_length": -5}, ValueError, "max_cycles"),
        ({"reward_mix": 1.5}, ValueError, "reward_mix"),
        ({"reward_mix": math.nan}, ValueError, "reward_mix"),
        ({"normalize_obs": "yes"}, TypeError, "normalize_obs"),
        ({"normalize_obs": True, "obs_scale": 0}, ValueError, "obs_scale"),
        ({"demand_visible": None}, TypeError, "demand_visible"),
        ({"agent_id": 1}, TypeError, "agent_id"),
        ({"render_mode": "rgb"}, ValueError, "render_mode"),
        ({"quantity_discounts": ((5, 0.9), (2, 0.8))}, ValueError, "increasing"),
        ({"quantity_discounts": 3}, TypeError, "quantity_discounts"),
        ({"preset": "nope"}, ValueError, "unknown preset"),
        ({"max_ordr": 3}, TypeError, "unknown argument"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        serial_v0.parallel_env(**kwargs)


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: Poisson(0), ValueError, "rate"),
        (lambda: Poisson(math.nan), ValueError, "rate"),
        (lambda: Normal(5, -1), ValueError, "sigma"),
        (lambda: Uniform(5, 2), ValueError, "high"),
        (lambda: Uniform(-1, 2), ValueError, "low"),
        (lambda: Step(4, 8, 0), ValueError, "start"),
        (lambda: Merton(max_demand=1), ValueError, "max_demand"),
        (lambda: Trace([]), ValueError, "non-empty"),
        (lambda: Trace([1, -2]), ValueError, "integers >= 0"),
        (lambda: Trace([1.5]), ValueError, "integers"),
        (lambda: Trace([1, 2], when_short="wrap"), ValueError, "when_short"),
        (lambda: Trace("/no/such/file.csv"), ValueError, "cannot read"),
        (lambda: RandomLeadTime({}), TypeError, "RandomLeadTime"),
    ],
)
def test_bad_demand_and_lead_times(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bad_topologies():
    a, b = Node("a", demand=Poisson(1)), Node("b")
    with pytest.raises(ValueError, match="cycle"):
        SupplyChain((a, b), (Edge("a", "b"), Edge("b", "a"), Edge(None, "b")))
    with pytest.raises(ValueError, match="unknown supplier 'c'"):
        SupplyChain((a, b), (Edge("c", "a"), Edge(None, "b")))
    with pytest.raises(ValueError, match="duplicate edge"):
        SupplyChain((a, b), (Edge("b", "a"), Edge("b", "a"), Edge(None, "b")))
    with pytest.raises(ValueError, match="no supplier"):
        SupplyChain((a, b), (Edge("b", "a"),))
    with pytest.raises(ValueError, match="no path to customer demand"):
        SupplyChain((a, b), (Edge(None, "a"), Edge(None, "b")))
    with pytest.raises(ValueError, match="duplicate node"):
        SupplyChain((a, Node("a")), (Edge(None, "a"),))


@pytest.mark.parametrize(
    "action",
    [41, -1, 2.5, "3", None, np.int64(99), [1, 2]],
)
def test_bad_action_raises_before_any_change(action):
    env = serial_v0.parallel_env()
    env.reset(seed=0)
    env.step({a: 3 for a in env.agents})
    before = env.engine_state.copy()
    with pytest.raises(ValueError):
        env.step({"stage_0": action, "stage_1": 3, "stage_2": 3})
    after = env.engine_state
    assert after.t == before.t
    for name in ("on_hand", "backlog", "owed", "pipe", "opipe", "demand", "external_in"):
        np.testing.assert_array_equal(getattr(before, name), getattr(after, name))


def test_missing_and_unknown_agents():
    env = serial_v0.parallel_env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="missing"):
        env.step({"stage_0": 1})
    with pytest.raises(ValueError, match="unknown agents"):
        env.step({"stage_0": 1, "stage_1": 1, "stage_2": 1, "stage_9": 1})


def test_step_before_reset_and_after_end():
    env = serial_v0.parallel_env(max_cycles=1)
    with pytest.raises(RuntimeError, match="reset"):
        env.step({"stage_0": 1, "stage_1": 1, "stage_2": 1})
    env.reset(seed=0)
    env.step({a: 1 for a in env.agents})
    with pytest.raises(RuntimeError, match="reset"):
        env.step({"stage_0": 1, "stage_1": 1, "stage_2": 1})
