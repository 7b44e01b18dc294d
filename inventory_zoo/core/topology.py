"""Topology checks of a supply network, linear in nodes plus edges.

:func:`check_topology` is the one implementation of the network rules: unique node names,
edges between known nodes, no self-supply, no duplicate internal link, a supplier for every
node, no cycle, and a path to customer demand from every node. A broken rule raises a
:class:`TopologyError` whose attributes say which node or edges are at fault, so that a file
reader can name the entry (and line) where the fault is.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

__all__ = ["TopologyError", "check_topology"]


class TopologyError(ValueError):
    """A network that breaks a topology rule.

    Attributes:
        rule: which rule: ``"duplicate_node"``, ``"unknown_node"``, ``"self_supply"``,
            ``"duplicate_edge"``, ``"no_supplier"``, ``"cycle"``, ``"no_demand"`` or
            ``"no_path_to_demand"``.
        nodes: the names of the nodes at fault (in node order).
        edges: the indices of the edges at fault (for a cycle: its edges, in cycle order).
    """

    def __init__(self, message: str, rule: str, nodes: Sequence[str] = (), edges: Sequence[int] = ()):
        super().__init__(message)
        self.rule, self.nodes, self.edges = rule, list(nodes), list(edges)


def check_topology(
    names: Sequence[str], suppliers: Sequence[str | None], customers: Sequence[str], has_demand: Sequence[bool]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check the network rules; return its index arrays.

    Args:
        names: the node names, in node order.
        suppliers, customers: for each edge, its supplier's name (``None``: outside) and its
            customer's name.
        has_demand: for each node, whether customers buy there.

    Returns:
        ``(supplier, customer, upstream_first)``: ``[E]`` supplier index (-1 for outside),
        ``[E]`` customer index, and ``[N]`` the nodes in an order where every supplier comes
        before its customers (Kahn's order).

    Raises:
        TopologyError: the first rule broken, in the order listed in the module doc.
    """
    index: dict[str, int] = {}
    for i, nm in enumerate(names):
        if nm in index:
            raise TopologyError(f"duplicate node name {nm!r}", "duplicate_node", [nm])
        index[nm] = i
    N, E = len(names), len(suppliers)
    sup = np.full(E, -1, np.int64)
    cust = np.empty(E, np.int64)
    seen: set[tuple[int, int]] = set()
    for k, (s, c) in enumerate(zip(suppliers, customers, strict=True)):
        for role, nm in (("supplier", s), ("customer", c)):
            if nm is not None and nm not in index:
                known = list(names) if N <= 20 else list(names[:20]) + ["..."]
                raise TopologyError(
                    f"edge {s!r}->{c!r}: unknown {role} {nm!r}; nodes are {known}", "unknown_node", [], [k]
                )
        if s == c:
            raise TopologyError(f"edge {s!r}->{c!r}: a node cannot supply itself", "self_supply", [c], [k])
        cust[k] = index[c]
        if s is not None:
            sup[k] = index[s]
            # Several outside suppliers may serve one node (a fast and a slow source): only a
            # link between two nodes of the network must be unique.
            if (sup[k], cust[k]) in seen:
                raise TopologyError(f"duplicate edge {s!r}->{c!r}", "duplicate_edge", [c], [k])
            seen.add((int(sup[k]), int(cust[k])))
    supplied = np.zeros(N, bool)
    supplied[cust] = True
    if not supplied.all():
        nm = names[int(np.flatnonzero(~supplied)[0])]
        raise TopologyError(
            f"node {nm!r} has no supplier: every node needs an inbound edge", "no_supplier", [nm]
        )
    order = _kahn(sup, cust, N)
    if len(order) < N:
        cycle = _find_cycle(sup, cust, N, set(order))
        loop = " -> ".join([names[sup[cycle[0]]]] + [names[cust[k]] for k in cycle])
        raise TopologyError(
            f"the network has a cycle {loop}; it must be acyclic",
            "cycle",
            [names[cust[k]] for k in cycle],
            cycle,
        )
    demand = np.asarray(has_demand, bool)
    if not demand.any():
        raise TopologyError(
            "no node has customer demand: give at least one node a demand process", "no_demand"
        )
    # Nodes with a path to demand: every demand node, then suppliers of reached nodes, found in
    # reverse topological order (customers before their suppliers) in one pass.
    reach = demand.copy()
    internal = np.flatnonzero(sup >= 0)
    out_of = _grouped(sup[internal], internal, N)
    for n in reversed(order):
        if not reach[n]:
            reach[n] = any(reach[cust[k]] for k in out_of[n])
    if not reach.all():
        orphans = [names[i] for i in np.flatnonzero(~reach)]
        raise TopologyError(
            f"nodes {orphans} have no path to customer demand (no demand of their own and no customer that "
            "leads to some)",
            "no_path_to_demand",
            orphans,
        )
    return sup, cust, np.asarray(order, np.int64)


def _grouped(keys: np.ndarray, values: np.ndarray, n: int) -> list[np.ndarray]:
    """``values`` grouped by ``keys`` (in ``0..n-1``), each group in the order given."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    vals = values[order]
    return [vals[bounds[i] : bounds[i + 1]] for i in range(n)]


def _kahn(sup: np.ndarray, cust: np.ndarray, n: int) -> list[int]:
    """Kahn's topological order over the internal edges (suppliers first); shorter than ``n``
    when there is a cycle. Ties are taken in node order."""
    internal = np.flatnonzero(sup >= 0)
    indeg = np.bincount(cust[internal], minlength=n)
    out_of = _grouped(sup[internal], internal, n)
    queue = deque(int(i) for i in np.flatnonzero(indeg == 0))
    order = []
    while queue:
        i = queue.popleft()
        order.append(i)
        for k in out_of[i]:
            c = int(cust[k])
            indeg[c] -= 1
            if indeg[c] == 0:
                queue.append(c)
    return order


def _find_cycle(sup: np.ndarray, cust: np.ndarray, n: int, acyclic: set[int]) -> list[int]:
    """The edges of one cycle among the nodes Kahn's order could not place (iterative DFS)."""
    internal = np.flatnonzero(sup >= 0)
    out_of = _grouped(sup[internal], internal, n)
    state = np.zeros(n, np.int8)  # 0: new, 1: on the current path, 2: done
    for root in range(n):
        if root in acyclic or state[root]:
            continue
        path_edges: list[int] = []
        stack = [(root, iter(out_of[root]))]
        state[root] = 1
        while stack:
            node, edges = stack[-1]
            k = next(edges, None)
            if k is None:
                state[node] = 2
                stack.pop()
                if path_edges:
                    path_edges.pop()
                continue
            c = int(cust[k])
            if state[c] == 1:  # back to a node on the path: the cycle runs from it to here
                start = next(i for i, j in enumerate(path_edges) if sup[j] == c)
                return [int(j) for j in path_edges[start:]] + [int(k)]
            if state[c] == 0:
                state[c] = 1
                path_edges.append(int(k))
                stack.append((c, iter(out_of[c])))
    raise AssertionError("no cycle found")  # unreachable: Kahn's order left nodes out
