"""The PettingZoo face: a ParallelEnv over a batch of one supply chain."""

from __future__ import annotations

import copy
import functools
import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.utils import parallel_to_aec, wrappers
from pettingzoo.utils.wrappers import BaseWrapper

from inventory_zoo.core.spec import SupplyChain
from inventory_zoo.core.validation import check_seed
from inventory_zoo.envs.actions import out_of_range, unflatten_actions
from inventory_zoo.envs.batch import SupplyChainBatch
from inventory_zoo.envs.options import RENDER_MODES, EnvOptions

__all__ = ["SupplyChainParallelEnv", "to_aec"]

OBS_HIGH = float(np.finfo(np.float32).max)


class SupplyChainParallelEnv(ParallelEnv):
    """A supply chain as a PettingZoo ``ParallelEnv``: one agent per node.

    Built by the env modules (``serial_v0.parallel_env(...)`` and siblings); see their pages for
    the arguments. Besides the PettingZoo API it exposes ``spec`` (the
    :class:`~inventory_zoo.core.spec.SupplyChain`), ``batch`` (the batch of one it steps),
    ``engine_state`` (full state, for policies that need it) and ``config`` (the arguments it was
    built with).

    ``action_type``: with several suppliers per node, ``"multidiscrete"`` (default) takes one order
    quantity per supplier, ``"discrete"`` one flat index (see :mod:`inventory_zoo.envs.actions`;
    a per-supplier vector is accepted too). With one supplier per node both are
    ``Discrete(max_order + 1)``.
    """

    metadata = {"name": "supply_chain_v0", "render_modes": list(RENDER_MODES), "is_parallelizable": True}

    def __init__(
        self,
        spec: SupplyChain,
        options: EnvOptions | None = None,
        *,
        name: str = "supply_chain_v0",
        config: dict[str, Any] | None = None,
        **option_kwargs: Any,
    ) -> None:
        """``options`` (or its fields as keyword arguments, e.g. ``max_order=10``): see
        :class:`~inventory_zoo.envs.options.EnvOptions`."""
        super().__init__()
        if options is None:
            options = EnvOptions(**option_kwargs)
        elif option_kwargs:
            raise TypeError(f"give the options either as options=... or as keywords, not both: {sorted(option_kwargs)}")
        self.options = options
        self.action_type = options.action_type
        self.max_cycles = options.max_cycles
        self.spec = spec
        self.batch = SupplyChainBatch(spec, 1, options)
        spec.check_units_bound(self.batch.max_order, self.max_cycles)
        self.render_mode = render_mode = options.render_mode
        if render_mode == "rgb_array":
            from inventory_zoo.envs.rendering import require_matplotlib

            require_matplotlib()  # fail now, with the extra to install, not at render()
        self._history: list[dict] = []
        self.metadata = dict(self.metadata, name=name)
        self.config = dict(config or {})
        self.possible_agents = spec.node_names
        self.agents: list[str] = []
        b = self.batch
        # Stock has no finite bound; the largest float32 stands for it (PettingZoo warns on inf).
        obs_space = spaces.Box(0.0, OBS_HIGH, (b.obs_dim,), np.float32)
        # Flat actions: one Discrete index per agent stands for its vector of per-supplier orders.
        self._flat_actions = self.action_type == "discrete" and b.max_in > 1
        if b.max_in == 1:
            act_space: spaces.Space = spaces.Discrete(b.max_order + 1)
        elif self._flat_actions:
            act_space = spaces.Discrete((b.max_order + 1) ** b.max_in)
        else:
            act_space = spaces.MultiDiscrete(np.full(b.max_in, b.max_order + 1, np.int64))
        # One object per agent (seeding lives in the space objects), made when first asked for:
        # copying a space for each of thousands of agents up front would dominate the build.
        self.observation_spaces: Mapping[str, spaces.Space] = AgentSpaces(obs_space, self.possible_agents)
        self.action_spaces: Mapping[str, spaces.Space] = AgentSpaces(act_space, self.possible_agents)
        self.state_space = spaces.Box(0.0, OBS_HIGH, (b.state_dim,), np.float32)
        self._index = {a: i for i, a in enumerate(self.possible_agents)}
        # Fast path of step(): one supplier per agent, plain int actions (see _plain_orders).
        self._agent_of_edge = [int(n) for n in spec.params.customer] if b.max_in == 1 else None
        if self._agent_of_edge == list(range(len(self.possible_agents))):
            self._agent_of_edge = []  # edge k is agent k's: the actions are the orders
        self._multi_shape = (len(self.possible_agents), b.max_in)
        # Where each edge's order sits in the flattened [N, max_in] actions, as a [1, E] index.
        self._flat_edge_slots = (b._edge_agent * b.max_in + b._edge_slot)[None]
        self._all_false = dict.fromkeys(self.possible_agents, False)
        # A tuple of the agents' actions in agent order, in one call (picklable: no lambda).
        self._actions_of = (
            operator.itemgetter(*self.possible_agents)
            if len(self.possible_agents) > 1
            else functools.partial(_one_action, self.possible_agents[0])
        )

    # ------------------------------------------------------------------ spaces
    def observation_space(self, agent: str) -> spaces.Box:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self.action_spaces[agent]

    @property
    def max_order(self) -> int:
        return self.batch.max_order

    @property
    def engine_state(self):
        """The engine's :class:`~inventory_zoo.core.engine.State` (batch of one)."""
        return self.batch.state

    # ------------------------------------------------------------------ API
    def reset(
        self, seed: int | None = None, options: dict | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
        seed = check_seed(seed)
        if seed is not None:
            self.batch.seed([seed])
        obs = self.batch.reset(self.max_cycles)[0]
        self.agents = list(self.possible_agents)
        self._history = []
        return (
            {a: obs[i] for i, a in enumerate(self.agents)},
            {a: {} for a in self.agents},
        )

    def _plain_orders(self, actions: Any) -> np.ndarray | None:
        """The orders ``[1, E]`` of the common cases, checked here: a dict with exactly the
        agents' names and either one supplier each, every action an ``int`` (or
        ``numpy.int64``), or per-supplier integer arrays (``MultiDiscrete``), all in
        ``0..max_order``. ``None`` for anything else, which :meth:`step` checks the long way
        (and reports)."""
        if type(actions) is not dict or len(actions) != len(self.agents) or self._flat_actions:
            return None
        try:
            vals = self._actions_of(actions)
        except KeyError:
            return None
        top = self.batch.max_order
        if self._agent_of_edge is None:  # several suppliers: one array of orders per agent
            try:
                act = np.array(vals)
            except ValueError:
                return None
            if act.shape != self._multi_shape or act.dtype.kind not in "iu" or out_of_range(act, top):
                return None
            return act.reshape(-1).take(self._flat_edge_slots).astype(np.int64, copy=False)
        for v in vals:
            if (type(v) is not int and type(v) is not np.int64) or v < 0 or v > top:
                return None
        if self._agent_of_edge:
            vals = [vals[n] for n in self._agent_of_edge]
        return np.array((vals,), np.int64)

    def check_action(self, agent: str, action: Any) -> np.ndarray:
        """The per-supplier orders ``[max_suppliers]`` (int64) of one agent's action.

        An action is an integer (``Discrete``: a Python or numpy integer, not a bool or a
        float) or, with several suppliers, an integer array of one order per supplier
        (``MultiDiscrete``; with ``action_type="discrete"`` the flat index is accepted too).

        Raises:
            ValueError: an unknown agent, or an action of the wrong type, shape or range; the
                message names the agent.
        """
        if agent not in self._index:
            raise ValueError(f"unknown agent {agent!r}; agents are {self.possible_agents}")
        b = self.batch
        try:
            act = np.asarray(action)
        except (TypeError, ValueError):
            act = np.asarray(None)
        per_supplier = b.max_in > 1 and act.shape == (b.max_in,)
        flat = act.shape == () and (b.max_in == 1 or self._flat_actions)
        top = b.max_order if not (flat and self._flat_actions) else (b.max_order + 1) ** b.max_in - 1
        if act.dtype.kind not in "iu" or not (per_supplier or flat) or out_of_range(act, top):
            if b.max_in == 1:
                want = f"an integer in 0..{b.max_order} (max_order)"
            else:
                want = f"an integer array of {b.max_in} orders, one per supplier, each in 0..{b.max_order}"
                if self._flat_actions:
                    want += f", or one integer in 0..{(b.max_order + 1) ** b.max_in - 1}"
            raise ValueError(f"action of {agent!r} must be {want}; got {action!r}")
        if flat and self._flat_actions:
            return unflatten_actions(act, b.max_in, b.max_order)
        return act.astype(np.int64).reshape(-1)

    def step(self, actions: dict[str, Any]):
        if not self.agents:
            raise RuntimeError("step() called with no live agents: call reset() first")
        orders = self._plain_orders(actions)
        if orders is not None:
            obs, rew, done = self.batch.step_orders(orders)
        else:
            if not isinstance(actions, Mapping):
                raise ValueError(
                    f"actions must be a dict {{agent: action}} for agents {self.agents}, "
                    f"got {type(actions).__name__}"
                )
            missing = [a for a in self.agents if a not in actions]
            if missing:
                raise ValueError(f"actions missing for agents {missing}")
            unknown = [a for a in actions if a not in self._index]
            if unknown:
                raise ValueError(
                    f"actions given for unknown agents {unknown}; agents are {self.possible_agents}"
                )
            act = np.stack([self.check_action(a, actions[a]) for a in self.possible_agents])
            obs, rew, done = self.batch.step(act[None] if self.batch.max_in > 1 else act.T)
        agents = self.agents
        # (equal lengths by construction; strict=True would cost more than the rest of this)
        observations = dict(zip(agents, obs[0], strict=False))
        rewards = dict(zip(agents, rew.tolist()[0], strict=False))
        if agents == self.possible_agents:  # (copying a dict is cheaper than building one)
            terminations = self._all_false.copy()
            truncations = self._all_false.copy() if not done else dict.fromkeys(agents, True)
        else:
            terminations = dict.fromkeys(agents, False)
            truncations = dict.fromkeys(agents, done)
        infos = {a: {"cost": c} for a, c in zip(agents, self.batch.last.cost.tolist()[0], strict=False)}
        if self.render_mode == "rgb_array":
            from inventory_zoo.envs.rendering import record_period

            record_period(self)
        if done:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def state(self) -> np.ndarray:
        """Global state: all agents' observations (without agent ids), concatenated."""
        if self.batch.state is None:
            raise RuntimeError("call reset() before state()")
        return self.batch.global_state()[0]

    def render(self) -> str | None:
        if self.render_mode is None:
            return None
        from inventory_zoo.envs.rendering import render_ansi, render_rgb

        if self.render_mode == "rgb_array":
            return render_rgb(self)
        text = render_ansi(self)
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        pass


class AgentSpaces(Mapping):
    """``{agent: space}`` with one space object per agent, each a copy of ``template`` made
    when first asked for (the first agent gets ``template`` itself). Read-only."""

    def __init__(self, template: spaces.Space, agents: Sequence[str]) -> None:
        self._template = template
        self._agents = list(agents)
        self._index = {a: i for i, a in enumerate(self._agents)}
        self._made: dict[str, spaces.Space] = {}

    def __getitem__(self, agent: str) -> spaces.Space:
        space = self._made.get(agent)
        if space is None:
            if agent not in self._index:
                raise KeyError(agent)
            space = self._template if self._index[agent] == 0 else copy.deepcopy(self._template)
            self._made[agent] = space
        return space

    def __iter__(self) -> Iterator[str]:
        return iter(self._agents)

    def __len__(self) -> int:
        return len(self._agents)


def _one_action(agent: str, actions: dict[str, Any]) -> tuple[Any]:
    return (actions[agent],)


class CheckedActions(BaseWrapper):
    """An AEC wrapper that checks each agent's action at that agent's own ``step``.

    ``parallel_to_aec`` buffers the actions of a cycle and hands them to the ParallelEnv at
    the last agent's step; a bad action of an earlier agent would then be reported late,
    under another agent's turn. This wrapper checks it at once (the same rules as the
    ParallelEnv, :meth:`SupplyChainParallelEnv.check_action`) and raises ``ValueError``
    naming the agent, before anything is buffered. It stands where PettingZoo's
    ``AssertOutOfBoundsWrapper`` would, for every action space.
    """

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        dead = self.terminations.get(agent, False) or self.truncations.get(agent, False)
        if not dead:
            self.unwrapped.check_action(agent, action)
        super().step(action)


def to_aec(par_env: SupplyChainParallelEnv):
    """The AEC version of a ParallelEnv, with action checks and PettingZoo's order enforcing."""
    return wrappers.OrderEnforcingWrapper(CheckedActions(parallel_to_aec(par_env)))
