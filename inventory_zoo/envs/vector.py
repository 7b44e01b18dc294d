"""The fast path: ``B`` copies of an env stepped in one numpy call, agents as rows.

>>> from inventory_zoo import serial_v0
>>> from inventory_zoo.envs.vector import VectorEnv
>>> venv = VectorEnv(serial_v0.parallel_env(preset="liu2022"), num_envs=1024)
>>> obs, infos = venv.reset(seed=0)          # obs: [1024, 3, obs_dim] float32
>>> obs, rew, term, trunc, infos = venv.step(actions)   # actions: [1024, 3] ints

Member ``b`` reset with ``seed=s`` replays exactly the episodes of a ParallelEnv reset with
``seed=s + b`` (or ``seed=seeds[b]`` for a list), fed the same actions: both draw an episode's
randomness from the member's own generator at reset. Episodes of all members end together
(every member has the same ``max_cycles``); with ``auto_reset=True`` the step that ends them
returns the first observations of the next episodes and puts the last ones in
``infos["final_observation"]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from inventory_zoo.core.validation import check_bool, check_int
from inventory_zoo.envs.actions import unflatten_actions
from inventory_zoo.envs.batch import SupplyChainBatch
from inventory_zoo.envs.parallel import SupplyChainParallelEnv
from inventory_zoo.envs.unwrap import unwrap_env

__all__ = ["VectorEnv"]


class VectorEnv:
    """``num_envs`` copies of a ParallelEnv's supply chain, with array inputs and outputs.

    Args:
        env: a ParallelEnv of this library (or a wrapper of one); its spec and options (max_order, max_cycles,
            reward mix, observation options) are copied.
        num_envs: ``B``.
        auto_reset: start new episodes automatically when the current ones end.
        seeding: ``"independent"`` (default: member ``b`` replays the ParallelEnv seeded
            ``seed + b``) or ``"batched"`` (one generator for the batch, vectorised resets:
            the fast choice for training, where exact replay does not matter).

    Attributes:
        agents: agent names (the row order of the agent axis).
        observation_space, action_space: one agent's spaces (identical across agents).
        state_space: the global state's space.
    """

    def __init__(
        self,
        env: SupplyChainParallelEnv,
        num_envs: int,
        auto_reset: bool = True,
        seeding: str = "independent",
    ) -> None:
        env = unwrap_env(env)
        self.num_envs = check_int("num_envs", num_envs, low=1)
        self.auto_reset = check_bool("auto_reset", auto_reset)
        src = env.batch
        self.spec = env.spec
        self.max_cycles = env.max_cycles
        self.config = dict(env.config)
        self.metadata = dict(env.metadata)
        self.batch = SupplyChainBatch(env.spec, self.num_envs, src.options, seeding)
        self.agents = list(env.possible_agents)
        self.num_agents = len(self.agents)
        self.action_type = env.action_type
        self._flat_actions = env._flat_actions
        self.observation_space = env.observation_space(self.agents[0])
        self.action_space = env.action_space(self.agents[0])
        self.state_space: spaces.Box = env.state_space

    @property
    def max_order(self) -> int:
        return self.batch.max_order

    @property
    def engine_state(self):
        """The engine's :class:`~inventory_zoo.core.engine.State` of the whole batch."""
        return self.batch.state

    def reset(
        self, seed: int | Sequence[int | None] | None = None, options: dict | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start new episodes. ``seed``: an int ``s`` (member b gets ``s + b``) or one per member.

        Returns:
            observations ``[B, N, obs_dim]`` and an empty info dict.
        """
        self.batch.seed(seed)
        return self.batch.reset(self.max_cycles), {}

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """One period for every member.

        Args:
            actions: ``[B, N]`` order quantities (``[B, N, max_suppliers]`` for multi-sourcing;
                with ``action_type="discrete"``, ``[B, N]`` flat indices or the per-supplier
                ``[B, N, max_suppliers]``).

        Returns:
            ``obs [B, N, obs_dim]``, ``rewards [B, N]``, ``terminations [B, N]`` (always False),
            ``truncations [B, N]``, and ``infos`` with ``"cost"`` ``[B, N]`` (raw own costs) and,
            when episodes ended and were auto-reset, ``"final_observation"`` and
            ``"final_state"``.
        """
        if self._flat_actions and np.ndim(actions) == 2:
            actions = unflatten_actions(actions, self.batch.max_in, self.batch.max_order)
        obs, rewards, done = self.batch.step(actions)
        infos: dict[str, Any] = {"cost": self.batch.last.cost}
        B, N = self.num_envs, self.num_agents
        trunc = np.full((B, N), done)
        if done and self.auto_reset:
            infos["final_observation"] = obs
            infos["final_state"] = self.batch.global_state()
            obs = self.batch.reset(self.max_cycles)
        return obs, rewards, np.zeros((B, N), bool), trunc, infos

    def state(self) -> np.ndarray:
        """Global states ``[B, state_dim]``."""
        return self.batch.global_state()

    @property
    def t(self) -> int:
        """Periods elapsed in the current episodes."""
        return self.batch.state.t

    def close(self) -> None:
        pass
