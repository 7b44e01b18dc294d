"""Engine v2 at scale: every batch size runs the same episodes, generated networks of 1,000+
nodes conserve units and their vector env equals independent ParallelEnvs, copies taken mid-
episode continue exactly, and build and reset stay linear (counted in work, not timed)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from gymnasium import spaces

from inventory_zoo import network_v0, networks
from inventory_zoo.core.engine import conservation_gap
from inventory_zoo.envs import batch as batch_module
from inventory_zoo.envs.vector import VectorEnv
from tests.conftest import ENV_CASES

BATCHES = (1, 5, 64, 65, 300)


def _action_batch(rng: np.random.Generator, space: spaces.Space, shape: tuple[int, ...]) -> np.ndarray:
    if isinstance(space, spaces.Discrete):
        return rng.integers(0, space.n, size=shape)
    return rng.integers(0, space.nvec, size=shape + space.nvec.shape)


def _episode(env, B: int, periods: int, seed: int = 11) -> list[np.ndarray]:
    """Observations, rewards and costs of a ``B``-member batch; member ``b`` plays actions drawn
    from its own generator, so member ``b``'s episode does not depend on ``B``."""
    venv = VectorEnv(env, B, auto_reset=False)
    obs, _ = venv.reset(seed=seed)
    space = env.action_space(env.possible_agents[0])
    rngs = [np.random.default_rng(1000 + b) for b in range(B)]
    out = [obs]
    for _ in range(periods):
        acts = np.stack([_action_batch(r, space, (len(env.possible_agents),)) for r in rngs])
        obs, rew, _, _, info = venv.step(acts)
        out += [obs, rew, info["cost"]]
        assert np.all(conservation_gap(venv.engine_state) == 0)
    return out


@pytest.mark.parametrize("module, kwargs", ENV_CASES[1:3] + ENV_CASES[4:5] + ENV_CASES[6:7] + ENV_CASES[9:10]
                         + ENV_CASES[11:12] + ENV_CASES[-1:])  # fmt: skip
def test_every_batch_size_runs_the_same_episodes(module, kwargs):
    env = module.parallel_env(**kwargs)
    runs = {B: _episode(env, B, periods=12) for B in BATCHES}
    for B in BATCHES[:-1]:
        for got, want in zip(runs[B], runs[BATCHES[-1]], strict=True):
            np.testing.assert_array_equal(got, want[:B])


@pytest.mark.parametrize("module, kwargs", ENV_CASES)
def test_both_observation_forms_give_the_same_bits(module, kwargs, monkeypatch):
    """The dense product (small networks) and the gather (the rest) are one map of the state:
    forced either way, every observation, global state and reward of an episode is identical."""
    env = module.parallel_env(**kwargs)
    runs, forms = {}, {}
    for limit in (0, 10**9):  # 0: always the gather; 10**9: always the dense product
        monkeypatch.setattr(batch_module, "DENSE_OBS_ENTRIES", limit)
        monkeypatch.setattr(batch_module, "DENSE_OBS_WORK", limit)
        venv = VectorEnv(env, 65, auto_reset=False)
        forms[limit] = venv.batch._obs_dense is not None
        out = _episode(env, 65, periods=8)
        runs[limit] = out + [venv.reset(seed=3)[0], venv.state()]
    assert forms == {0: False, 10**9: True}
    for got, want in zip(runs[0], runs[10**9], strict=True):
        np.testing.assert_array_equal(got, want)


BIG = {
    "distribution_1021": lambda: networks.distribution(20, 50, heterogeneity=0.5, seed=3),
    "random_dag_1200": lambda: networks.random_dag(1200, 5, multi_sourcing=0.4, seed=4),
}


