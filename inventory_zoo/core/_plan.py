"""Index arrays the engine derives from a spec once, and the caches it keeps (private).

Everything here is a function of the spec alone, built in time linear in nodes plus edges and
cached on the spec object (never on a state, so copies of a state cannot go stale). Nothing
outside ``inventory_zoo.core`` reads it: the layers above call the named functions of
:mod:`inventory_zoo.core.quantities`.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import numpy as np

from inventory_zoo.core.params import EngineParams

if TYPE_CHECKING:
    from inventory_zoo.core.spec import SupplyChain


#: Largest ``columns x groups`` for which :class:`Segments` sums integers by a dense product.
DENSE_ENTRIES = 1024


class Segments:
    """Sums of column groups: ``out[:, g] = x[:, index[ptr[g]:ptr[g + 1]]].sum(1)`` for
    ``x`` ``[B, M]`` and ``G`` groups (0 for an empty group), in index order.

    The sums run in one pass over the columns (``np.add.reduceat``), so the cost is linear in
    ``M + G``. When no group has more than two columns (chains, and networks where a node has
    at most two suppliers or customers) they are one or two gathers and an add (times 0/1
    masks where groups are smaller), and nothing at all when group ``g`` is column ``g``. A
    sum of at most two terms rounds once, in any order, so float sums keep the bits of
    ``reduceat``.
    """

    def __init__(self, ptr: np.ndarray, index: np.ndarray, width: int) -> None:
        sizes = np.diff(ptr)
        self.groups = G = len(sizes)
        self.nonempty = np.flatnonzero(sizes > 0)
        self.all_nonempty = self.nonempty.size == G
        largest = int(sizes.max(initial=0))
        self.identity = largest == 1 and self.all_nonempty and G == width and np.array_equal(index, np.arange(G))
        self.first = self.second = None
        if largest <= 2:
            # Group g's first and second columns (any column where it has fewer, masked out).
            self.first = np.zeros(G, np.int64)
            self.first[self.nonempty] = index[ptr[self.nonempty]]
            self.mask = None if self.all_nonempty else (sizes > 0).astype(np.int64)
            self.mask2 = None
            if largest == 2:
                pairs = np.flatnonzero(sizes == 2)
                self.second = np.zeros(G, np.int64)
                self.second[pairs] = index[ptr[pairs] + 1]
                self.mask2 = None if pairs.size == G else (sizes == 2).astype(np.int64)
            self._tiled_masks: dict[int, tuple] = {}
            return
        self.gather = None if np.array_equal(index, np.arange(width)) else index.astype(np.int64)
        self.starts = ptr[self.nonempty].astype(np.int64)
        # Small networks: integer sums as one product with a 0/1 matrix in float64 (exact:
        # every count is below MAX_UNITS = 2**53), 2-3x faster than reduceat over short
        # segments at large batches. Bounded in size, so the cost stays linear.
        self.dense = None
        cols = width if self.gather is None else index.size
        if cols * G <= DENSE_ENTRIES:
            dense = np.zeros((cols, G))
            where = index if self.gather is None else np.arange(index.size)
            dense[where, np.repeat(np.arange(G), sizes)] = 1.0
            self.dense = dense

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``[B, G]`` group sums of ``x`` ``[B, M]`` (same dtype)."""
        if self.identity:
            return x
        if self.first is not None:
            mask, mask2 = self._masks(x.shape[0])
            out = x.take(self.first, 1)
            if mask is not None:
                out *= mask
            if self.second is not None:
                two = x.take(self.second, 1)
                if mask2 is not None:
                    two *= mask2
                out += two
            return out
        cols = x if self.gather is None else x.take(self.gather, 1)
        if self.dense is not None and x.dtype == np.int64:
            return np.matmul(cols.astype(np.float64), self.dense).astype(np.int64)
        sums = np.add.reduceat(cols, self.starts, axis=1)
        if self.all_nonempty:
            return sums
        out = np.zeros((x.shape[0], self.groups), x.dtype)
        out[:, self.nonempty] = sums
        return out

    def _masks(self, B: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The 0/1 masks tiled to ``[B, G]`` (built once per batch size): a broadcast row
        costs numpy an inner loop per member, 5x the time of operands of the same shape."""
        masks = self._tiled_masks.get(B)
        if masks is None:
            masks = self._tiled_masks[B] = tuple(None if m is None else _tiled(m, B) for m in (self.mask, self.mask2))
        return masks


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
        # Small networks: what the claims before each one at the same node add up to, as one
        # product with a 0/1 matrix (exact, as in Segments), instead of prefix sums.
        self.before_dense = None
        if self.M * self.M <= DENSE_ENTRIES:
            m = np.arange(self.M)
            same = (self.claim_node[:, None] == self.claim_node[None, :]) & (m[:, None] < m[None, :])
            self.before_dense = same.astype(np.float64)
        # Gathers and scatters between claims and edges or nodes, as takes (no concatenation):
        # a claim's edge (0 for a customers' claim), whether it is a customers' claim, each
        # internal edge's claim, and each demand node's customers' claim (0 elsewhere).
        self.demand_claim = self.claim_src >= E
        self.claim_edge = np.where(self.demand_claim, 0, self.claim_src)
        self.claim_node_identity = bool(np.array_equal(self.claim_node, np.arange(N)))
        claim_of = np.zeros(E + N, np.int64)
        claim_of[self.claim_src] = np.arange(self.M)
        self.claim_of_edge = claim_of[:E]
        self.demand_claim_of_node = claim_of[E:]
        self.demand_01 = p.has_demand.astype(np.int64)
        # Sums over the outside suppliers' edges and the demand nodes: a column when there is
        # one (a view), else a product with a 0/1 vector.
        self.ext_01 = p.external.astype(np.int64)
        self.ext_sum = _sum_of(self.ext_01)
        self.demand_sum = _sum_of(p.has_demand.astype(np.int64))
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
        self.params = p
        self._batches: dict[int, BatchRows] = {}

    def batch(self, B: int) -> BatchRows:
        """The rows of this spec tiled to a batch of ``B`` (built once per batch size)."""
        rows = self._batches.get(B)
        if rows is None:
            rows = self._batches[B] = BatchRows(self, B)
        return rows


class BatchRows:
    """Per-node and per-edge rows tiled to ``[B, ...]``, read-only, and shared zero arrays.

    Operands of the same shape are cheaper for numpy than a broadcast row, at every batch
    size; building them once per batch size keeps them off the per-period path.
    """

    def __init__(self, plan: Plan, B: int) -> None:
        p = plan.params
        self.holding = _tiled(p.holding_cost, B)
        self.backorder = _tiled(p.backorder_cost, B)
        self.capacity = _tiled(p.capacity, B)
        self.unit_cost = _tiled(p.unit_cost, B)
        self.fixed_cost = _tiled(p.fixed_cost, B)
        self.lost_01 = _tiled(plan.lost_01, B)
        self.backlog_01 = _tiled(plan.backlog_01, B)
        self.keep_owed_01 = _tiled(plan.keep_owed_01, B)
        self.external = _tiled(p.external, B)
        self.demand_claim = _tiled(plan.demand_claim, B)
        self.demand_01 = _tiled(plan.demand_01, B)
        self.int_zeros = _tiled(np.zeros(plan.N, np.int64), B)
        self.float_zeros = _tiled(np.zeros(plan.N, np.float64), B)
        L = p.max_lead_time
        # The flat index into a C-ordered [B, E, L] pipe of each edge's new shipment slot
        # (fixed lead times), and of each edge's slot 0 (random ones add their lead time).
        self.ship_slots = (np.arange(B)[:, None] * (plan.E * L) + plan.ship_slot).reshape(-1)
        self.slot_base = (np.arange(B)[:, None] * (plan.E * L) + np.arange(plan.E) * L - 1)


def _sum_of(ones: np.ndarray):
    """``f(x) = x @ ones`` for ``x`` ``[B, W]`` and a 0/1 vector ``ones`` ``[W]``."""
    cols = np.flatnonzero(ones)
    if cols.size == 1:
        return operator.itemgetter((slice(None), int(cols[0])))
    return ones.__rmatmul__


def _tiled(row: np.ndarray, B: int) -> np.ndarray:
    out = np.tile(row, (B, 1))
    out.flags.writeable = False
    return out


def plan_of(spec: SupplyChain) -> Plan:
    """The spec's plan, built on first use and kept on the spec (never pickled or copied:
    ``SupplyChain.__getstate__`` leaves it out)."""
    try:
        return spec._engine_plan
    except AttributeError:
        priorities = np.array([e.priority for e in spec.edges], np.int64)
        plan = Plan(spec.params, priorities)
        object.__setattr__(spec, "_engine_plan", plan)
        return plan
