"""The policy protocol.

A policy maps a batch of observations to a batch of actions::

    actions = policy.act(obs, env)      # obs [B, N, obs_dim] -> actions [B, N] (ints)

``env`` is the env the observations come from: a ParallelEnv (``B = 1``) or a
:class:`~inventory_zoo.envs.vector.VectorEnv`. Policies that need more than the agents'
observations (``needs_state = True``, e.g. echelon base-stock, which sums stock across stages)
read ``env.engine_state`` and ``env.spec``. With a ParallelEnv, ``policy(observations, env)``
takes and returns dicts keyed by agent.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Policy"]


class Policy:
    """Base class of the baseline policies.

    Attributes:
        needs_state: True when the policy reads the full state, not just each agent's own
            observation.
    """

    needs_state: bool = False

    def reset(self, env: Any) -> None:
        """Called at the start of every batch of episodes."""

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        """Actions ``[B, N]`` (or ``[B, N, k]``) for observations ``[B, N, obs_dim]``."""
        raise NotImplementedError

    def __call__(self, observations: dict[str, np.ndarray], env: Any) -> dict[str, Any]:
        agents = list(env.possible_agents)
        obs = np.stack([observations[a] for a in agents])[None]
        act = np.asarray(self.act(obs, env))
        if getattr(env, "_flat_actions", False) and act.ndim == 3:
            from inventory_zoo.envs.actions import flatten_actions

            act = flatten_actions(act, env.max_order)  # the env takes one flat index per agent
        act = act[0]
        return {a: (int(act[i]) if np.ndim(act[i]) == 0 else act[i]) for i, a in enumerate(agents)}
