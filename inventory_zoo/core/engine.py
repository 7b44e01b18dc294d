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

from inventory_zoo.core._plan import BatchRows, Plan, plan_of
from inventory_zoo.core.spec import SupplyChain
from inventory_zoo.core.validation import MAX_QUANTITY

__all__ = [
    "State",
    "Scenario",
    "StepOut",
    "draw_scenario",
    "reset",
    "step",
    "units_in_system",
    "conservation_gap",
]


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
    p = spec.params
    E = p.num_edges
    demand_nodes = [spec.nodes[n].demand for n in p.demand_nodes]
    rand_edges = np.flatnonzero(p.random_lead_time)
    if isinstance(rngs, np.random.Generator):
        groups = [(slice(None), rngs, int(batch))]
        B = int(batch)
    else:
        groups = [(b, rng, 1) for b, rng in enumerate(rngs)]
        B = len(rngs)
    demand = np.zeros((B, periods + 1, len(demand_nodes)), np.int64)
    lead = np.empty((B, periods, E), np.int64) if rand_edges.size else None
    if lead is not None:
        lead[:] = p.lead_time
    loss = np.empty((B, periods, E), np.int64) if p.loss_percent > 0 else None
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
            draws = rng.integers(0, p.loss_percent, size=(size, periods, E), endpoint=True)
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
    B, T1, _ = scenario.demand.shape
    d = np.zeros((T1, B, spec.num_nodes), np.int64)
    d[..., spec.params.demand_nodes] = scenario.demand.transpose(1, 0, 2)
    d.flags.writeable = False
    return d


def reset(spec: SupplyChain, scenario: Scenario) -> State:
    """The state at the start of period 1 for every member of ``scenario``."""
    p = spec.params
    B = scenario.demand.shape[0]
    N, E = p.num_nodes, p.num_edges
    if scenario.by_node is None:
        scenario.by_node = _demand_by_node(spec, scenario)
    pipe = np.empty((B, E, p.max_lead_time), np.int64)
    pipe[...] = p.initial_pipeline
    opipe = np.empty((B, E, p.max_order_delay), np.int64)
    opipe[...] = p.initial_orders
    on_hand = np.empty((B, N), np.int64)
    on_hand[...] = p.initial_inventory
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


