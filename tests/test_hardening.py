"""Hostile input: each finding of the adversarial pass, pinned.

Every bad value is refused when it is given, with an error that names it; a rejected call
changes nothing; what is accepted stays exact.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from inventory_zoo import Constant, Normal, Poisson, Trace, beer_game_v0, evaluate, network_v0, serial_v0
from inventory_zoo.core import engine
from inventory_zoo.core.leadtime import RandomLeadTime
from inventory_zoo.core.spec import Edge, Node, SupplyChain
from inventory_zoo.core.validation import MAX_QUANTITY
from inventory_zoo.envs.vector import VectorEnv
from inventory_zoo.policies import ConstantOrder

# --------------------------------------------------------------------------- quantities


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"max_order": 2**62}, "max_order"),
        ({"max_order": 2**63 - 1}, "max_order"),
        ({"max_order": 2**63}, "max_order"),
        ({"initial_inventory": 2**63}, "initial_inventory"),
        ({"initial_inventory": MAX_QUANTITY + 1}, "initial_inventory"),
        ({"initial_pipeline": 10**12}, "initial_pipeline"),
        ({"demand": 10**12}, "demand"),
        ({"demand": -3}, "demand"),
        ({"max_cycles": 10**9}, "max_cycles"),
        ({"lead_times": 10**6}, "lead_times"),
        ({"order_delays": 10**6}, "order_delays"),
        ({"holding_costs": 1e308}, "holding_costs"),
        ({"backorder_costs": 1e300}, "backorder_costs"),
        ({"normalize_obs": True, "obs_scale": 1e-40}, "obs_scale"),
        ({"shipping_loss": 0.004}, "shipping_loss"),
        ({"shipping_loss": 0.999}, "shipping_loss"),
    ],
)
def test_out_of_bound_arguments_are_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        serial_v0.parallel_env(**kwargs)


def test_demand_processes_are_bounded_at_construction():
    for make, name in [
        (lambda: Trace([1e30]), "MAX_QUANTITY"),
        (lambda: Normal(1e300, 1), "mu"),
        (lambda: Normal(9.9e8, 1e7), "demand per period"),
        (lambda: Poisson(1e20), "rate"),
        (lambda: Constant(2**63), "value"),
    ]:
        with pytest.raises(ValueError, match=name):
            make()


def test_an_episode_that_could_outgrow_exact_counts_is_refused():
    # 1e9 per order on 3 edges for 1e6 periods: up to 3e15 + demand units, below 2**53 ...
    serial_v0.parallel_env(max_order=10**9, max_cycles=10**6, demand=0)
    # ... but not on 10 edges.
    with pytest.raises(ValueError, match="max_order=1000000000 and max_cycles=1000000"):
        serial_v0.parallel_env(num_stages=10, max_order=10**9, max_cycles=10**6, demand=0)


def test_unlimited_capacity_is_unlimited():
    # A network with a capacity somewhere: an uncapped edge still ships all it owes, however
    # much (it was silently capped at 2**40 before).
    nodes = (Node("s", demand=Constant(0)), Node("w"))
    edges = (Edge("w", "s"), Edge(None, "w", capacity=5))
    spec = SupplyChain(nodes, edges)
    scenario = engine.Scenario(np.zeros((1, 2, 1), np.int64), None, None)
    state = engine.reset(spec, scenario)
    state.owed[0, 0] = 2**41
    state.on_hand[0, 1] = 2**42
    out = engine.step(spec, state, np.zeros((1, 2), np.int64), scenario)
    assert out.shipped[0].tolist() == [2**41, 0]


def test_the_largest_orders_stay_exact():
    env = serial_v0.parallel_env(max_order=MAX_QUANTITY, demand=MAX_QUANTITY, max_cycles=50)
    venv = VectorEnv(env, 70)  # a batch past the small-batch forms
    venv.reset(seed=0)
    for _ in range(50):
        venv.step(np.full((70, 3), MAX_QUANTITY))
    assert not engine.conservation_gap(venv.engine_state).any()
    assert (venv.engine_state.on_hand >= 0).all()


# --------------------------------------------------------------------------- actions


@pytest.mark.parametrize("bad", [3.0, True, np.float64(2.0), np.bool_(True), None, "3", [3], 41, -1])
def test_bad_discrete_actions_are_refused_and_change_nothing(bad):
    env = serial_v0.parallel_env()
    env.reset(seed=0)
    before = env.engine_state.copy()
    with pytest.raises(ValueError, match="action of 'stage_1'"):
        env.step({"stage_0": 3, "stage_1": bad, "stage_2": 3})
    for name in ("on_hand", "backlog", "owed", "pipe"):
        np.testing.assert_array_equal(getattr(env.engine_state, name), getattr(before, name))
    assert env.engine_state.t == 0
    env.step({"stage_0": 3, "stage_1": np.int32(3), "stage_2": 3})  # numpy integers are fine


def test_vector_env_refuses_float_and_bool_arrays():
    venv = VectorEnv(serial_v0.parallel_env(), 2)
    venv.reset(seed=0)
    for bad in (np.full((2, 3), 3.0), np.ones((2, 3), bool)):
        with pytest.raises(ValueError, match="integer array"):
            venv.step(bad)
    assert venv.t == 0


@pytest.mark.parametrize("actions", [None, [1, 2, 3], (1, 2, 3), 5])
def test_step_needs_a_dict(actions):
    for env in (serial_v0.parallel_env(), network_v0.parallel_env()):
        env.reset(seed=0)
        with pytest.raises(ValueError, match="must be a dict"):
            env.step(actions)


def test_aec_multi_sourcing_checks_each_action_at_its_own_step():
    aec = network_v0.env(preset="liu2022_2x3", max_cycles=3)
    aec.reset(seed=0)
    first = aec.agent_selection
    with pytest.raises(ValueError, match=f"action of {first!r}"):
        aec.step(np.array([999, 0]))
    assert aec.agent_selection == first  # nothing was buffered: the same agent is to act
    for agent in aec.agent_iter():
        _, _, term, trunc, _ = aec.last()
        aec.step(None if term or trunc else np.array([1, 1]))
        assert agent  # valid steps go through to the end of the episode
    assert aec.unwrapped.engine_state.t == 3


def test_nan_continuous_actions_are_named():
    pytest.importorskip("stable_baselines3")
    from inventory_zoo.envs.sb3 import levels_from_continuous, orders_from_continuous

    for fn in (lambda a: orders_from_continuous(a, 20), lambda a: levels_from_continuous(a, 50.0)):
        with pytest.raises(ValueError, match="NaN"):
            fn(np.array([[0.1], [np.nan]]))


# --------------------------------------------------------------------------- seeds


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError), ("a", TypeError), (True, TypeError)])
def test_bad_seeds_are_named(seed, error):
    env = serial_v0.parallel_env()
    with pytest.raises(error, match="seed"):
        env.reset(seed=seed)
    with pytest.raises(error, match="seed"):
        VectorEnv(env, 2).reset(seed=seed)
    with pytest.raises(error, match="seed"):
        evaluate(env, ConstantOrder(5), episodes=2, seed=seed)


def test_a_rejected_seed_list_reseeds_no_member():
    venv = VectorEnv(serial_v0.parallel_env(), 4)
    venv.reset(seed=100)
    states = [rng.bit_generator.state for rng in venv.batch.rngs]
    with pytest.raises(ValueError, match=r"seed\[2\]"):
        venv.reset(seed=[0, 1, -5, 3])
    assert [rng.bit_generator.state for rng in venv.batch.rngs] == states


# --------------------------------------------------------------------------- silent acceptance


def test_preset_options_must_be_bools():
    with pytest.raises(TypeError, match="price_discount"):
        serial_v0.parallel_env(preset="liu2022", price_discount="no")


def test_random_lead_time_probabilities_must_be_numbers():
    with pytest.raises(TypeError, match="probability"):
        RandomLeadTime({1: 0.5, 2: "0.5"})


def test_obs_scale_without_normalize_obs_is_refused():
    with pytest.raises(ValueError, match="normalize_obs=True"):
        serial_v0.parallel_env(obs_scale=20.0)
    # A preset's scale with normalisation switched off by the caller is fine.
    env = serial_v0.parallel_env(preset="liu2022", normalize_obs=False)
    assert env.batch.obs_scale is None


def test_shipping_loss_takes_whole_percents():
    env = serial_v0.parallel_env(shipping_loss=0.05)
    assert env.spec.shipping_loss == 0.05
    with pytest.raises(ValueError, match="whole number of percent"):
        serial_v0.parallel_env(shipping_loss=0.055)


def test_lead_times_accept_arrays_like_the_other_per_stage_arguments():
    env = serial_v0.parallel_env(lead_times=np.array([1, 2, 3]), holding_costs=np.array([1.0, 2.0, 3.0]))
    assert [e.lead_time.values[0] for e in env.spec.edges] == [1, 2, 3]
    env = beer_game_v0.parallel_env(lead_times=np.array([1, 2, 2, 3]))
    assert [e.lead_time.values[0] for e in env.spec.edges] == [1, 2, 2, 3]


@pytest.mark.parametrize(
    "make",
    [
        lambda: serial_v0.parallel_env(num_stages=1),
        lambda: network_v0.parallel_env(
            nodes=[Node("only", demand=Poisson(3))], edges=[Edge(None, "only", lead_time=2)]
        ),
    ],
)
def test_single_agent_envs_pickle(make):
    env = make()
    env.reset(seed=0)
    twin = pickle.loads(pickle.dumps(env))
    a = env.possible_agents[0]
    assert env.step({a: 3})[1] == twin.step({a: 3})[1]


def test_fill_rate_without_demand_is_one():
    env = serial_v0.parallel_env(demand=0, max_cycles=5)
    report = evaluate(env, ConstantOrder(0), episodes=2, seed=0)
    assert report.fill_rate == 1.0 and report.agent_fill_rate == {"stage_0": 1.0}


# --------------------------------------------------------------------------- network files


def test_yaml_merge_keys_may_be_overridden(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "net.yaml"
    path.write_text(
        "nodes:\n"
        "  - &store {name: a, holding_cost: 1.0, backorder_cost: 2.0, demand: 4}\n"
        "  - <<: *store\n"
        "    name: b\n"
        "    holding_cost: 3.0\n"
        "edges:\n"
        "  - {customer: a, lead_time: 1}\n"
        "  - {customer: b, lead_time: 1}\n"
    )
    spec = network_v0.load_network(path)
    assert [(n.name, n.holding_cost, n.backorder_cost) for n in spec.nodes] == [("a", 1.0, 2.0), ("b", 3.0, 2.0)]
    path.write_text("nodes:\n  - name: a\n    name: b\n")
    with pytest.raises(network_v0.NetworkError, match="line 3: duplicate key 'name'"):
        network_v0.load_network(path)


def test_non_utf8_file_is_named(tmp_path):
    path = tmp_path / "net.json"
    path.write_bytes('{"nodes": ["caf\xe9"]}'.encode("latin-1"))
    with pytest.raises(network_v0.NetworkError, match="net.json: the file is not UTF-8"):
        network_v0.load_network(path)


@pytest.mark.parametrize("ext", ["json", "yaml"])
def test_deeply_nested_file_is_refused_cleanly(tmp_path, ext):
    if ext == "yaml":
        pytest.importorskip("yaml")
    path = tmp_path / f"net.{ext}"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(network_v0.NetworkError, match="nested too deeply"):
        network_v0.load_network(path)
