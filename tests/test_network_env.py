"""network_v0 as an env: the preset, spaces and padding, flattened actions, the registry, the
vector env, and the same episodes as serial_v0 for a serial network."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pettingzoo
import pytest
from gymnasium import spaces
from pettingzoo.test import api_test, max_cycles_test

import inventory_zoo  # noqa: F401  (registers the envs)
from inventory_zoo import Merton, Poisson, Trace, network_v0, serial_v0
from inventory_zoo.core import Edge, Node
from inventory_zoo.envs.actions import flatten_actions, out_of_range, unflatten_actions
from inventory_zoo.envs.vector import VectorEnv
from tests.conftest import MULTI_SOURCING_EDGES, MULTI_SOURCING_NODES


def _play(env, actions_per_step, seed):
    """Observations, rewards, costs and states of one episode."""
    obs, _ = env.reset(seed=seed)
    trace = [(obs, None, None, env.state())]
    for acts in actions_per_step:
        obs, rew, _, _, info = env.step(acts)
        trace.append((obs, rew, {a: i["cost"] for a, i in info.items()}, env.state()))
    return trace


def _assert_same(t1, t2):
    assert len(t1) == len(t2)
    for (o1, r1, c1, s1), (o2, r2, c2, s2) in zip(t1, t2, strict=True):
        assert o1.keys() == o2.keys()
        for a in o1:
            np.testing.assert_array_equal(o1[a], o2[a])
        assert r1 == r2 and c1 == c2
        np.testing.assert_array_equal(s1, s2)


def _random_actions(env, steps, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        out.append(
            {
                a: rng.integers(0, env.max_order + 1, size=env.action_space(a).shape)
                if isinstance(env.action_space(a), spaces.MultiDiscrete)
                else int(rng.integers(0, env.max_order + 1))
                for a in env.possible_agents
            }
        )
    return out


# -------------------------------------------------------------------------------- the preset
def test_liu2022_2x3_preset_matches_the_paper():
    env = network_v0.parallel_env(preset="liu2022_2x3")
    spec = env.spec
    assert env.possible_agents == [
        "retailer_0", "retailer_1", "distributor_0", "distributor_1", "manufacturer_0", "manufacturer_1"
    ]  # fmt: skip
    assert env.max_cycles == 200 and env.max_order == 4
    assert env.batch.reward_mix == 0.25 and env.batch.obs_scale == 4.0 and not env.batch.demand_visible
    assert spec.allocation == "priority" and spec.order_cost_basis == "shipped"
    for a in env.possible_agents:
        assert env.action_space(a) == spaces.MultiDiscrete([5, 5])
    upstream = {"retailer": "distributor", "distributor": "manufacturer", "manufacturer": None}
    for i, node in enumerate(spec.nodes):
        level = node.name.split("_")[0]
        assert node.holding_cost == 1.0 and node.backorder_cost == 1.0 and node.initial_inventory == 2
        assert node.lost_sales == (level == "retailer")
        assert node.demand == (Merton(max_demand=4) if level == "retailer" else None)
        ins = [spec.edges[k] for k in spec.in_edges(i)]
        sup = upstream[level]
        assert [e.supplier for e in ins] == ([f"{sup}_0", f"{sup}_1"] if sup else [None, None])
        assert [e.lead_time.values for e in ins] == [(4,), (2,)]
        assert [e.unit_cost for e in ins] == [0.1, 0.2]
        assert [e.initial_pipeline for e in ins] == [2, 0]
        # a short supplier fills downstream node 1 first
        assert [e.priority for e in ins] == [1 - int(node.name[-1])] * 2
    flat = network_v0.parallel_env(preset="liu2022_2x3", action_type="discrete")
    assert all(flat.action_space(a) == spaces.Discrete(25) for a in flat.possible_agents)


def test_preset_overrides_and_unknown_preset():
    env = network_v0.parallel_env(preset="liu2022_2x3", max_cycles=30, allocation="proportional")
    assert env.max_cycles == 30 and env.spec.allocation == "proportional"
    assert env.spec.order_cost_basis == "shipped"  # from the preset's network
    small = network_v0.parallel_env(
        preset="liu2022_2x3", nodes=[Node("shop_0", demand=Poisson(2))], edges=[Edge(None, "shop_0")]
    )
    assert small.possible_agents == ["shop_0"] and small.max_order == 4
    with pytest.raises(ValueError, match="unknown preset"):
        network_v0.parallel_env(preset="liu2022")


# ------------------------------------------------------------------ spaces, padding and ids
def test_identical_padded_spaces_and_ignored_padding():
    env = network_v0.parallel_env(nodes=MULTI_SOURCING_NODES, edges=MULTI_SOURCING_EDGES, max_order=6)
    # store_0 has 3 suppliers, the others 2 or 1: every agent gets MultiDiscrete([7, 7, 7])
    spaces_ = [env.action_space(a) for a in env.possible_agents]
    assert all(s == spaces.MultiDiscrete([7, 7, 7]) for s in spaces_)
    assert len({env.observation_space(a).shape for a in env.possible_agents}) == 1
    assert env.observation_space("hub_0") is env.observation_space("hub_0")
    # L_max = 3, D_max = 1: 3 + 3 suppliers x (3 + 1 + 1)
    assert env.observation_space("hub_0").shape == (3 + 3 * 5,)
    acts = _random_actions(env, 20, seed=1)
    padded = [dict(a) for a in acts]
    for a in padded:
        a["hub_0"] = a["hub_0"].copy()
        a["hub_0"][1:] = 6 - a["hub_0"][1:]  # hub_0 has one supplier: entries 1, 2 are padding
    t1, t2 = _play(env, acts, seed=4), _play(env, padded, seed=4)
    _assert_same(t1, t2)
    for obs, *_ in t1:
        np.testing.assert_array_equal(obs["hub_0"][3 + 5 :], 0)  # padded supplier blocks


def test_agent_id_is_one_hot_after_the_fields():
    env = network_v0.parallel_env(agent_id=True)
    obs, _ = env.reset(seed=0)
    n = len(env.possible_agents)
    for i, a in enumerate(env.possible_agents):
        np.testing.assert_array_equal(obs[a][-n:], np.eye(n)[i])
    assert env.state().shape == env.state_space.shape == (n * (obs[a].size - n),)


# ------------------------------------------------------------------------- flat actions
def test_flat_action_encoding_round_trips():
    q = np.array([[0, 0], [1, 2], [4, 4], [3, 0]])
    np.testing.assert_array_equal(flatten_actions(q, 4), [0, 7, 24, 15])
    np.testing.assert_array_equal(unflatten_actions([0, 7, 24, 15], 2, 4), q)
    every = np.arange(7**3)
    np.testing.assert_array_equal(flatten_actions(unflatten_actions(every, 3, 6), 6), every)
    with pytest.raises(ValueError, match=r"0\.\.24"):
        unflatten_actions([25], 2, 4)
    with pytest.raises(ValueError, match="integers"):
        unflatten_actions([1.5], 2, 4)


def test_discrete_and_multidiscrete_give_the_same_episodes():
    multi = network_v0.parallel_env(preset="liu2022_2x3", max_cycles=40)
    flat = network_v0.parallel_env(preset="liu2022_2x3", max_cycles=40, action_type="discrete")
    acts = _random_actions(multi, 40, seed=2)
    flat_acts = [{a: int(flatten_actions(v, 4)) for a, v in step.items()} for step in acts]
    _assert_same(_play(multi, acts, seed=9), _play(flat, flat_acts, seed=9))
    # a per-supplier vector is accepted by the discrete env too
    _assert_same(_play(flat, acts, seed=9), _play(multi, acts, seed=9))


@pytest.mark.parametrize("bad", [25, -1, 2.5, [5, 5]])
def test_bad_flat_action_changes_nothing(bad):
    env = network_v0.parallel_env(preset="liu2022_2x3", action_type="discrete")
    env.reset(seed=0)
    env.step(dict.fromkeys(env.possible_agents, 7))
    before = env.engine_state.copy()
    with pytest.raises(ValueError):
        env.step(dict(dict.fromkeys(env.possible_agents, 7), retailer_1=bad))
    after = env.engine_state
    assert after.t == before.t
    for name in ("on_hand", "backlog", "owed", "pipe", "demand"):
        np.testing.assert_array_equal(getattr(before, name), getattr(after, name))


@pytest.mark.parametrize(
    "bad", [np.array([5, 0]), np.array([0, -1]), np.array([-1, 2], np.int8), np.array([9, 0], np.uint16)]
)
def test_bad_multidiscrete_action_changes_nothing(bad):
    # Per-supplier arrays of any integer dtype take the checked fast path of step().
    env = network_v0.parallel_env(preset="liu2022_2x3")
    env.reset(seed=0)
    ok = {a: np.array([1, 2], bad.dtype) for a in env.possible_agents}
    env.step(ok)
    before = env.engine_state.copy()
    with pytest.raises(ValueError, match=r"0\.\.4"):
        env.step(dict(ok, retailer_1=bad))
    after = env.engine_state
    assert after.t == before.t
    for name in ("on_hand", "backlog", "owed", "pipe", "demand"):
        np.testing.assert_array_equal(getattr(before, name), getattr(after, name))


def test_out_of_range_checks_both_bounds_in_every_integer_dtype():
    for dtype in (np.int8, np.int32, np.int64, np.uint8, np.uint64):
        assert not out_of_range(np.array([0, 4], dtype), 4)
        assert out_of_range(np.array([0, 5], dtype), 4)
    for dtype in (np.int8, np.int64):
        assert out_of_range(np.array([3, -1], dtype), 4)
    assert not out_of_range(np.zeros(0, np.int64), 4)


def test_aec_discrete_env_checks_bounds():
    aec = network_v0.env(preset="liu2022_2x3", action_type="discrete", max_cycles=3)
    aec.reset(seed=0)
    with pytest.raises(ValueError, match="action of 'retailer_0' must be .* in 0..24; got 25"):
        aec.step(25)
    aec.step(24)


def test_action_type_is_validated():
    with pytest.raises(ValueError, match="action_type"):
        network_v0.parallel_env(action_type="flat")


# ------------------------------------------------------------------------- the vector env
def test_vector_env_replays_parallel_envs_with_flat_actions():
    B, T = 3, 12
    kw = dict(preset="liu2022_2x3", action_type="discrete", max_cycles=T)
    venv = VectorEnv(network_v0.parallel_env(**kw), B)
    envs = [network_v0.parallel_env(**kw) for _ in range(B)]
    assert venv.action_space == spaces.Discrete(25)
    vobs, _ = venv.reset(seed=50)
    pobs = [e.reset(seed=50 + b)[0] for b, e in enumerate(envs)]
    rng = np.random.default_rng(0)
    agents = venv.agents
    for t in range(T):
        for b in range(B):
            np.testing.assert_array_equal(vobs[b], np.stack([pobs[b][a] for a in agents]))
        flat = rng.integers(0, 25, size=(B, len(agents)))
        # half the periods as flat indices, half as per-supplier vectors
        vobs, vrew, _, _, vinfo = venv.step(flat if t % 2 else unflatten_actions(flat, 2, 4))
        for b, e in enumerate(envs):
            o, r, *_ = e.step({a: int(flat[b, i]) for i, a in enumerate(agents)})
            pobs[b] = o
            np.testing.assert_array_equal(vrew[b], [r[a] for a in agents])
        if t == T - 1:
            vobs = vinfo["final_observation"]


# ------------------------------------------------------------------- registry and contract
def test_registry_make():
    par = pettingzoo.make("parallel", "inventory_zoo/network-v0", preset="liu2022_2x3")
    assert len(par.possible_agents) == 6 and par.metadata["name"] == "network_v0"
    aec = pettingzoo.make("aec", "inventory_zoo/network-v0", max_cycles=4)
    aec.reset(seed=0)
    assert aec.agents == ["retailer_0", "retailer_1", "warehouse_0", "plant_0"]


def test_max_cycles():
    max_cycles_test(network_v0)


def test_network_from_a_yaml_file_passes_the_aec_api(tmp_path):
    import yaml  # (pyyaml, the dev extra: only the YAML tests need it)

    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump(network_v0.network_to_dict(network_v0.parallel_env().spec)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message="Action space for each agent probably should be")
        api_test(network_v0.env(network=str(path), max_cycles=50), num_cycles=60)


# ------------------------------------------------------------- the same episodes as serial_v0
SERIAL_CASES = [
    dict(num_stages=3, lead_times=(1, 3, 2), demand=Poisson(6), holding_costs=(2.0, 1.0, 0.5),
         backorder_costs=(5.0, 1.0, 1.0), initial_inventory=(10, 12, 14), initial_pipeline=(2, 0, 1),
         pipeline_holding_costs=(0.2, 0.1, 0.0), order_costs=(0.5, 0.2, 0.1), fixed_order_costs=(1.0, 0.0, 2.0)),
    dict(num_stages=2, lead_times=(1, {1: 0.5, 3: 0.5}), order_delays=(1, 2), lost_sales=True,
         demand=Trace([3, 0, 9, 4, 5]), shipping_loss=0.2, initial_inventory=6,
         quantity_discounts=((0, 1.0), (5, 0.9)), order_costs=1.0),
    dict(preset="liu2022"),
]  # fmt: skip


def _serial_as_network(cfg):
    """The network a serial configuration describes, written out node by node."""
    spec = serial_v0.build_spec(serial_v0.resolve_kwargs(**cfg))
    nodes = [Node(n.name, n.holding_cost, n.backorder_cost, n.lost_sales, n.initial_inventory, n.demand)
             for n in spec.nodes]  # fmt: skip
    edges = [Edge(e.supplier, e.customer, e.lead_time, e.order_delay, e.unit_cost, e.fixed_cost,
                  e.pipeline_holding_cost, initial_pipeline=e.initial_pipeline) for e in spec.edges]  # fmt: skip
    return dict(nodes=nodes, edges=edges, quantity_discounts=spec.quantity_discounts,
                shipping_loss=spec.shipping_loss)  # fmt: skip


@pytest.mark.parametrize("cfg", SERIAL_CASES)
def test_serial_network_gives_the_same_episodes_as_serial_v0(cfg):
    import yaml  # (pyyaml, the dev extra: only the YAML tests need it)

    ser = serial_v0.parallel_env(max_cycles=30, **cfg)
    c = ser.config
    env_kw = dict(max_order=c["max_order"], max_cycles=30, reward_mix=c["reward_mix"], normalize_obs=c["normalize_obs"],
                  obs_scale=c["obs_scale"], demand_visible=c["demand_visible"])  # fmt: skip
    net = _serial_as_network(cfg)
    nodes, edges = net.pop("nodes"), net.pop("edges")
    netenv = network_v0.parallel_env(nodes=nodes, edges=edges, **net, **env_kw)
    assert netenv.possible_agents == ser.possible_agents
    assert netenv.action_space("stage_0") == ser.action_space("stage_0")
    acts = _random_actions(ser, 30, seed=3)
    for seed in (0, 17):
        _assert_same(_play(ser, acts, seed), _play(netenv, acts, seed))
    # and through a YAML file, and with the edges listed in another order (fixed lead times:
    # the general engine path instead of the serial fast path)
    doc = network_v0.network_to_dict(ser.spec)
    from_yaml = network_v0.network_from_dict(yaml.safe_load(yaml.safe_dump(doc)))
    _assert_same(_play(ser, acts, 5), _play(network_v0.parallel_env(network=from_yaml, **env_kw), acts, 5))
    if all(e.lead_time.is_fixed for e in ser.spec.edges):
        doc["edges"] = doc["edges"][::-1]
        shuffled = network_v0.parallel_env(network=doc, **env_kw)
        assert not shuffled.spec.is_serial
        _assert_same(_play(ser, acts, 6), _play(shuffled, acts, 6))


# ------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("kwargs", [{}, {"preset": "liu2022_2x3"}, {"nodes": MULTI_SOURCING_NODES, "edges": MULTI_SOURCING_EDGES}])
def test_yaml_and_json_round_trips_give_the_same_episodes(tmp_path, kwargs):
    import yaml  # (pyyaml, the dev extra: only the YAML tests need it)

    env = network_v0.parallel_env(max_cycles=25, **kwargs)
    doc = network_v0.network_to_dict(env.spec)
    (tmp_path / "n.json").write_text(json.dumps(doc))
    (tmp_path / "n.yaml").write_text(yaml.safe_dump(doc))
    acts = _random_actions(env, 25, seed=8)
    ref = _play(env, acts, seed=11)
    other = {k: v for k, v in kwargs.items() if k not in ("nodes", "edges")}
    for name in ("n.json", "n.yaml"):
        again = network_v0.parallel_env(network=str(tmp_path / name), max_cycles=25, **other)
        assert again.spec.nodes == env.spec.nodes and again.spec.edges == env.spec.edges
        _assert_same(ref, _play(again, acts, seed=11))


def test_example_network_is_the_default():
    env = network_v0.parallel_env()
    assert env.spec == network_v0.network_from_dict(network_v0.EXAMPLE_NETWORK)
    assert env.possible_agents == ["retailer_0", "retailer_1", "warehouse_0", "plant_0"]
    assert env.action_space("plant_0") == spaces.MultiDiscrete([21, 21])


def test_docs_page_examples_build():
    """The YAML example on docs/envs/network_v0.md is the default network; the JSON one builds."""
    import pathlib
    import re

    import yaml  # (pyyaml, the dev extra: only the YAML tests need it)

    page = pathlib.Path(__file__).resolve().parents[1] / "docs" / "envs" / "network_v0.md"
    assert page.exists(), f"{page} is missing"
    text = page.read_text()
    (yaml_block,) = re.findall(r"```yaml\n(.*?)```", text, re.S)
    (json_block,) = re.findall(r"```json\n(.*?)```", text, re.S)
    assert network_v0.network_from_dict(yaml.safe_load(yaml_block)) == network_v0.parallel_env().spec
    assert network_v0.network_from_dict(json.loads(json_block)).node_names == ["store_0", "store_1", "depot_0"]
