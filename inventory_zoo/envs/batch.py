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

import math
from collections.abc import Sequence

import numpy as np

from inventory_zoo.core import engine
from inventory_zoo.core.spec import SupplyChain
from inventory_zoo.core.validation import (
    MAX_PERIODS,
    MIN_OBS_SCALE,
    check_bool,
    check_int,
    check_quantity,
    check_real,
    check_seed,
)
from inventory_zoo.envs.actions import out_of_range

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
        seeding: ``"independent"``: every member has its own generator, so member ``b``
            replays a batch of one seeded alike (exact, but reset costs a Python call per
            member); ``"batched"``: one generator draws the whole batch's episodes in
            vectorised calls (same distribution, much faster resets).
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
        seeding: str = "independent",
    ) -> None:
        if seeding not in ("independent", "batched"):
            raise ValueError(f"seeding={seeding!r} is not allowed; use 'independent' or 'batched'")
        self.seeding = seeding
        self.spec = spec
        self.batch_size = check_int("batch_size", batch_size, low=1)
        self.max_order = check_quantity("max_order", max_order, low=1)
        self.reward_mix = check_real("reward_mix", reward_mix, low=0.0, high=1.0)
        if obs_scale is not None:
            obs_scale = check_real("obs_scale", obs_scale, low=MIN_OBS_SCALE)
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
        # Edge k is agent k's only supplier (serial chains): actions are the orders as they are.
        self._actions_are_orders = self.max_in == 1 and np.array_equal(a["cust"], np.arange(N))
        in_idx = np.full((N, self.max_in), E, np.int64)
        for n, ins in enumerate(a["in_edges"]):
            in_idx[n, : len(ins)] = ins
        self._in_idx = in_idx
        self.edge_fields = a["L_max"] + 1 + a["D_max"]
        self.base_obs_dim = 3 + self.max_in * self.edge_fields
        self.obs_dim = self.base_obs_dim + (N if agent_id else 0)
        self.state_dim = N * self.base_obs_dim
        self._build_obs_map()
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
        if flat:
            act = act[:, :, None]
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
    def _build_obs_map(self) -> None:
        """Observations are one linear map of the flattened state: ``X @ M (+ ids)``."""
        a = self.spec.arrays
        N, E = self.spec.num_nodes, self.spec.num_edges
        L, D = a["L_max"], a["D_max"]
        # Offsets of the state's parts in X (see _features).
        off = {}
        pos = 0
        for name, size in [
            ("on_hand", N),
            ("backlog", N),
            ("owed", E),
            ("pipe", E * L),
            ("opipe", E * D),
            ("demand", N),
            ("last_demand", N),
            ("received", E),
        ]:
            off[name] = pos
            pos += size
        F0 = self.base_obs_dim
        M = np.zeros((pos, N * F0))
        demand_key = "demand" if self.demand_visible else "last_demand"
        for n in range(N):
            col = n * F0
            M[off["on_hand"] + n, col] = 1
            M[off["backlog"] + n, col + 1] = 1
            M[off[demand_key] + n, col + 2] = 1
            for e in a["out_edges"][n]:
                M[off["owed"] + e, col + 1] = 1
                M[off["received"] + e, col + 2] = 1
            for k, e in enumerate(a["in_edges"][n]):
                c = col + 3 + k * self.edge_fields
                for j in range(L):
                    M[off["pipe"] + e * L + j, c + j] = 1
                M[off["owed"] + e, c + L] = 1
                for j in range(D):
                    M[off["opipe"] + e * D + j, c + L + 1 + j] = 1
        if self.obs_scale is not None:
            M /= self.obs_scale
        self._obs_map = M
        self._id_bias = np.eye(N, dtype=np.float32)
        self._features_by_row = self._rows_are_exact()
        self._obs_fields = self._field_plan()
        self._has_downstream = bool(a["sout"].any())
        self._has_opipe = a["D_max"] > 0

    def _rows_are_exact(self) -> bool:
        """Whether a large batch may build its features row by row (see :meth:`_features`).

        That gives a transposed (Fortran-ordered) feature matrix, which BLAS multiplies with
        the packing routine of its transpose: the same products in the same order, so the
        same bits. With raw units (a 0/1 map) any order is exact; with scaled observations this
        is checked once, on random counts, against the C-ordered product.
        """
        B = self.batch_size
        if B <= engine.SMALL_BATCH:
            return False
        if self.obs_scale is None:
            return True
        X = np.random.default_rng(0).integers(0, 10_000, (B, self._obs_map.shape[0])).astype(np.float64)
        return bool(np.array_equal(X @ self._obs_map, np.asfortranarray(X) @ self._obs_map))

    def _field_plan(self) -> tuple | None:
        """For a large batch whose observations are exact, how to write them field by field.

        With raw units or a power-of-two ``obs_scale``, each observation entry is an integer
        count (or a sum of counts) times an exact weight, so writing the fields straight into
        the ``float32`` output gives the bits of the product ``X @ M`` while touching each
        number once, where the dense product costs ``F`` multiply-adds per entry. Returns
        ``(blocks, dense, weight)``: per supplier slot ``k`` the first column, the agents
        that have a k-th supplier and those edges; whether every agent fills every slot; the
        weight (``None``: raw units). ``None`` when the product must be used.
        """
        scale = self.obs_scale
        if self.batch_size <= engine.SMALL_BATCH or (scale is not None and math.frexp(scale)[0] != 0.5):
            return None
        a = self.spec.arrays
        N = self.spec.num_nodes
        blocks = []
        for k in range(self.max_in):
            nodes = [n for n in range(N) if len(a["in_edges"][n]) > k]
            edges = [int(a["in_edges"][n][k]) for n in nodes]
            blocks.append((3 + k * self.edge_fields, _as_index(nodes, N), _as_index(edges, None)))
        dense = bool(np.all(self.in_degree == self.max_in))
        return blocks, dense, (None if scale is None else np.float32(1.0 / scale))

    def _parts(self) -> list[np.ndarray]:
        """The state's count arrays, ``[B, ...]`` each, in the order of the obs map's rows."""
        s = self.state
        B = self.batch_size
        parts = [s.on_hand, s.backlog, s.owed, s.pipe.reshape(B, -1)]
        if self._has_opipe:  # (else no columns)
            parts.append(s.opipe.reshape(B, -1))
        parts += [s.demand, s.last_demand, s.received]
        return parts

    def _features_t(self) -> np.ndarray:
        """``X.T`` ``[F, B]`` float64.

        For many members: concatenating a few columns per member is one copy loop per
        member; filling ``X.T`` part by part is one long loop per column.
        """
        XT = np.empty((self._obs_map.shape[0], self.batch_size))
        o = 0
        for part in self._parts():
            w = part.shape[1]
            XT[o : o + w] = part.T
            o += w
        return XT

    def _features(self) -> np.ndarray:
        """``X`` ``[B, F]`` float64: the state's counts side by side (the rows of the obs map)."""
        if not self._features_by_row:
            return np.concatenate(self._parts(), axis=1, dtype=np.float64)
        return self._features_t().T

    def global_state(self) -> np.ndarray:
        """Global state ``[B, N * base_obs_dim]`` float32: every agent's observation, no ids."""
        if self._obs_fields is not None:  # the same values as the product below
            return self._observe_fields()
        return (self._features() @ self._obs_map).astype(np.float32)

    def _observe_fields(self) -> np.ndarray:
        """:meth:`global_state` written field by field (see :meth:`_field_plan`)."""
        blocks, dense, weight = self._obs_fields
        s, a = self.state, self.spec.arrays
        B, N, L, D = self.batch_size, self.num_agents, a["L_max"], a["D_max"]
        out = (np.empty if dense else np.zeros)((B, N, self.base_obs_dim), np.float32)
        demand = s.demand if self.demand_visible else s.last_demand
        out[:, :, 0] = s.on_hand
        if self._has_downstream:
            out[:, :, 1] = s.backlog + engine.incidence(s.owed, a, "sout")
            out[:, :, 2] = demand + engine.incidence(s.received, a, "sout")
        else:
            out[:, :, 1] = s.backlog
            out[:, :, 2] = demand
        for c, nodes, edges in blocks:
            out[:, nodes, c : c + L] = s.pipe[:, edges]
            out[:, nodes, c + L] = s.owed[:, edges]
            if D:
                out[:, nodes, c + L + 1 : c + L + 1 + D] = s.opipe[:, edges]
        if weight is not None:
            out *= weight  # a power of two: exact
        return out.reshape(B, N * self.base_obs_dim)

    def observe(self) -> np.ndarray:
        """Observations ``[B, N, obs_dim]`` float32 of the current state."""
        obs = self.global_state().reshape(self.batch_size, self.num_agents, self.base_obs_dim)
        if self.agent_id:
            ids = np.broadcast_to(self._id_bias, (self.batch_size,) + self._id_bias.shape)
            obs = np.concatenate([obs, ids], axis=2)
        return obs


def _as_index(idx: list[int], n: int | None) -> slice | np.ndarray:
    """``idx`` as a slice when it is an arithmetic progression (a view, no gather), else an
    index array. With ``n``, ``range(n)`` becomes ``slice(None)``."""
    if n is not None and idx == list(range(n)):
        return slice(None)
    if len(idx) >= 2:
        step = idx[1] - idx[0]
        if step > 0 and idx == list(range(idx[0], idx[-1] + 1, step)):
            return slice(idx[0], idx[-1] + 1, step)
    if len(idx) == 1:
        return slice(idx[0], idx[0] + 1)
    return np.array(idx, np.int64)