@pytest.mark.parametrize("name", sorted(BIG))
def test_big_generated_network_conserves_and_vector_equals_parallel(name):
    net = BIG[name]()
    assert len(net.nodes) >= 1000
    kw = dict(network=net, max_order=30, max_cycles=15)
    B = 3
    venv = VectorEnv(network_v0.parallel_env(**kw), B, auto_reset=False)
    envs = [network_v0.parallel_env(**kw) for _ in range(B)]
    vobs, _ = venv.reset(seed=50)
    pobs = [e.reset(seed=50 + b)[0] for b, e in enumerate(envs)]
    agents = venv.agents
    space = envs[0].action_space(agents[0])
    rng = np.random.default_rng(0)
    for _ in range(15):
        for b in range(B):
            np.testing.assert_array_equal(vobs[b], np.stack([pobs[b][a] for a in agents]))
        acts = _action_batch(rng, space, (B, len(agents)))
        vobs, vrew, *_ = venv.step(acts)
        assert np.all(conservation_gap(venv.engine_state) == 0)
        for b, e in enumerate(envs):
            pobs[b], rew, *_ = e.step({a: acts[b, i] for i, a in enumerate(agents)})
            np.testing.assert_array_equal(vrew[b], [rew[a] for a in agents])
            assert conservation_gap(e.engine_state)[0] == 0


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_copy_of_a_big_network_mid_episode_continues_exactly(how):
    copier = copy.deepcopy if how == "deepcopy" else (lambda x: pickle.loads(pickle.dumps(x)))
    env = network_v0.parallel_env(network=networks.random_dag(1000, 4, seed=9), max_order=25, max_cycles=20)
    env.reset(seed=3)
    rng = np.random.default_rng(1)
    space = env.action_space(env.possible_agents[0])
    step = lambda e, a: e.step({ag: a[i] for i, ag in enumerate(e.possible_agents)})  # noqa: E731
    for _ in range(7):
        step(env, _action_batch(rng, space, (len(env.possible_agents),)))
    twin = copier(env)
    for _ in range(8):
        acts = _action_batch(rng, space, (len(env.possible_agents),))
        a, b = step(env, acts), step(twin, acts)
        for x, y in zip(a[:2], b[:2], strict=True):
            for agent in env.possible_agents:
                np.testing.assert_array_equal(x[agent], y[agent])
        assert conservation_gap(twin.engine_state)[0] == 0


def test_spaces_are_made_per_agent_on_demand():
    env = network_v0.parallel_env(network=networks.serial(3000), max_order=10)
    assert len(env.observation_spaces) == 3000 and list(env.action_spaces)[:2] == ["stage_0", "stage_1"]
    first, last = env.observation_space("stage_0"), env.observation_space("stage_2999")
    assert first is env.observation_spaces["stage_0"] and last is env.observation_space("stage_2999")
    assert first is not last and first == last
    with pytest.raises(KeyError):
        env.action_space("nobody")


@pytest.mark.parametrize("largest", [1, 2, 3, 6])
@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_segment_sums_equal_reduceat_bit_for_bit(largest, dtype):
    """Every form of the engine's segment sums (gathers for groups of at most two columns,
    dense product, reduceat) gives the bits of ``np.add.reduceat`` in index order, for counts
    and for costs of very different magnitudes (where the order of a longer sum would show)."""
    from inventory_zoo.core._plan import Segments

    rng = np.random.default_rng(largest)
    for trial in range(40):
        G = int(rng.integers(1, 12))
        sizes = rng.integers(0, largest + 1, G)
        ptr = np.concatenate([[0], np.cumsum(sizes)])
        width = int(ptr[-1]) + int(rng.integers(1, 3))
        index = rng.permutation(width)[: ptr[-1]] if trial % 2 else np.arange(ptr[-1])
        seg = Segments(ptr, index, width)
        B = int(rng.integers(1, 70))
        if dtype is np.int64:
            x = rng.integers(0, 2**40, (B, width))
        else:  # costs of very different magnitudes, so that the order of a sum would show
            x = rng.random((B, width)) * rng.choice([1e-6, 1.0, 1e9], (B, width))
        want = np.zeros((B, G), dtype)
        for g in range(G):
            if sizes[g]:
                want[:, g] = np.add.reduceat(x[:, index[ptr[g] : ptr[g + 1]]], [0], axis=1)[:, 0]
        got = seg(x)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, want)
        assert (seg.first is not None) == (sizes.max() <= 2)  # gathers exactly when groups are small
