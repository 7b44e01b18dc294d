"""The batched simulator: the one place where the dynamics live.

Every array has a leading batch axis ``B``; ``N`` is the number of nodes (agents), ``E`` the
number of edges. Units are ``int64``, costs ``float64``.

One call to :func:`step` is one period, in this order (see ``docs/concepts.md``):

1. **Orders**: each edge's order is placed; after its order delay it reaches the supplier
   (with no delay, the supplier ships against it this period).
2. **Arrivals**: shipments due this period are received into on-hand stock (minus any random
   shipping loss).
3. **Shipping**: every node ships what it can of what it owes: its customers' backlog plus the
   demand revealed at the end of the last period, and for each downstream edge the backlog
   plus the orders that reached it, split by the allocation rule. A shipment sent in period
   ``t`` arrives in period ``t + L``. At a lost-sales node what cannot be shipped is lost.
4. **Costs**: holding on end-of-period on-hand stock, in-transit holding, backlog (or lost
   sales) penalties, per-unit and fixed ordering costs.
5. **Demand**: the next period's customer demand is revealed (served in the next step).

All randomness of an episode (demand paths, random lead times, shipping losses) is drawn at
reset into a :class:`Scenario`, one member at a time from that member's own generator, so that
member ``b`` of a batch replays exactly the episode of a single env seeded like it, and so that
demand never depends on the actions (common random numbers).

:func:`step` mutates the :class:`State` in place (allocating new arrays every period would cost
more than the dynamics) and returns a :class:`StepOut` of per-period flows and costs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from inventory_zoo.core.spec import SupplyChain
from inventory_zoo.core.validation import MAX_QUANTITY

__all__ = ["State", "Scenario", "StepOut", "draw_scenario", "reset", "step", "check_orders"]

#: Up to this many batch members, numpy's per-call overhead dominates and some calls are
#: cheaper in one form (``x.take(idx, 1)``), beyond it in another (``x[:, idx]``).
SMALL_BATCH = 64


@dataclass
class State:
    """The state of ``B`` supply chains at the start of a period (after demand is revealed).

    Attributes:
        t: periods elapsed since reset (the same for the whole batch).
        on_hand: ``[B, N]`` units on hand.
        backlog: ``[B, N]`` customer demand owed by each node to its outside customers.
        owed: ``[B, E]`` units the supplier of each edge owes the customer (orders it has
            received and not yet shipped).
        pipe: ``[B, E, L_max]`` units in transit; slot ``k`` arrives ``k + 1`` periods from now.
        opipe: ``[B, E, D_max]`` orders on their way to the supplier; slot ``k`` reaches it
            ``k + 1`` periods from now.
        demand: ``[B, N]`` customer demand revealed at each node, to be served next period.
        last_demand: ``[B, N]`` customer demand served last period (0 at reset).
        received: ``[B, E]`` orders that reached each supplier last period.
        ordered: ``[B, E]`` orders placed last period.
        external_in: ``[B]`` cumulative units shipped in from outside suppliers.
        delivered: ``[B]`` cumulative units delivered to outside customers.
        transit_lost: ``[B]`` cumulative units lost in transit (random shipping loss).
        initial_units: ``[B]`` units in the system at reset (on hand plus in transit).
    """

    t: int
    on_hand: np.ndarray
    backlog: np.ndarray
    owed: np.ndarray
    pipe: np.ndarray
    opipe: np.ndarray
    demand: np.ndarray
    last_demand: np.ndarray
    received: np.ndarray
    ordered: np.ndarray
    external_in: np.ndarray
    delivered: np.ndarray
    transit_lost: np.ndarray
    initial_units: np.ndarray

    def copy(self) -> State:
        """A deep copy (arrays copied)."""
        return State(
            **{f.name: (getattr(self, f.name).copy() if f.name != "t" else self.t) for f in fields(self)}
        )

    def select(self, index: int | slice | np.ndarray) -> State:
        """The sub-batch ``index`` (arrays copied)."""
        return State(
            **{
                f.name: (np.asarray(getattr(self, f.name))[index].copy() if f.name != "t" else self.t)
                for f in fields(self)
            }
        )


@dataclass
class Scenario:
    """The exogenous randomness of ``B`` episodes of ``T`` periods, drawn at reset.

    Attributes:
        demand: ``[B, T + 1, K]`` customer demand per period at each of the ``K`` demand
            nodes (in node order); period 0 is revealed at reset.
        lead: ``[B, T, E]`` lead time of the shipment sent on each edge in each period, or
            ``None`` when every lead time is fixed.
        loss: ``[B, T, E]`` the loss percent ``u`` of each arrival (it keeps ``floor(units * (1 -
            u / 100))``), or ``None``.
    """

    demand: np.ndarray
    lead: np.ndarray | None
    loss: np.ndarray | None
    #: ``[T + 1, B, N]`` the demand laid out per node (0 at nodes without customers), read-only;
    #: built by :func:`reset`, so that revealing a period's demand is one contiguous view.
    by_node: np.ndarray | None = None

    @property
    def periods(self) -> int:
        return self.demand.shape[1] - 1


@dataclass(slots=True)
class StepOut:
    """Flows and costs of one period, each ``[B, N]`` unless stated otherwise.

    Attributes:
        cost: total cost of each node this period.
        holding_cost, backlog_cost, pipeline_cost, order_cost: its parts (backlog_cost includes
            the lost-sales penalty).
        demand: customer demand due this period (revealed at the end of the last one).
        sold: units shipped to outside customers this period (backlog included).
        lost: units of demand or downstream orders lost this period (lost-sales nodes).
        arrived: units received this period.
        shipped: ``[B, E]`` units shipped on each edge.
        received: ``[B, E]`` orders that reached each supplier this period.
        old_backlog: customer backlog at the start of the period.

    Zero-valued parts a spec cannot have (lost sales without lost-sales nodes, costs with
    zero rates) are shared read-only arrays.
    """

    cost: np.ndarray
    holding_cost: np.ndarray
    backlog_cost: np.ndarray
    pipeline_cost: np.ndarray
    order_cost: np.ndarray
    demand: np.ndarray
    sold: np.ndarray
    lost: np.ndarray
    arrived: np.ndarray
    shipped: np.ndarray
    received: np.ndarray
    old_backlog: np.ndarray

    @property
    def filled(self) -> np.ndarray:
        """``[B, N]`` units of this period's customer demand shipped this period (fill rate):
        what shipped beyond the old backlog (never more than the demand, as no node ships more
        than it owes). Computed when asked: most steps never read it."""
        return self.sold - np.minimum(self.sold, self.old_backlog)


def draw_scenario(
    spec: SupplyChain,
    rngs: list[np.random.Generator] | np.random.Generator,
    periods: int,
    batch: int | None = None,
) -> Scenario:
    """Draw the randomness of a batch of episodes of ``periods`` periods.

    Args:
        spec: the supply chain.
        rngs: a list of generators, one per member: member ``b`` draws only from ``rngs[b]``
            in a fixed order (demand node by node, then random lead times edge by edge, then
            shipping losses), so it matches a batch of one seeded with the same generator.
            Or one generator for the whole batch (``batch`` members drawn in one vectorised
            call per process: much faster, but member ``b`` then depends on the others).
        periods: ``T``.
        batch: the batch size when ``rngs`` is one generator.
    """
    a = spec.arrays
    E = spec.num_edges
    demand_nodes = [n.demand for n in spec.nodes if n.demand is not None]
    rand_edges = np.flatnonzero(a["random_lt"])
    if isinstance(rngs, np.random.Generator):
        groups = [(slice(None), rngs, int(batch))]
        B = int(batch)
    else:
        groups = [(b, rng, 1) for b, rng in enumerate(rngs)]
        B = len(rngs)
    demand = np.zeros((B, periods + 1, len(demand_nodes)), np.int64)
    lead = np.empty((B, periods, E), np.int64) if rand_edges.size else None
    if lead is not None:
        lead[:] = a["L_fixed"]
    loss = np.empty((B, periods, E), np.int64) if a["loss_pct"] > 0 else None
    for idx, rng, size in groups:
        for j, proc in enumerate(demand_nodes):
            path = np.asarray(proc.sample(rng, size, periods + 1))
            if path.shape != (size, periods + 1):
                raise ValueError(
                    f"{type(proc).__name__}.sample returned shape {path.shape}, "
                    f"expected {(size, periods + 1)}"
                )
            demand[idx, :, j] = path if size > 1 else path[0]
        for k in rand_edges:
            lt = spec.edges[k].lead_time.sample(rng, (size, periods))
            lead[idx, :, k] = lt if size > 1 else lt[0]
        if loss is not None:
            draws = rng.integers(0, a["loss_pct"], size=(size, periods, E), endpoint=True)
            loss[idx] = draws if size > 1 else draws[0]
    if np.any(demand < 0):
        raise ValueError("a demand process produced negative demand")
    if demand.size and demand.max() > MAX_QUANTITY:
        raise ValueError(
            f"a demand process produced {int(demand.max()):,} units in one period; the most allowed is "
            f"MAX_QUANTITY = {MAX_QUANTITY:,}"
        )
    return Scenario(demand, lead, loss)


def _demand_by_node(spec: SupplyChain, scenario: Scenario) -> np.ndarray:
    """``[T + 1, B, N]`` read-only: ``scenario.demand`` laid out per node, period first."""
    a = spec.arrays
    B, T1, _ = scenario.demand.shape
    d = np.zeros((T1, B, a["N"]), np.int64)
    for j, n in enumerate(a["demand_list"]):
        d[..., n] = scenario.demand[..., j].T
    d.flags.writeable = False
    return d


def reset(spec: SupplyChain, scenario: Scenario) -> State:
    """The state at the start of period 1 for every member of ``scenario``."""
    a = spec.arrays
    B = scenario.demand.shape[0]
    N, E = spec.num_nodes, spec.num_edges
    if scenario.by_node is None:
        scenario.by_node = _demand_by_node(spec, scenario)
    pipe = np.empty((B, E, a["L_max"]), np.int64)
    pipe[...] = a["init_pipe"]
    opipe = np.empty((B, E, a["D_max"]), np.int64)
    opipe[...] = a["init_opipe"]
    on_hand = np.empty((B, N), np.int64)
    on_hand[...] = a["init_inv"]
    return State(
        t=0,
        on_hand=on_hand,
        backlog=np.zeros((B, N), np.int64),
        owed=np.zeros((B, E), np.int64),
        pipe=pipe,
        opipe=opipe,
        demand=scenario.by_node[0],
        last_demand=np.zeros((B, N), np.int64),
        received=np.zeros((B, E), np.int64),
        ordered=np.zeros((B, E), np.int64),
        external_in=np.zeros(B, np.int64),
        delivered=np.zeros(B, np.int64),
        transit_lost=np.zeros(B, np.int64),
        initial_units=on_hand.sum(1) + pipe.sum((1, 2)),
    )


def check_orders(spec: SupplyChain, orders: np.ndarray, max_order: np.ndarray | int | None) -> np.ndarray:
    """Validate a ``[B, E]`` array of order quantities and return it as ``int64``.

    Raises:
        ValueError: wrong shape, non-integer values, negative or above ``max_order``.
    """
    o = np.asarray(orders)
    if o.ndim != 2 or o.shape[1] != spec.num_edges:
        raise ValueError(f"orders must have shape [batch, {spec.num_edges}], got {o.shape}")
    if o.dtype.kind not in "iu":
        if o.dtype.kind == "f" and np.all(np.isfinite(o)) and np.all(o == np.round(o)):
            o = o.astype(np.int64)
        else:
            raise ValueError(f"orders must be integers, got dtype {o.dtype}")
    if o.size and o.min() < 0:
        raise ValueError(f"orders must be >= 0, got {int(o.min())}")
    if max_order is not None and o.size and np.any(o > max_order):
        raise ValueError(f"orders must be <= max_order ({max_order}), got {int(o.max())}")
    return o.astype(np.int64, copy=False)


def _allocate(
    claims: list[np.ndarray], avail: np.ndarray, proportional: bool
) -> tuple[list[np.ndarray], np.ndarray]:
    """Split ``avail`` ``[B, N]`` units over ``C`` claim columns ``[B, N]`` in priority order.

    Priority: each claim takes what it can of what is left. Proportional: when a node is
    short, each claim first gets its share rounded down, and the units left by the rounding go
    by priority. The claims are separate columns rather than one ``[B, N, C]`` array because a
    cumulative sum along a short last axis runs one tiny loop per member and node. Returns the
    allocations (one ``[B, N]`` column per claim) and the stock left ``[B, N]``.
    """
    left = avail
    if proportional:
        total = claims[0]
        for c in claims[1:]:
            total = total + c
        short = total > avail
        safe = np.where(short, total, 1)
        base = [np.where(short, c * avail // safe, c) for c in claims]
        for b in base:
            left = left - b
        claims = [c - b for c, b in zip(claims, base, strict=True)]
    alloc = []
    for c in claims:
        x = np.minimum(c, left)
        left = left - x
        alloc.append(x)
    if proportional:
        alloc = [x + b for x, b in zip(alloc, base, strict=True)]
    return alloc, left


def _cols(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``x[:, idx]`` (a new C-contiguous array), by the cheaper of two equivalent calls."""
    return x.take(idx, 1) if x.shape[0] <= SMALL_BATCH else x[:, idx]