def _floor_ratio(c: np.ndarray, a: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``floor(c * a / total)`` exactly, for counts ``0 <= c, a <= total < 2**53``.

    ``c * a`` may exceed int64, so the quotient is estimated in float64 (off by at most a
    few units) and corrected with the remainder ``c * a - q * total``, which int64
    arithmetic gets right even when the products wrap around, since the true remainder is
    small.
    """
    q = np.floor(c * (a / total)).astype(np.int64)
    with np.errstate(over="ignore"):
        r = c * a - q * total
    for _ in range(3):  # the float estimate is within +-2 of the quotient
        low, high = r < 0, r >= total
        q = q - low + high
        r = r + total * low - total * high
    return q


def _allocate(plan: Plan, claims: np.ndarray, avail: np.ndarray, proportional: bool) -> np.ndarray:
    """Split each node's stock ``avail`` ``[B, N]`` over its claims ``[B, M]`` (priority order,
    node after node); returns the allocation ``[B, M]``.

    Priority: each claim takes what it can of what its predecessors left. Proportional: a
    short node first gives each claim its share rounded down, then the units left by the
    rounding by priority. Prefix sums run over all claims at once, so the cost is linear in
    the number of claims, whatever the fan-out. (With one claim per node, the caller takes the
    minimum of claim and stock itself.)
    """
    stock = avail.take(plan.claim_node, 1)
    base = None
    if proportional:
        total = plan.claims_by_node(claims).take(plan.claim_node, 1)
        short = total > stock
        base = np.where(short, _floor_ratio(claims, stock, np.where(short, total, 1)), claims)
        stock = stock - plan.claims_by_node(base).take(plan.claim_node, 1)
        claims = claims - base
    if plan.before_dense is not None:
        before = np.matmul(claims.astype(np.float64), plan.before_dense).astype(np.int64)
    else:
        before = np.cumsum(claims, axis=1)
        before -= claims  # units claimed by all claims before this one ...
        before -= before.take(plan.claim_first, 1)  # ... of the same node
    alloc = np.minimum(claims, np.maximum(stock - before, 0))
    return alloc if base is None else alloc + base


def _ship(plan: Plan, rows: BatchRows, p, s: State, claim_e: np.ndarray, market: np.ndarray, due: np.ndarray):
    """Shipping (step 3): returns ``(shipped_e [B, E], sold [B, N], unmet [B, N])`` and takes
    the shipped units off ``s.on_hand``. ``unmet`` is what each node leaves unfilled: its
    customers' backlog plus what it owes downstream (at a lost-sales node, what it loses).

    Claims are gathered from the edges and the nodes by takes and one ``where`` (cheaper
    than joining the two arrays at every batch size).
    """
    node_claims = market if plan.claim_node_identity else market.take(plan.claim_node, 1)
    claims = np.where(rows.demand_claim, node_claims, claim_e.take(plan.claim_edge, 1))
    alloc = np.minimum(claims, s.on_hand) if plan.single_claim else _allocate(plan, claims, s.on_hand, p.proportional)
    left = claims - alloc
    if plan.capped:  # what an edge could not claim this period stays owed too
        left += np.where(rows.demand_claim, 0, (due - claim_e).take(plan.claim_edge, 1))
    s.on_hand -= plan.claims_by_node(alloc)
    unmet = plan.claims_by_node(left)
    # Outside suppliers ship all they are asked for.
    shipped_e = np.where(rows.external, claim_e, alloc.take(plan.claim_of_edge, 1))
    own = alloc if plan.claim_node_identity else alloc.take(plan.demand_claim_of_node, 1)
    return shipped_e, own * rows.demand_01, unmet


def _orders_arrive(plan: Plan, s: State, orders: np.ndarray) -> np.ndarray:
    """1. Orders reach suppliers after their delay: the orders each supplier receives now
    ``[B, E]``; the order pipe ``s.opipe`` moves one slot and takes this period's orders."""
    opipe = s.opipe
    incoming = np.where(plan.no_delay, orders, opipe[:, :, 0])
    opipe[:, :, :-1] = opipe[:, :, 1:]
    opipe[:, :, -1] = 0
    opipe[:, plan.delayed, plan.delay_slot] = orders[:, plan.delayed]
    return incoming


