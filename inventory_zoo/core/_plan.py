"""Index arrays the engine derives from a spec once, and the caches it keeps (private).

Everything here is a function of the spec alone, built in time linear in nodes plus edges and
cached on the spec object (never on a state, so copies of a state cannot go stale). Nothing
outside ``inventory_zoo.core`` reads it: the layers above call the named functions of
:mod:`inventory_zoo.core.quantities`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from inventory_zoo.core.params import EngineParams

if TYPE_CHECKING:
    from inventory_zoo.core.spec import SupplyChain


class Segments:
    """Sums of column groups: ``out[:, g] = x[:, index[ptr[g]:ptr[g + 1]]].sum(1)`` for
    ``x`` ``[B, M]`` and ``G`` groups (0 for an empty group), in index order.

    The sums run in one pass over the columns (``np.add.reduceat``), so the cost is linear in
    ``M + G``; the same sums, with groups of at most one column, are one gather.
    """

    def __init__(self, ptr: np.ndarray, index: np.ndarray, width: int) -> None:
        sizes = np.diff(ptr)
        self.groups = len(sizes)
        self.nonempty = np.flatnonzero(sizes > 0)
        self.all_nonempty = self.nonempty.size == self.groups
        self.gather = None if np.array_equal(index, np.arange(width)) else index.astype(np.int64)
        self.single = bool(sizes.max(initial=0) <= 1)
        self.starts = ptr[self.nonempty].astype(np.int64)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``[B, G]`` group sums of ``x`` ``[B, M]`` (same dtype)."""
        cols = x if self.gather is None else x.take(self.gather, 1)
        sums = cols if self.single else np.add.reduceat(cols, self.starts, axis=1)
        if self.all_nonempty:
            return sums
        out = np.zeros((x.shape[0], self.groups), x.dtype)
        out[:, self.nonempty] = sums
        return out


class Plan:
    """What the engine derives from one spec.

    Attributes:
        by_customer: sums of ``[B, E]`` edge values into ``[B, N]`` per customer node.
        by_supplier: the same per supplying node (outside suppliers excluded; 0 for a node
            without downstream edges).
        claim_src: ``[M]`` the claims every node fills, in priority order, node after node:
            each an index into ``[edges | nodes]`` (a downstream edge, or the node's own
            customers at column ``E + n``).
        claims_by_node: sums of ``[B, M]`` claim values per node.
        single_claim: every node has exactly one claim (``M == N``, claim ``n`` is node ``n``'s):
            allocation is a minimum, with nothing to split.
    """

    def __init__(self, p: EngineParams, priorities: np.ndarray) -> None:
        N, E = p.num_nodes, p.num_edges
        self.N, self.E = N, E
        self.by_customer = Segments(p.in_edge_ptr, p.in_edge_index, E)
        self.by_supplier = Segments(p.out_edge_ptr, p.out_edge_index, E)
        # Claims: node n first serves its own customers, then its downstream edges by
        # (priority, edge order).
        internal = p.out_edge_index
        order = np.lexsort((internal, priorities[internal], p.supplier[internal]))
        edge_claims = internal[order]
        claim_node = np.concatenate([p.demand_nodes, p.supplier[edge_claims]])
        claim_src = np.concatenate([E + p.demand_nodes, edge_claims])
        # Within a node, its customers' claim (listed first above) keeps its place first.
        by_node = np.argsort(claim_node, kind="stable")
        self.claim_src = claim_src[by_node]
        self.claim_node = claim_node[by_node]
        self.claim_ptr = np.searchsorted(self.claim_node, np.arange(N + 1)).astype(np.int64)
        self.M = self.claim_src.size
        self.claims_by_node = Segments(self.claim_ptr, np.arange(self.M), self.M)
        self.single_claim = bool(self.M == N and np.array_equal(self.claim_node, np.arange(N)))
        # The first claim of each claim's node: prefix sums within a node start there.
        self.claim_first = self.claim_ptr[self.claim_node]
        self.edge_claim = self.claim_src < E  # claims on downstream edges (the rest: customers)
        self.ext_idx = np.flatnonzero(p.external)
        self.ext_01 = p.external.astype(np.int64)
        self.capped = bool((p.capacity < np.iinfo(np.int64).max).any())
        self.any_lost = bool(p.lost_sales.any())
        self.lost_01 = p.lost_sales.astype(np.int64)
        self.backlog_01 = 1 - self.lost_01
        # Orders owed by a lost-sales supplier to a downstream node are dropped, not owed.
        drop = p.lost_sales[np.maximum(p.supplier, 0)] & ~p.external
        self.any_drop = bool(drop.any())
        self.keep_owed_01 = 1 - drop.astype(np.int64)
        self.any_pipeline_cost = bool((p.pipeline_holding_cost > 0).any())
        self.any_order_cost = bool((p.unit_cost > 0).any() or (p.fixed_cost > 0).any())
        self.any_fixed_cost = bool((p.fixed_cost > 0).any())
        # Order delays: edges whose orders wait, and the slot where a new order goes.
        self.delayed = np.flatnonzero(p.order_delay > 0)
        self.delay_slot = p.order_delay[self.delayed] - 1
        self.no_delay = p.order_delay == 0
        # Shipments: the flat slot of each edge's new shipment in an [E, L] pipe (fixed lead
        # times); every edge's last slot must be cleared after the shift unless every new
        # shipment lands there.
        L = p.max_lead_time
        self.ship_slot = np.arange(E) * L + p.lead_time - 1
        self.random_lead = bool(p.random_lead_time.any())
        self.clear_last = self.random_lead or bool((p.lead_time < L).any())
        self._cache: dict = {}

    def rows(self, name: str, values: np.ndarray, B: int) -> np.ndarray:
        """``values`` ``[W]`` tiled to ``[B, W]`` (cached, read-only): operands of the same
        shape are cheaper for numpy than a broadcast row, at every batch size."""
        key = (name, B)
        row = self._cache.get(key)
        if row is None:
            row = np.tile(values, (B, 1))
            row.flags.writeable = False
            self._cache[key] = row
        return row

    def zeros(self, B: int, width: int, dtype: type) -> np.ndarray:
        """A shared read-only ``[B, width]`` array of zeros (cached)."""
        key = ("zeros", B, width, dtype)
        z = self._cache.get(key)
        if z is None:
            z = np.zeros((B, width), dtype)
            z.flags.writeable = False
            self._cache[key] = z
        return z

    def flat_slots(self, B: int, L: int) -> np.ndarray:
        """``[B * E]`` flat indices into a C-ordered ``[B, E, L]`` pipe of each edge's new
        shipment slot (fixed lead times; cached)."""
        key = ("flat_slots", B)
        idx = self._cache.get(key)
        if idx is None:
            idx = (np.arange(B)[:, None] * (self.E * L) + self.ship_slot).reshape(-1)
            self._cache[key] = idx
        return idx


def plan_of(spec: SupplyChain) -> Plan:
    """The spec's plan, built on first use and kept on the spec (never pickled or copied:
    ``SupplyChain.__getstate__`` leaves it out)."""
    plan = spec.__dict__.get("_engine_plan")
    if plan is None:
        priorities = np.array([e.priority for e in spec.edges], np.int64)
        plan = Plan(spec.params, priorities)
        object.__setattr__(spec, "_engine_plan", plan)
    return plan