def _rows(a: dict, name: str, B: int) -> np.ndarray:
    """``a[name]``, a per-node or per-edge row, tiled to ``[B, ...]`` (cached, read-only).

    Operands of the same shape are cheaper for numpy than a broadcast row: much cheaper for a
    large batch (a broadcast runs one short inner loop per member), and still measurably so
    for a batch of one.
    """
    cache = a["tiled"]
    key = (name, B)
    row = cache.get(key)
    if row is None:
        row = np.tile(a[name], (B, 1))
        row.flags.writeable = False
        cache[key] = row
    return row


def _zeros(
    a: dict, B: int, shape: tuple[int, ...] = (), dtype: type = np.float64, width: int | None = None
) -> np.ndarray:
    """A shared read-only ``[B, width, *shape]`` array of zeros (``width``: ``N`` by default;
    cached)."""
    cache = a["tiled"]
    key = ("zeros", B, shape, dtype, width)
    z = cache.get(key)
    if z is None:
        z = np.zeros((B, a["N"] if width is None else width) + shape, dtype)
        z.flags.writeable = False
        cache[key] = z
    return z


def _flat_slots(a: dict, B: int) -> np.ndarray:
    """``[B * E]`` flat indices into a C-ordered ``[B, E, L_max]`` pipe of the slot where each
    edge's shipment goes (fixed lead times; cached)."""
    cache = a["tiled"]
    key = ("flat_slots", B)
    idx = cache.get(key)
    if idx is None:
        E, L = a["E"], a["L_max"]
        idx = (np.arange(B)[:, None] * (E * L) + a["L_flat"]).reshape(-1)
        cache[key] = idx
    return idx