def _arrivals(plan: Plan, s: State, scenario: Scenario, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2. Arrivals: the first pipe slot lands on hand (less the shipping loss); returns the
    units arrived per node ``[B, N]``, the pipe and its flat view (for this period only).

    The pipe is shifted as one flat array: one long overlapping copy, not one per edge (each
    edge's last slot then holds a stale value: cleared here or overwritten by the shipment).
    The flat view is made anew every period: a view kept across periods would be turned into
    an independent array by copy.deepcopy or pickle.
    """
    if not s.pipe.flags.c_contiguous:
        s.pipe = np.ascontiguousarray(s.pipe)
    pipe = s.pipe
    pipe_flat = pipe.reshape(-1)
    arrived_e = pipe.take(0, 2)
    if pipe.shape[2] > 1:
        pipe_flat[:-1] = pipe_flat[1:]
    if plan.clear_last:
        pipe[:, :, -1] = 0
    if scenario.loss is not None:
        # Liu et al.'s rounding: the kept part rounds down (float64, as their code computes it).
        kept = np.floor(arrived_e * (1.0 - scenario.loss[:, t] / 100)).astype(np.int64)
        s.transit_lost += np.add.reduce(arrived_e - kept, 1)
        arrived_e = kept
    arrived = plan.by_customer(arrived_e)
    s.on_hand += arrived
    return arrived, pipe, pipe_flat


def step(spec: SupplyChain, s: State, orders: np.ndarray, scenario: Scenario) -> StepOut:
    """Advance every member one period (in place) given ``orders`` ``[B, E]`` (int64, valid).

    This function trusts its arguments: the envs check actions before they become orders.
    Terms that a spec does not use (delays, losses, capacities, lost sales, zero cost rates)
    are skipped, which is what makes a batch of one fast.
    """
    plan = plan_of(spec)
    p = plan.params
    t = s.t
    if t >= scenario.periods:
        raise RuntimeError(f"the scenario holds {scenario.periods} periods; reset before stepping on")
    B = orders.shape[0]
    rows = plan.batch(B)

    incoming = _orders_arrive(plan, s, orders) if p.max_order_delay > 0 else orders  # 1.
    arrived, pipe, pipe_flat = _arrivals(plan, s, scenario, t)  # 2.

    # 3. Shipping: each node fills what it owes (its customers' backlog plus the demand revealed
    # last period, and on each downstream edge the backlog plus the orders that reached it)
    # from its stock, by the allocation rule; outside suppliers ship everything.
    due = s.owed + incoming
    claim_e = np.minimum(due, rows.capacity) if plan.capped else due
    market = s.backlog + s.demand
    shipped_e, sold, unmet = _ship(plan, rows, p, s, claim_e, market, due)
    owed = due - shipped_e
    remaining = market - sold
    if plan.any_lost:
        lost = unmet * rows.lost_01
        remaining = remaining * rows.backlog_01
        if plan.any_drop:
            owed = owed * rows.keep_owed_01
    else:
        lost = rows.int_zeros
    old_backlog = s.backlog
    s.owed = owed
    s.backlog = remaining
    if scenario.lead is None:
        # Fixed lead times: each edge's new slot is empty (nothing is sent further out than
        # its lead time, and a stale last slot is cleared above or is the new slot).
        pipe_flat[rows.ship_slots] = shipped_e.reshape(-1)
    else:
        slots = (rows.slot_base + scenario.lead[:, t]).reshape(-1)
        pipe_flat[slots] += shipped_e.reshape(-1)  # (a later shipment may overtake: add)
    s.external_in += plan.ext_sum(shipped_e)
    s.delivered += plan.demand_sum(sold)

    # 4. Costs.
    holding = s.on_hand * rows.holding  # int64 * float64: exact conversions (counts < 2**53)
    backlog_cost = unmet * rows.backorder
    cost = holding + backlog_cost
    if plan.any_pipeline_cost:
        pipeline_cost = plan.by_customer(np.add.reduce(pipe, 2) * p.pipeline_holding_cost)
        cost += pipeline_cost
    else:
        pipeline_cost = rows.float_zeros
    if plan.any_order_cost:
        order_cost = plan.by_customer(_order_costs(plan, rows, p, orders, shipped_e))
        cost += order_cost
    else:
        order_cost = rows.float_zeros

    # Positional, in field order (cost, holding_cost, backlog_cost, pipeline_cost, order_cost,
    # demand, sold, lost, arrived, shipped, received, old_backlog): cheaper than keywords here.
    out = StepOut(cost, holding, backlog_cost, pipeline_cost, order_cost, s.demand, sold, lost, arrived,
                  shipped_e, incoming, old_backlog)  # fmt: skip

    # 5. The next period's demand is revealed.
    s.t = t + 1
    s.last_demand = s.demand
    s.demand = scenario.by_node[t + 1]
    s.received = incoming
    s.ordered = orders
    return out


def _order_costs(plan: Plan, rows: BatchRows, p, orders: np.ndarray, shipped_e: np.ndarray) -> np.ndarray:
    """``[B, E]`` unit (with quantity discounts) and fixed ordering costs of each edge."""
    basis = orders if p.unit_cost_on_orders else shipped_e
    order_e = basis * rows.unit_cost
    if p.discount_min_qty.size:
        tier = np.searchsorted(p.discount_min_qty, basis, side="right") - 1
        mult = np.where(tier >= 0, p.discount_multiplier[np.maximum(tier, 0)], 1.0)
        order_e = order_e * mult
    if plan.any_fixed_cost:
        fixed_basis = orders if p.fixed_cost_on_orders else shipped_e
        order_e = order_e + rows.fixed_cost * (fixed_basis > 0)
    return order_e


def units_in_system(s: State) -> np.ndarray:
    """``[B]`` units on hand plus in transit."""
    return s.on_hand.sum(1) + s.pipe.sum((1, 2))


def conservation_gap(s: State) -> np.ndarray:
    """``[B]`` initial + shipped in - (in system + delivered + lost in transit); 0 if conserved."""
    return s.initial_units + s.external_in - (units_in_system(s) + s.delivered + s.transit_lost)
