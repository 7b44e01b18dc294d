"""PettingZoo's ``observation_spaces``/``action_spaces`` dicts on every env of the table."""

from __future__ import annotations

import copy
import pickle

import pytest

from tests.conftest import ENV_CASES


@pytest.mark.parametrize("module, kwargs", ENV_CASES)
def test_space_dicts_hold_each_agents_space(module, kwargs):
    env = module.parallel_env(**kwargs)
    assert list(env.observation_spaces) == env.possible_agents == list(env.action_spaces)
    for a in env.possible_agents:
        assert env.observation_spaces[a] is env.observation_space(a)
        assert env.action_spaces[a] is env.action_space(a)
    twin = pickle.loads(pickle.dumps(env))
    again = copy.deepcopy(env)
    for e in (twin, again):  # copies keep one space object per agent, shared with the methods
        assert all(e.action_spaces[a] is e.action_space(a) for a in e.possible_agents)