def incidence(x: np.ndarray, a: dict, name: str) -> np.ndarray:
    """``x @ a[name]`` for ``[B, E]`` counts and an ``[E, N]`` 0/1 incidence matrix.

    numpy multiplies integer matrices with its own loops; beyond a small batch, a float64
    product through BLAS is several times faster and exact (counts far below 2**53).
    """
    if x.shape[0] <= SMALL_BATCH:
        return x @ a[name]
    key = (name, "float")
    m = a["tiled"].get(key)
    if m is None:
        m = a["tiled"][key] = a[name].astype(np.float64)
    return (x.astype(np.float64) @ m).astype(np.int64)


def _sum_cols(x: np.ndarray, k: int | np.ndarray, ones: np.ndarray) -> np.ndarray:
    """``[B]`` the sum of the columns ``k`` (an int: that one column) of ``x`` ``[B, M]``;
    ``ones`` is the same columns as a 0/1 vector ``[M]``.

    A small batch takes a product with the 0/1 vector (one call); a large one gathers the
    columns and reduces them, which beats numpy's integer matrix loops.
    """
    if type(k) is int:
        return x[..., k]
    if x.shape[0] <= SMALL_BATCH:
        return x @ ones
    return np.add.reduce(x[:, k], 1)


def _advance(buf: np.ndarray) -> None:
    """Shift ``buf`` one slot toward slot 0 along its last axis, in place.

    The last slot keeps a stale value: the caller overwrites it.
    """
    if buf.shape[-1] > 1:
        if buf.flags.c_contiguous:
            flat = buf.reshape(-1)  # a view: one long overlapping copy, not one per row
            flat[:-1] = flat[1:]
        else:
            buf[..., :-1] = buf[..., 1:]


