"""Network generators: large, valid supply networks without writing the nodes by hand.

Each generator returns a :class:`~inventory_zoo.core.spec.SupplyChain`, usable as
``network_v0.parallel_env(network=...)`` and writable to the file format with
:func:`inventory_zoo.network_v0.save_network` (and read back identically). Generators that
draw anything take a ``seed`` and give the same network for the same arguments.

Initial stock follows one rule everywhere: each node starts with its mean demand per period
(its own customers' plus what its downstream nodes pass up, split evenly over a node's
suppliers) times its longest inbound lead time plus one, rounded; every pipeline slot starts
with the mean flow on its edge. That is roughly a base-stock level, so episodes start near a
steady state instead of with a long ramp-up.

    from inventory_zoo import networks, network_v0
    net = networks.distribution(warehouses=20, stores_per_warehouse=50, seed=0)  # 1,021 nodes
    env = network_v0.parallel_env(network=net, max_order=40)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inventory_zoo.core.demand import Poisson
from inventory_zoo.core.spec import Edge, Node, SupplyChain
from inventory_zoo.core.validation import check_int, check_real

__all__ = ["distribution", "serial", "random_dag"]


def _three(name: str, value: float | Sequence[float], check=check_real, low: float = 0.0) -> list:
    """A per-echelon value: one number for all three echelons, or three (top to bottom)."""
    vals = [value] * 3 if np.isscalar(value) else list(value)
    if len(vals) != 3:
        raise ValueError(f"{name} must be one number or three (factory, warehouses, stores), got {value!r}")
    return [check(f"{name}[{i}]", v, low=low) for i, v in enumerate(vals)]


def _means(
    names: list[str], own: dict[str, float], suppliers: dict[str, list[str]], order: list[str]
) -> dict[str, float]:
    """Mean demand per period at each node: its own plus its customers' orders, each customer's
    split evenly over its suppliers. ``order`` lists customers before their suppliers."""
    flow = {n: own.get(n, 0.0) for n in names}
    for n in order:
        sup = [s for s in suppliers[n] if s is not None]
        for s in sup:
            flow[s] += flow[n] / len(suppliers[n])
    return flow


def _stocked(
    names: list[str], costs: dict[str, tuple[float, float]], demand: dict[str, float],
    edges: list[tuple[str | None, str, int]], order: list[str],
) -> SupplyChain:  # fmt: skip
    """The spec with the initial-stock rule of the module doc."""
    suppliers: dict[str, list[str | None]] = {n: [] for n in names}
    lead: dict[str, int] = dict.fromkeys(names, 1)
    for s, c, L in edges:
        suppliers[c].append(s)
        lead[c] = max(lead[c], L)
    flow = _means(names, demand, suppliers, order)  # type: ignore[arg-type]
    nodes = tuple(
        Node(
            n,
            holding_cost=costs[n][0],
            backorder_cost=costs[n][1],
            initial_inventory=round(flow[n] * (lead[n] + 1)),
            demand=Poisson(demand[n]) if demand.get(n, 0) > 0 else None,
        )  # fmt: skip
        for n in names
    )
    out = tuple(
        Edge(s, c, lead_time=L, initial_pipeline=round(flow[c] / len(suppliers[c]))) for s, c, L in edges
    )
    return SupplyChain(nodes, out)


def distribution(
    warehouses: int = 20,
    stores_per_warehouse: int = 50,
    *,
    store_demand: float = 5.0,
    lead_times: int | Sequence[int] = (2, 2, 1),
    holding_costs: float | Sequence[float] = (0.5, 0.75, 1.0),
    backorder_costs: float | Sequence[float] = (1.0, 1.0, 4.0),
    heterogeneity: float = 0.0,
    seed: int | None = None,
) -> SupplyChain:
    """A divergent tree: one factory (supplied from outside), ``warehouses`` warehouses, each
    supplying ``stores_per_warehouse`` stores where customers buy.

    Args:
        warehouses, stores_per_warehouse: the tree's widths (>= 1 each); the network has
            ``1 + W + W * S`` nodes, named ``factory``, ``wh{i}``, ``st{i}_{j}``.
        store_demand: mean Poisson demand per store per period (units).
        lead_times: lead time (periods) into the factory, the warehouses and the stores: one
            number for all or three.
        holding_costs, backorder_costs: per unit per period, one number or three (factory,
            warehouses, stores).
        heterogeneity: ``h`` in [0, 1): each store's mean is ``store_demand * U(1 - h, 1 + h)``,
            drawn with ``seed`` (0: identical stores).
        seed: seed of the heterogeneity draw (``None``: 0).

    Returns:
        the network; the issue's benchmark tree is ``distribution(20, 50)`` (1,021 nodes).
    """
    W = check_int("warehouses", warehouses, low=1)
    S = check_int("stores_per_warehouse", stores_per_warehouse, low=1)
    check_real("store_demand", store_demand, low=0.0)
    h = check_real("heterogeneity", heterogeneity, low=0.0)
    if h >= 1:
        raise ValueError(f"heterogeneity must be in [0, 1), got {heterogeneity!r}")
    Ls = _three("lead_times", lead_times, check_int, low=1)
    hc, bc = _three("holding_costs", holding_costs), _three("backorder_costs", backorder_costs)
    rng = np.random.default_rng(0 if seed is None else seed)
    means = store_demand * rng.uniform(1 - h, 1 + h, size=W * S) if h else np.full(W * S, store_demand)
    names = ["factory"] + [f"wh{i}" for i in range(W)] + [f"st{i}_{j}" for i in range(W) for j in range(S)]
    level = [0] + [1] * W + [2] * (W * S)
    costs = {n: (hc[k], bc[k]) for n, k in zip(names, level, strict=True)}
    demand = {n: round(float(m), 6) for n, m in zip(names[1 + W :], means, strict=True)}
    edges = [(None, "factory", Ls[0])] + [("factory", f"wh{i}", Ls[1]) for i in range(W)]
    edges += [(f"wh{i}", f"st{i}_{j}", Ls[2]) for i in range(W) for j in range(S)]
    return _stocked(names, costs, demand, edges, order=names[::-1])


def serial(
    num_stages: int,
    *,
    demand: float = 5.0,
    lead_time: int = 2,
    holding_cost: float = 1.0,
    backorder_cost: float = 10.0,
) -> SupplyChain:
    """A serial chain ``stage_0`` (the retailer, where customers buy Poisson(``demand``)) <-
    ``stage_1`` <- ... <- ``stage_{n-1}`` <- outside supplier, every edge with ``lead_time``.

    For the literature's chains with their exact settings use ``serial_v0`` and its presets;
    this builds long chains for scaling studies as a general network.
    """
    n = check_int("num_stages", num_stages, low=1)
    check_real("demand", demand, low=0.0)
    L = check_int("lead_time", lead_time, low=1)
    names = [f"stage_{i}" for i in range(n)]
    costs = dict.fromkeys(names, (check_real("holding_cost", holding_cost, low=0.0),
                                  check_real("backorder_cost", backorder_cost, low=0.0)))  # fmt: skip
    edges = [(names[i + 1] if i + 1 < n else None, names[i], L) for i in range(n)]
    return _stocked(names, costs, {"stage_0": demand}, edges, order=names)


def random_dag(
    num_nodes: int,
    layers: int = 4,
    *,
    multi_sourcing: float = 0.3,
    demand: float = 5.0,
    max_lead_time: int = 3,
    seed: int | None = None,
) -> SupplyChain:
    """A random layered network that is always valid: acyclic, every node supplied, every
    node with a path to customer demand.

    Nodes are spread over ``layers`` layers (at least one each, top first); the top layer
    orders from outside suppliers; every other node gets one supplier in the layer above and,
    with probability ``multi_sourcing``, a second one in any higher layer; a node left without
    a customer gets one in the layer below; customers buy Poisson(``demand``) at the bottom
    layer. Lead times are uniform on ``1..max_lead_time``; costs rise downstream (holding
    0.5 + 0.5 * layer / layers, backorder 4x that at the bottom, 1x elsewhere).

    Args:
        num_nodes: nodes (>= ``layers``), named ``n{layer}_{i}``.
        layers: layers (>= 1).
        multi_sourcing: probability in [0, 1] that a node gets a second supplier.
        demand: mean Poisson demand per bottom-layer node per period.
        max_lead_time: the longest lead time (>= 1).
        seed: the draw's seed (``None``: 0); the same arguments give the same network.
    """
    N = check_int("num_nodes", num_nodes, low=1)
    K = check_int("layers", layers, low=1)
    if N < K:
        raise ValueError(f"num_nodes must be >= layers ({K}), got {N}")
    p = check_real("multi_sourcing", multi_sourcing, low=0.0, high=1.0)
    check_real("demand", demand, low=0.0)
    Lmax = check_int("max_lead_time", max_lead_time, low=1)
    rng = np.random.default_rng(0 if seed is None else seed)
    # Layer sizes: one node each, the rest spread at random (more nodes downstream on average).
    extra = rng.multinomial(N - K, np.arange(1, K + 1) / (K * (K + 1) / 2)) if N > K else np.zeros(K, int)
    sizes = 1 + extra
    layer_nodes = [[f"n{k}_{i}" for i in range(sizes[k])] for k in range(K)]
    start = np.r_[0, np.cumsum(sizes)]
    sup_of: list[list[int]] = [[] for _ in range(N)]  # node index -> supplier node indices
    has_customer = np.zeros(N, bool)
    for k in range(1, K):
        lo, hi = start[k], start[k + 1]
        first = rng.integers(start[k - 1], start[k], size=hi - lo)
        second = rng.random(hi - lo) < p
        other = rng.integers(0, start[k], size=hi - lo)
        for j, v in enumerate(range(lo, hi)):
            sup_of[v].append(int(first[j]))
            if second[j] and other[j] != first[j]:
                sup_of[v].append(int(other[j]))
        has_customer[[s for v in range(lo, hi) for s in sup_of[v]]] = True
        # Nodes of layer k-1 left without a customer supply a random node of layer k.
        for u in np.flatnonzero(~has_customer[start[k - 1] : start[k]]) + start[k - 1]:
            sup_of[int(rng.integers(lo, hi))].append(int(u))
            has_customer[u] = True
    names = [nm for layer in layer_nodes for nm in layer]
    level = np.repeat(np.arange(K), sizes)
    hold = 0.5 + 0.5 * level / K
    costs = {
        nm: (float(hold[i]), float(hold[i] * (4.0 if level[i] == K - 1 else 1.0)))
        for i, nm in enumerate(names)
    }
    leads = rng.integers(1, Lmax + 1, size=sum(max(len(s), 1) for s in sup_of))
    edges, k = [], 0
    for v in range(N):
        for s in sup_of[v] or [None]:
            edges.append((None if s is None else names[s], names[v], int(leads[k])))
            k += 1
    demand_at = {nm: demand for nm in layer_nodes[-1]}
    return _stocked(names, costs, demand_at, edges, order=names[::-1])
