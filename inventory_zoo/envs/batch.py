"""A batch of supply chains seen as agents: actions in, observations and rewards out.

:class:`SupplyChainBatch` is what both faces share: the ParallelEnv is a batch of one with
dicts at its edges, the vector env is a batch of ``B`` with arrays. It turns agents' actions
into the engine's per-edge orders and the engine's state into observations, rewards and the
global state. It holds no dynamics of its own.

Observation of an agent (one node), a ``float32`` vector, identical in length for all agents:

====================  ====================================================================
index                 field
====================  ====================================================================
0                     on-hand stock, units
1                     backlog this node owes (to outside customers and downstream nodes)
2                     incoming demand: the customer demand just revealed (or, with
                      ``demand_visible=False``, the one served last period) plus the orders
                      that reached this node from downstream last period
3 + k*F ... (k-th     for the k-th supplier of the node (padded with zeros up to the largest
supplier, F fields)   number of suppliers): the ``L_max`` in-transit slots (slot j arrives in
                      j+1 periods), what the supplier still owes, and the ``D_max`` orders on
                      their way to the supplier (slot j reaches it in j+1 periods)
last N (optional)     one-hot agent id (``agent_id=True``)
====================  ====================================================================

All fields are divided by ``obs_scale`` when observations are normalised.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inventory_zoo.core import engine
from inventory_zoo.core.spec import SupplyChain
from inventory_zoo.core.validation import check_bool, check_int, check_real

__all__ = ["SupplyChainBatch"]


class SupplyChainBatch:
    """``B`` copies of one supply chain, stepped together.

    Args:
        spec: the validated supply chain.
        batch_size: ``B``.
        max_order: largest order quantity per supplier per period (actions are ``0..max_order``).
        reward_mix: ``m`` in reward ``= -((1 - m) * own cost + m * mean cost of all agents)``.
        obs_scale: divide observations by this (``None``: raw units).
        demand_visible: whether the demand revealed at the end of a period is in the
            observation before the agents order (textbook convention) or only after it is served.
        agent_id: append a one-hot agent id to each observation.
    """

    def __init__(
        self,
        spec: SupplyChain,
        batch_size: int,
        max_order: int,
        reward_mix: float = 0.0,
        obs_scale: float | None = None,
        demand_visible: bool = True,
        agent_id: bool = False,
    ) -> None:
        self.spec = spec
        self.batch_size = check_int("batch_size", batch_size, low=1)
        self.max_order = check_int("max_order", max_order, low=1)
        self.reward_mix = check_real("reward_mix", reward_mix, low=0.0, high=1.0)
        if obs_scale is not None:
            obs_scale = check_real("obs_scale", obs_scale, low=0.0, low_open=True)
        self.obs_scale = obs_scale
        self.demand_visible = check_bool("demand_visible", demand_visible)
        self.agent_id = check_bool("agent_id", agent_id)

        a = spec.arrays
        N, E = spec.num_nodes, spec.num_edges
        self.num_agents = N
        self.in_degree = np.array([len(x) for x in a["in_edges"]], np.int64)
        self.max_in = int(self.in_degree.max())
        # Edge e is entry slot_in_node[e] of agent cust[e]'s action.
        slot = np.zeros(E, np.int64)
        for ins in a["in_edges"]:
            slot[ins] = np.arange(len(ins))
        self._edge_agent = a["cust"]
        self._edge_slot = slot
        in_idx = np.full((N, self.max_in), E, np.int64)
        for n, ins in enumerate(a["in_edges"]):
            in_idx[n, : len(ins)] = ins
        self._in_idx = in_idx
        self.edge_fields = a["L_max"] + 1 + a["D_max"]
        self.base_obs_dim = 3 + self.max_in * self.edge_fields
        self.obs_dim = self.base_obs_dim + (N if agent_id else 0)
        self.state_dim = N * self.base_obs_dim
        self._eye = np.eye(N, dtype=np.float32)

        self.rngs: list[np.random.Generator] = [np.random.default_rng() for _ in range(batch_size)]
        self.max_cycles = 0
        self.scenario: engine.Scenario | None = None
        self.state: engine.State | None = None
        self.last: engine.StepOut | None = None

    # ------------------------------------------------------------------ episodes
    def seed(self, seeds: Sequence[int | None] | int | None) -> None:
        """Re-seed member generators: one seed each, or ``s`` meaning ``s, s+1, ...``."""
        B = self.batch_size
        if seeds is None:
            return
        if isinstance(seeds, (int, np.integer)):
            seeds = [int(seeds) + b for b in range(B)]
        if len(seeds) != B:
            raise ValueError(f"seed: expected {B} seeds, got {len(seeds)}")
        for b, s in enumerate(seeds):
            if s is not None:
                self.rngs[b] = np.random.default_rng(s)

    def reset(self, max_cycles: int) -> np.ndarray:
        """Start new episodes of ``max_cycles`` periods; returns observations ``[B, N, obs_dim]``."""
        self.max_cycles = check_int("max_cycles", max_cycles, low=1)
        self.scenario = engine.draw_scenario(self.spec, self.rngs, self.max_cycles)
        self.state = engine.reset(self.spec, self.scenario)
        self.last = None
        return self.observe()

    def orders_from_actions(self, actions: np.ndarray) -> np.ndarray:
        """Check agents' actions ``[B, N]`` or ``[B, N, max_in]`` and return orders ``[B, E]``.

        Raises:
            ValueError: wrong shape, non-integer, negative or above ``max_order``. Entries
                beyond an agent's number of suppliers (padding) are ignored.
        """
        act = np.asarray(actions)
        B, N = self.batch_size, self.num_agents
        if act.ndim == 2 and self.max_in == 1:
            act = act[:, :, None]
        if act.shape != (B, N, self.max_in):
            want = f"[{B}, {N}]" if self.max_in == 1 else f"[{B}, {N}, {self.max_in}]"
            raise ValueError(f"actions must have shape {want}, got {list(np.shape(actions))}")
        if act.dtype.kind not in "iu":
            if act.dtype.kind == "f" and np.all(np.isfinite(act)) and np.all(act == np.round(act)):
                act = act.astype(np.int64)
            else:
                raise ValueError(f"actions must be integers in 0..{self.max_order}, got {act.dtype}")
        lo, hi = act.min(), act.max()
        if lo < 0 or hi > self.max_order:
            raise ValueError(
                f"actions must be in 0..{self.max_order} (max_order), got values {int(lo)}..{int(hi)}"
            )
        return act[:, self._edge_agent, self._edge_slot].astype(np.int64, copy=False)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
        """One period for the whole batch.

        Returns:
            observations ``[B, N, obs_dim]`` float32, rewards ``[B, N]`` float64 and whether the
            episodes are truncated (all members share the clock). The costs are in
            ``self.last.cost``.
        """
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        orders = self.orders_from_actions(actions)
        self.last = engine.step(self.spec, self.state, orders, self.scenario)
        cost = self.last.cost
        if self.reward_mix:
            m = self.reward_mix
            rewards = -((1.0 - m) * cost + m * cost.mean(1, keepdims=True))
        else:
            rewards = -cost
        return self.observe(), rewards, self.state.t >= self.max_cycles

    # ------------------------------------------------------------------ views
    def _base_obs(self) -> np.ndarray:
        s, a = self.state, self.spec.arrays
        B, N = self.batch_size, self.num_agents
        parts = [s.pipe, s.owed[:, :, None]]
        if a["D_max"]:
            parts.append(s.opipe)
        edge = np.concatenate(parts, axis=2)
        edge = np.concatenate([edge, np.zeros((B, 1, edge.shape[2]), edge.dtype)], axis=1)
        per_supplier = edge[:, self._in_idx].reshape(B, N, -1)
        demand = s.demand if self.demand_visible else s.last_demand
        if a["serial_like"]:
            owed_down = np.zeros_like(s.on_hand)
            owed_down[:, 1:] = s.owed[:, :-1]
            received = np.zeros_like(s.on_hand)
            received[:, 1:] = s.received[:, :-1]
        else:
            owed_down = s.owed @ a["sout"]
            received = s.received @ a["sout"]
        head = np.stack([s.on_hand, s.backlog + owed_down, demand + received], axis=2)
        obs = np.concatenate([head, per_supplier], axis=2).astype(np.float32)
        if self.obs_scale is not None:
            obs /= np.float32(self.obs_scale)
        return obs

    def observe(self) -> np.ndarray:
        """Observations ``[B, N, obs_dim]`` float32 of the current state."""
        obs = self._base_obs()
        if self.agent_id:
            eye = np.broadcast_to(self._eye, (self.batch_size,) + self._eye.shape)
            obs = np.concatenate([obs, eye], axis=2)
        return obs

    def global_state(self) -> np.ndarray:
        """Global state ``[B, N * base_obs_dim]``: every agent's observation without its id."""
        return self._base_obs().reshape(self.batch_size, -1)
