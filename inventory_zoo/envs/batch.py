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

from inventory_zoo.core import engine, quantities
from inventory_zoo.core.spec import SupplyChain
from inventory_zoo.core.validation import (
    MAX_PERIODS,
    check_int,
    check_seed,
)
from inventory_zoo.envs.actions import out_of_range
from inventory_zoo.envs.options import EnvOptions

__all__ = ["SupplyChainBatch"]

#: The observation is a dense product when its map (raw counts x global-state entries) has at
#: most this many entries, whatever the batch size ...
DENSE_OBS_ENTRIES = 1024
#: ... or when the product's multiply-adds per period (batch size x entries) are at most this.
DENSE_OBS_WORK = 16384


class SupplyChainBatch:
    """``B`` copies of one supply chain, stepped together.

    Args:
        spec: the validated supply chain.
        batch_size: ``B``.
        options: the env options (validated when made): ``max_order`` (actions are
            ``0..max_order``), ``reward_mix``, ``obs_scale``, ``demand_visible``, ``agent_id``.
        seeding: ``"independent"``: every member has its own generator, so member ``b``
            replays a batch of one seeded alike (exact, but reset costs a Python call per
            member); ``"batched"``: one generator draws the whole batch's episodes in
            vectorised calls (same distribution, much faster resets).
    """

    def __init__(
        self,
        spec: SupplyChain,
        batch_size: int,
        options: EnvOptions,
        seeding: str = "independent",
    ) -> None:
        if seeding not in ("independent", "batched"):
            raise ValueError(f"seeding={seeding!r} is not allowed; use 'independent' or 'batched'")
        if not isinstance(options, EnvOptions):
            raise TypeError(f"options must be an EnvOptions, got {type(options).__name__}")
        self.seeding = seeding
        self.spec = spec
        self.batch_size = check_int("batch_size", batch_size, low=1)
        self.options = options
        self.max_order = options.max_order
        self.reward_mix = options.reward_mix
        self.obs_scale = options.obs_scale
        self.demand_visible = options.demand_visible
        self.agent_id = agent_id = options.agent_id

        p = spec.params
        N, E = p.num_nodes, p.num_edges
        self.num_agents = N
        self.in_degree = p.in_degree
        self.max_in = int(self.in_degree.max())
        # Edge e is entry slot[e] of agent customer[e]'s action: its place among the node's
        # inbound edges (edges listed in edge order within each node).
        slot = np.empty(E, np.int64)
        slot[p.in_edge_index] = np.arange(E) - np.repeat(p.in_edge_ptr[:-1], self.in_degree)
        self._edge_agent = p.customer
        self._edge_slot = slot
        self._edge_action = p.customer * self.max_in + slot  # its entry in an agent-major flat row
        # Edge k is agent k's only supplier (serial chains): actions are the orders as they are.
        self._actions_are_orders = self.max_in == 1 and np.array_equal(p.customer, np.arange(N))
        self.edge_fields = p.max_lead_time + 1 + p.max_order_delay
        self.base_obs_dim = 3 + self.max_in * self.edge_fields
        self.obs_dim = self.base_obs_dim + (N if agent_id else 0)
        self.state_dim = N * self.base_obs_dim
        self._build_obs_layout()
        m = self.reward_mix
        # Weights held as arrays of the operands' shapes (fewer numpy conversions per step).
        self._neg_own_weight = np.full((batch_size, N), -(1.0 - m))
        self._team_weight = np.full((batch_size, 1), m / N)

        self.rngs: list[np.random.Generator] = [np.random.default_rng() for _ in range(batch_size)]
        self.rng = np.random.default_rng()
        self.max_cycles = 0
        self.scenario: engine.Scenario | None = None
        self.state: engine.State | None = None
        self.last: engine.StepOut | None = None

    # ------------------------------------------------------------------ episodes
    def seed(self, seeds: Sequence[int | None] | int | None) -> None:
        """Re-seed member generators: one seed each, or ``s`` meaning ``s, s+1, ...``.

        With ``seeding="batched"``, an int seeds the one generator of the batch. Every seed is
        checked before any generator changes.

        Raises:
            TypeError, ValueError: a seed that is not ``None`` or an integer >= 0, or a list of
                the wrong length.
        """
        B = self.batch_size
        if seeds is None:
            return
        if self.seeding == "batched":
            if isinstance(seeds, (list, tuple, np.ndarray)):
                raise TypeError("seed: with seeding='batched' pass one integer seed (or None)")
            self.rng = np.random.default_rng(check_seed(seeds))
            return
        if not isinstance(seeds, (list, tuple, np.ndarray)):
            first = check_seed(seeds)
            seeds = [first + b for b in range(B)]
        elif len(seeds) != B:
            raise ValueError(f"seed: expected one seed per member ({B}), got {len(seeds)}")
        else:
            seeds = [check_seed(s, f"seed[{b}]") for b, s in enumerate(seeds)]
        for b, s in enumerate(seeds):
            if s is not None:
                self.rngs[b] = np.random.default_rng(s)

    def reset(self, max_cycles: int) -> np.ndarray:
        """Start new episodes of ``max_cycles`` periods; returns observations ``[B, N, obs_dim]``."""
        self.max_cycles = check_int("max_cycles", max_cycles, low=1, high=MAX_PERIODS)
        self.spec.check_units_bound(self.max_order, self.max_cycles)
        if self.seeding == "batched":
            self.scenario = engine.draw_scenario(self.spec, self.rng, self.max_cycles, self.batch_size)
        else:
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
        flat = act.ndim == 2 and self.max_in == 1
        if act.shape != ((B, N) if flat else (B, N, self.max_in)):
            want = f"[{B}, {N}]" if self.max_in == 1 else f"[{B}, {N}, {self.max_in}]"
            raise ValueError(f"actions must have shape {want}, got {list(np.shape(actions))}")
        if act.dtype.kind not in "iu":  # (floats and bools are refused, not rounded or cast)
            raise ValueError(
                f"actions must be an integer array with values in 0..{self.max_order}, got dtype {act.dtype}"
            )
        if out_of_range(act, self.max_order):
            lo, hi = act.min(), act.max()
            raise ValueError(
                f"actions must be in 0..{self.max_order} (max_order), got values {int(lo)}..{int(hi)}"
            )
        if self._actions_are_orders:
            return act.reshape(B, N).astype(np.int64)  # a copy, like the general case
        # One take over each member's flat actions: a C-ordered result (an index pair on two
        # axes would give a strided one, slower in every later operation).
        return act.reshape(B, -1).take(self._edge_action, 1).astype(np.int64, copy=False)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
        """One period for the whole batch.

        Returns:
            observations ``[B, N, obs_dim]`` float32, rewards ``[B, N]`` float64 and whether the
            episodes are truncated (all members share the clock). The costs are in
            ``self.last.cost``.
        """
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        return self.step_orders(self.orders_from_actions(actions))

    def step_orders(self, orders: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
        """:meth:`step` given valid per-edge orders ``[B, E]`` ``int64`` (not checked)."""
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        self.last = engine.step(self.spec, self.state, orders, self.scenario)
        cost = self.last.cost
        if self.reward_mix:
            # -((1 - m) * cost + (m / N) * total cost), in four calls and the same bits (a
            # matrix product would be one call, but BLAS rounds differently at different B).
            team = np.add.reduce(cost, 1, keepdims=True) * self._team_weight
            rewards = cost * self._neg_own_weight
            rewards -= team
        else:
            rewards = -cost
        return self.observe(), rewards, self.state.t >= self.max_cycles

    # ------------------------------------------------------------------ views
    def _build_obs_layout(self) -> None:
        """Where each entry of the global state comes from: every entry is a count of the
        state or a sum of counts, so the global state is a linear map of the state's counts.

        Two forms of that map give the same bits (a test pins them), chosen by their measured
        cost:

        - small maps (at most ``DENSE_OBS_ENTRIES`` entries, or at most ``DENSE_OBS_WORK``
          multiply-adds a period for the whole batch): one product of the raw counts ``[on
          hand, backlog, demand shown, owed, orders received, pipe, order slots]`` with a 0/1
          matrix. Exact (sums of counts below ``MAX_UNITS = 2**53`` in float64); it needs no
          separate sums, so it takes half the time of the gather for one env on chains and
          small networks, and no more at B = 4096 on maps of up to 1,024 entries;
        - otherwise one gather from ``X``: on hand ``[N]``, what each node owes ``[N]`` (its
          customers' backlog plus what it owes downstream), its incoming demand ``[N]`` (the
          demand shown plus the orders that reached it from downstream last period), owed per
          edge ``[E]``, the pipe ``[E * L]``, the order slots ``[E * D]`` and, when some entry
          is padding, one zero: linear in nodes plus edges.
        """
        p = self.spec.params
        N, E, L, D = p.num_nodes, p.num_edges, p.max_lead_time, p.max_order_delay
        F, F0 = self.edge_fields, self.base_obs_dim
        e = np.arange(E)
        # Each edge's first column in the global state (its block in its customer's row).
        edge_col = p.customer * F0 + 3 + self._edge_slot * F
        raw_width = 3 * N + 2 * E + E * (L + D)
        self._obs_weight = None if self.obs_scale is None else np.float64(1.0) / self.obs_scale
        self._has_downstream = p.out_edge_index.size > 0
        self._has_opipe = D > 0
        self._id_bias = np.eye(N, dtype=np.float32) if self.agent_id else None  # [N, N]: only with ids
        self._obs_dense = None
        self._obs_pad = False
        if raw_width * N * F0 <= max(DENSE_OBS_ENTRIES, DENSE_OBS_WORK // self.batch_size):
            internal = p.out_edge_index  # edges with a supplier inside the network
            o_owed, o_received, o_pipe = 3 * N, 3 * N + E, 3 * N + 2 * E
            o_opipe = o_pipe + E * L
            rows = [np.arange(3 * N), o_owed + internal, o_received + internal,
                    o_pipe + np.arange(E * L), o_owed + e, o_opipe + np.arange(E * D)]  # fmt: skip
            cols = [(np.arange(N)[:, None] * F0 + np.arange(3)).T.reshape(-1),
                    p.supplier[internal] * F0 + 1, p.supplier[internal] * F0 + 2,
                    (edge_col[:, None] + np.arange(L)).reshape(-1), edge_col + L,
                    (edge_col[:, None] + L + 1 + np.arange(D)).reshape(-1)]  # fmt: skip
            dense = np.zeros((raw_width, N * F0))
            dense[np.concatenate(rows), np.concatenate(cols)] = 1.0
            self._obs_dense = dense
            width = raw_width
        else:
            o_owed, o_pipe = 3 * N, 3 * N + E
            o_opipe = o_pipe + E * L
            o_zero = o_opipe + E * D
            a = np.full((N, F0), o_zero, np.int64)
            a[:, :3] = np.arange(N)[:, None] + np.array([0, N, 2 * N])
            a = a.reshape(-1)
            a[edge_col[:, None] + np.arange(L)] = o_pipe + e[:, None] * L + np.arange(L)
            a[edge_col + L] = o_owed + e
            if D:
                a[edge_col[:, None] + L + 1 + np.arange(D)] = o_opipe + e[:, None] * D + np.arange(D)
            self._obs_a = a
            self._obs_pad = bool((a == o_zero).any())
            self._zero_col = np.zeros((self.batch_size, 1), np.int64)
            width = o_zero + self._obs_pad
        # The count row, kept between periods: a fresh array of this size would be new memory
        # every period (page faults cost more than the work at large B).
        self._X = np.empty((self.batch_size, width))

    def _counts(self) -> np.ndarray:
        """The count row ``[B, P]`` float64 (see :meth:`_build_obs_layout`): the raw counts for
        the dense product, or ``X`` for the gather."""
        s = self.state
        B = self.batch_size
        shown = s.demand if self.demand_visible else s.last_demand
        if self._obs_dense is not None:  # (the product does the sums)
            parts = [s.on_hand, s.backlog, shown, s.owed, s.received]
        elif self._has_downstream:
            owes = quantities.owes(self.spec, s)
            parts = [s.on_hand, owes, shown + quantities.sum_by_supplier(self.spec, s.received), s.owed]
        else:
            parts = [s.on_hand, s.backlog, shown, s.owed]
        parts.append(s.pipe.reshape(B, -1))
        if self._has_opipe:
            parts.append(s.opipe.reshape(B, -1))
        if self._obs_pad:
            parts.append(self._zero_col)
        return np.concatenate(parts, axis=1, out=self._X)

    def global_state(self) -> np.ndarray:
        """Global state ``[B, N * base_obs_dim]`` float32: every agent's observation, no ids.

        Each entry is an exact integer count (or sum of counts) in float64; with ``obs_scale``
        it is multiplied by ``1 / obs_scale`` in float64, then rounded to float32.
        """
        if self._obs_dense is not None:
            x = self._counts() @ self._obs_dense
        else:
            x = self._counts().take(self._obs_a, 1)  # (a new array: take with out= is buffered, slower)
        if self._obs_weight is not None:
            x *= self._obs_weight
        return x.astype(np.float32)

    def observe(self) -> np.ndarray:
        """Observations ``[B, N, obs_dim]`` float32 of the current state."""
        obs = self.global_state().reshape(self.batch_size, self.num_agents, self.base_obs_dim)
        if self.agent_id:
            ids = np.broadcast_to(self._id_bias, (self.batch_size,) + self._id_bias.shape)
            obs = np.concatenate([obs, ids], axis=2)
        return obs
