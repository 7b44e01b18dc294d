"""The vector env replays exactly the episodes of independent ParallelEnvs."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_zoo import serial_v0
from inventory_zoo.envs.vector import VectorEnv

CASES = [
    {},
    {"preset": "liu2022", "shipping_loss": True, "max_cycles": 25},
    {"lead_times": (1, {1: 0.5, 3: 0.5}, 2), "order_delays": (0, 1, 2), "lost_sales": True, "max_cycles": 20},
]


@pytest.mark.parametrize("kwargs", CASES)
def test_vector_equals_independent_parallel_envs(kwargs):
    B = 5
    envs = [serial_v0.parallel_env(**kwargs) for _ in range(B)]
    venv = VectorEnv(serial_v0.parallel_env(**kwargs), B)
    T = venv.max_cycles
    rng = np.random.default_rng(0)
    vobs, _ = venv.reset(seed=100)
    pobs = [e.reset(seed=100 + b)[0] for b, e in enumerate(envs)]
    agents = venv.agents
    for _episode in range(2):
        for t in range(T):
            for b in range(B):
                np.testing.assert_array_equal(vobs[b], np.stack([pobs[b][a] for a in agents]))
                np.testing.assert_array_equal(venv.state()[b], envs[b].state())
            actions = rng.integers(0, venv.max_order + 1, size=(B, len(agents)))
            vobs, vrew, vterm, vtrunc, vinfo = venv.step(actions)
            for b, e in enumerate(envs):
                o, r, te, tr, info = e.step({a: int(actions[b, i]) for i, a in enumerate(agents)})
                pobs[b] = o
                final = vinfo["final_observation"][b] if t == T - 1 else vobs[b]
                np.testing.assert_array_equal(final, np.stack([o[a] for a in agents]))
                np.testing.assert_array_equal(vrew[b], [r[a] for a in agents])
                np.testing.assert_array_equal(vinfo["cost"][b], [info[a]["cost"] for a in agents])
                assert vtrunc[b].tolist() == [tr[a] for a in agents]
                assert not vterm[b].any()
        # Second episode: no seed, each env's generator continues.
        pobs = [e.reset()[0] for e in envs]


def test_same_seed_same_episode_and_batched_mode_reproducible():
    env = serial_v0.parallel_env(preset="liu2022")
    runs = []
    for _ in range(2):
        venv = VectorEnv(env, 8, seeding="batched")
        obs, _ = venv.reset(seed=7)
        total = 0.0
        for _ in range(50):
            obs, rew, *_ = venv.step(np.full((8, 3), 9))
            total += rew.sum()
        runs.append((obs, total))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]


def test_vector_rejects_bad_actions_before_any_change():
    venv = VectorEnv(serial_v0.parallel_env(), 3)
    venv.reset(seed=0)
    before = venv.engine_state.copy()
    for bad in (np.full((3, 3), 41), np.full((3, 3), -1), np.full((3, 2), 1), np.full((3, 3), 0.5)):
        with pytest.raises(ValueError):
            venv.step(bad)
    after = venv.engine_state
    for name in ("on_hand", "backlog", "owed", "pipe"):
        np.testing.assert_array_equal(getattr(before, name), getattr(after, name))
    assert after.t == before.t
