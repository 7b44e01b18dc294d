"""The episode runner shared by evaluation, charts and the search for base-stock levels.

It sits above the envs (it steps a :class:`~inventory_zoo.envs.vector.VectorEnv`) and below
everything that plays episodes (:mod:`inventory_zoo.evaluation`, :mod:`inventory_zoo.render`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from inventory_zoo.core.validation import MAX_PERIODS, check_int
from inventory_zoo.envs.unwrap import unwrap_env
from inventory_zoo.envs.vector import VectorEnv

__all__ = ["policy_fn", "run_episodes"]


def policy_fn(policy: Any) -> Callable[[np.ndarray, Any], Any]:
    """The ``act(obs, env)`` callable of a policy object or of a plain callable.

    Raises:
        TypeError: ``policy`` has no ``act`` and is not callable.
    """
    if hasattr(policy, "act"):
        return policy.act
    if callable(policy):
        return policy
    raise TypeError(f"policy must have act(obs, env) or be callable(obs, env), got {type(policy).__name__}")


def run_episodes(
    env: Any, policy: Any, episodes: int, seed: int | None, max_cycles: int | None = None
) -> Iterator[tuple[VectorEnv, np.ndarray, np.ndarray, Any]]:
    """Play ``episodes`` episodes of ``env`` in one batch (episode ``k`` seeded ``seed + k``).

    Args:
        env: an env of this library (wrappers are unwrapped with
            :func:`~inventory_zoo.envs.unwrap.unwrap_env`).
        policy: a policy (``act(obs, env)``) or a callable; its ``reset(venv)`` is called first
            when it has one.
        episodes: ``B``, the batch size.
        seed: the first episode's seed.
        max_cycles: periods per episode (default: the env's).

    Yields:
        ``(venv, obs, actions, out)`` per period: the VectorEnv, the observations
        ``[B, N, obs_dim]`` the policy saw, its actions ``[B, N]`` (or ``[B, N, suppliers]``)
        and the engine's step output (``cost``, ``demand``, ``filled``, ... each ``[B, N]``).
    """
    venv = VectorEnv(unwrap_env(env), episodes, auto_reset=False)
    if max_cycles is not None:
        venv.max_cycles = check_int("max_cycles", max_cycles, low=1, high=MAX_PERIODS)
    act = policy_fn(policy)
    if hasattr(policy, "reset"):
        policy.reset(venv)
    obs, _ = venv.reset(seed=seed)
    for _ in range(venv.max_cycles):
        actions = np.asarray(act(obs, venv))
        next_obs, _, _, _, _ = venv.step(actions)
        yield venv, obs, actions, venv.batch.last
        obs = next_obs
