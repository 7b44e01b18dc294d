"""A copy of an env (``copy.deepcopy`` or a pickle round trip) taken at any period continues
exactly like the original: same observations, rewards and costs, and no unit created or lost.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from gymnasium import spaces

from inventory_zoo.core.engine import conservation_gap
from inventory_zoo.envs.vector import VectorEnv
from tests.conftest import ENV_CASES

COPIERS = {"deepcopy": copy.deepcopy, "pickle": lambda x: pickle.loads(pickle.dumps(x))}
PERIODS = 12


def _actions(rng: np.random.Generator, space: spaces.Space, shape: tuple[int, ...]) -> np.ndarray:
    if isinstance(space, spaces.Discrete):
        return rng.integers(0, space.n, size=shape)
    return rng.integers(0, space.nvec, size=shape + space.nvec.shape)


@pytest.mark.parametrize("how", sorted(COPIERS))
@pytest.mark.parametrize("module, kwargs", ENV_CASES)
def test_parallel_env_copy_continues_like_the_original(module, kwargs, how):
    rng = np.random.default_rng(3)
    for at in rng.integers(1, PERIODS, size=2).tolist() + [0]:
        env = module.parallel_env(**dict(kwargs, max_cycles=PERIODS))
        agents = env.possible_agents
        space = env.action_space(agents[0])
        env.reset(seed=5)
        for _ in range(at):
            act = _actions(rng, space, (len(agents),))
            env.step({a: act[i] for i, a in enumerate(agents)})
        twin = COPIERS[how](env)
        while env.agents:
            act = _actions(rng, space, (len(agents),))
            step = {a: act[i] for i, a in enumerate(agents)}
            o1, r1, _, tr1, i1 = env.step(step)
            o2, r2, _, tr2, i2 = twin.step(step)
            for a in agents:
                np.testing.assert_array_equal(o1[a], o2[a])
                assert r1[a] == r2[a] and i1[a] == i2[a] and tr1[a] == tr2[a]
            assert conservation_gap(env.engine_state)[0] == 0
            assert conservation_gap(twin.engine_state)[0] == 0
        assert twin.agents == env.agents == []


@pytest.mark.parametrize("how", sorted(COPIERS))
@pytest.mark.parametrize("module, kwargs", ENV_CASES[:1] + ENV_CASES[5:7] + ENV_CASES[10:11])
def test_vector_env_copy_continues_like_the_original(module, kwargs, how):
    rng = np.random.default_rng(4)
    venv = VectorEnv(module.parallel_env(**dict(kwargs, max_cycles=PERIODS)), 6)
    venv.reset(seed=1)
    shape = (venv.num_envs, venv.num_agents)
    for _ in range(int(rng.integers(1, PERIODS))):
        venv.step(_actions(rng, venv.action_space, shape))
    twin = COPIERS[how](venv)
    for _ in range(PERIODS + 2):  # through an auto-reset
        act = _actions(rng, venv.action_space, shape)
        o1, r1, _, _, i1 = venv.step(act)
        o2, r2, _, _, i2 = twin.step(act)
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_array_equal(i1["cost"], i2["cost"])
        assert not conservation_gap(twin.engine_state).any()


@pytest.mark.parametrize("module, kwargs", ENV_CASES[:1] + ENV_CASES[5:6])
def test_aec_env_copy_continues_like_the_original(module, kwargs):
    rng = np.random.default_rng(5)
    env = module.env(**dict(kwargs, max_cycles=PERIODS))
    env.reset(seed=2)
    for _ in range(3 * len(env.possible_agents) + 1):  # mid-cycle: an action is buffered
        env.step(_actions(rng, env.action_space(env.agent_selection), ()))
    twin = copy.deepcopy(env)
    for agent in env.agent_iter():
        assert twin.agent_selection == agent
        o1, r1, te1, tr1, _ = env.last()
        o2, r2, te2, tr2, _ = twin.last()
        np.testing.assert_array_equal(o1, o2)
        assert (r1, te1, tr1) == (r2, te2, tr2)
        act = None if te1 or tr1 else _actions(rng, env.action_space(agent), ())
        env.step(act)
        twin.step(act)
    assert twin.agents == []
    assert conservation_gap(twin.unwrapped.engine_state)[0] == 0  # (unwrapped: the ParallelEnv)