def _by_node(a: dict, edge_vals: np.ndarray, node_vals: np.ndarray) -> np.ndarray:
    """``[B, N]``: each node's one claim (``C == 1``): its customers' entry of ``node_vals``
    at a node with customer demand, else the entry of ``edge_vals`` of its outbound edge."""
    x = _cols(edge_vals, a["out0"])
    for n in a["demand_list"]:  # (cheaper than np.where for the few demand nodes)
        x[..., n] = node_vals[..., n]
    return x


def step(spec: SupplyChain, s: State, orders: np.ndarray, scenario: Scenario) -> StepOut:
    """Advance every member one period (in place) given ``orders`` ``[B, E]`` (int64, valid).

    Call :func:`check_orders` first on untrusted input: this function trusts its arguments.
    Terms that a spec does not use (delays, losses, capacities, lost sales, zero cost rates)
    are skipped, which is what makes a batch of one fast.
    """
    a = spec.arrays
    t = s.t
    if t >= scenario.periods:
        raise RuntimeError(f"the scenario holds {scenario.periods} periods; reset before stepping on")
    B = orders.shape[0]
    E, N = a["E"], a["N"]
    serial = a["serial_like"]

    # 1. Orders reach suppliers after their delay.
    if a["D_max"] > 0:
        opipe = s.opipe
        incoming = np.where(a["no_delay"], orders, opipe[:, :, 0])
        _advance(opipe)
        opipe[:, :, -1] = 0
        opipe[:, a["delayed"], a["delay_slot"]] = orders[:, a["delayed"]]
    else:
        incoming = orders

    # 2. Arrivals.
    pipe = s.pipe
    # A flat view of the pipe, made anew every period: a view cached across periods would be
    # turned into an independent array by copy.deepcopy or pickle.
    pipe_flat = pipe.reshape(-1) if pipe.flags.c_contiguous else None
    arrived_e = pipe.take(0, 2)
    if a["L_max"] > 1:
        if pipe_flat is not None:
            # One long overlapping copy over the flat pipe, not one per row. (Each edge's last
            # slot is then stale: overwritten below.)
            pipe_flat[:-1] = pipe_flat[1:]
        else:
            pipe[..., :-1] = pipe[..., 1:]
    uniform = a["L_uniform"]
    if not uniform:
        pipe[..., -1] = 0
    if scenario.loss is not None:
        # Liu et al.'s rounding: the kept part rounds down (float64, as their code computes it).
        kept = np.floor(arrived_e * (1.0 - scenario.loss[:, t] / 100)).astype(np.int64)
        lost_transit = arrived_e - kept
        arrived_e = kept
        s.transit_lost += np.add.reduce(lost_transit, 1)
    arrived = arrived_e if serial else incidence(arrived_e, a, "cin")
    s.on_hand += arrived

    # 3. Shipping: each node fills what it owes (its customers' backlog plus the demand revealed
    # last period, and on each outbound edge the backlog plus the orders that reached it) from
    # its stock, by the allocation rule; outside suppliers ship everything.
    due = s.owed + incoming
    claim_e = np.minimum(due, _rows(a, "cap", B)) if a["capped"] else due
    market = s.backlog + s.demand
    if a["C"] == 1:
        # One claim per node: it ships the least of the claim and its stock.
        want = _by_node(a, claim_e, market)
        alloc = np.minimum(want, s.on_hand)
        s.on_hand -= alloc
        shipped_e = _cols(alloc, a["sup0"])
        for k in a["ext_list"]:  # outside suppliers ship all they are asked for
            shipped_e[..., k] = claim_e[..., k]
        sold = alloc * _rows(a, "demand_01", B)
    else:
        # Claims in priority order, column k of every node gathered from [edges | customers | 0].
        flat = np.concatenate([claim_e, market, _zeros(a, B, (), np.int64, 1)], axis=1)
        cols = [_cols(flat, k) for k in a["claim_cols"]]
        alloc_cols, s.on_hand = _allocate(cols, s.on_hand, spec.allocation == "proportional")
        flat_ship = np.zeros(flat.shape, np.int64)
        for x, (nodes, dest) in zip(alloc_cols, a["claim_dest"], strict=True):
            flat_ship[:, dest] = _cols(x, nodes)
        shipped_e = np.where(_rows(a, "external", B), claim_e, flat_ship[:, :E])
        sold = flat_ship[:, E : E + N]
    owed = due - shipped_e
    remaining = market - sold
    # unmet: what each node has left unfilled, its customers' backlog plus what it owes
    # downstream (at a lost-sales node: what it loses).
    if a["C"] > 1:
        unmet = remaining + incidence(owed, a, "sout")
    elif a["capped"]:
        unmet = _by_node(a, owed, remaining)
    else:
        unmet = want - alloc  # the same, when every claim is all that is due
    if a["any_lost"]:
        lost = unmet * _rows(a, "lost_01", B)
        remaining = remaining * _rows(a, "backlog_01", B)
        if a["any_drop"]:
            owed = owed * _rows(a, "keep_owed_01", B)
    else:
        lost = _zeros(a, B, dtype=np.int64)
    old_backlog = s.backlog
    s.owed = owed
    s.backlog = remaining
    if scenario.lead is not None:
        pipe[a["bidx"](B), a["eidx"], scenario.lead[:, t] - 1] += shipped_e
    elif uniform:
        pipe[..., -1] = shipped_e
    elif pipe_flat is not None:
        # Fixed lead times: the slot of each edge's new shipment is empty (nothing is sent
        # further out than its lead time, and the last slot was cleared above), so one
        # flat-index assignment places them all.
        pipe_flat[_flat_slots(a, B)] = shipped_e.reshape(-1)
    else:
        pipe[:, a["eidx"], a["L_slot"]] += shipped_e
    ext = _sum_cols(shipped_e, a["ext_sum"], a["ext_01"])
    out_units = _sum_cols(sold, a["demand_sum"], a["demand_01"])
    if B <= SMALL_BATCH:
        s.external_in += ext
        s.delivered += out_units
    else:  # (x[...] = x + y: the same update as x += y, cheaper for numpy with a strided y)
        s.external_in[...] = s.external_in + ext
        s.delivered[...] = s.delivered + out_units

    # 4. Costs.
    holding = s.on_hand.astype(np.float64) * _rows(a, "h", B)
    backlog_cost = unmet.astype(np.float64) * _rows(a, "p", B)
    cost = holding + backlog_cost
    if a["any_pc"]:
        pipe_e = np.add.reduce(pipe, 2) * a["pc"]
        pipeline_cost = pipe_e if serial else pipe_e @ a["cin"]
        cost += pipeline_cost
    else:
        pipeline_cost = _zeros(a, B)
    if a["any_order_cost"]:
        basis = orders if spec.order_cost_basis == "ordered" else shipped_e
        order_e = basis * _rows(a, "c", B)
        if spec.quantity_discounts:
            tier = np.searchsorted(a["qd_min"], basis, side="right") - 1
            mult = np.where(tier >= 0, a["qd_mult"][np.maximum(tier, 0)], 1.0)
            order_e = order_e * mult
        if a["any_fixed_cost"]:
            fixed_basis = orders if a["fixed_on_orders"] else shipped_e
            order_e = order_e + _rows(a, "K", B) * (fixed_basis > 0)
        order_cost = order_e if serial else order_e @ a["cin"]
        cost += order_cost
    else:
        order_cost = _zeros(a, B)

    # Positional (in field order): measurably cheaper than keywords at this call rate.
    out = StepOut(
        cost,  # cost
        holding,  # holding_cost
        backlog_cost,  # backlog_cost
        pipeline_cost,  # pipeline_cost
        order_cost,  # order_cost
        s.demand,  # demand
        sold,  # sold
        lost,  # lost
        arrived,  # arrived
        shipped_e,  # shipped
        incoming,  # received
        old_backlog,  # old_backlog
    )

    # 5. The next period's demand is revealed.
    s.t = t + 1
    s.last_demand = s.demand
    s.demand = scenario.by_node[t + 1]
    s.received = incoming
    s.ordered = orders
    return out


def units_in_system(s: State) -> np.ndarray:
    """``[B]`` units on hand plus in transit."""
    return s.on_hand.sum(1) + s.pipe.sum((1, 2))


def conservation_gap(s: State) -> np.ndarray:
    """``[B]`` initial + shipped in - (in system + delivered + lost in transit); 0 if conserved."""
    return s.initial_units + s.external_in - (units_in_system(s) + s.delivered + s.transit_lost)
