"""Conservation of units on random acyclic networks under random actions (hypothesis).

Random networks: 1-5 nodes listed in a random order, each ordering from a random set of nodes
upstream of it and/or from one or two outside suppliers; random lead times (fixed or random),
order delays, capacities, priorities, lost sales, allocation rule and cost basis. Units that
came in from outside (plus those present at reset) must equal units on hand + in transit +
delivered + lost in transit, and no stock, backlog or pipeline may go negative.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_zoo import Constant, Poisson, Uniform, network_v0
from inventory_zoo.core import Edge, Node
from inventory_zoo.core.engine import conservation_gap
from inventory_zoo.envs.vector import VectorEnv


@st.composite
def networks(draw):
    n = draw(st.integers(1, 5))
    names = [f"node_{i}" for i in range(n)]  # node i may supply only nodes j < i
    edges = []
    supplies = set()
    for j in range(n):
        ups = draw(st.lists(st.integers(j + 1, n - 1), unique=True, max_size=3)) if j + 1 < n else []
        outside = draw(st.integers(0 if ups else 1, 2))
        for sup in [names[i] for i in ups] + [None] * outside:
            supplies.add(sup)
            edges.append(
                Edge(
                    sup,
                    names[j],
                    lead_time=draw(st.one_of(st.integers(1, 3), st.just({1: 0.4, 3: 0.6}))),
                    order_delay=draw(st.integers(0, 2)),
                    unit_cost=draw(st.sampled_from([0.0, 0.5])),
                    fixed_cost=draw(st.sampled_from([0.0, 1.0])),
                    pipeline_holding_cost=draw(st.sampled_from([0.0, 0.1])),
                    capacity=draw(st.one_of(st.none(), st.integers(0, 6))),
                    priority=draw(st.integers(0, 2)),
                    initial_pipeline=draw(st.integers(0, 3)),
                    initial_orders=draw(st.integers(0, 2)),
                )
            )
    nodes = []
    for i, nm in enumerate(names):
        # nodes that supply nobody must face customers (a path to demand)
        has_demand = i == 0 or nm not in supplies or draw(st.booleans())
        nodes.append(
            Node(
                nm,
                holding_cost=draw(st.sampled_from([0.0, 1.0])),
                backorder_cost=draw(st.sampled_from([0.0, 2.0])),
                lost_sales=draw(st.booleans()),
                initial_inventory=draw(st.integers(0, 12)),
                demand=draw(st.sampled_from([Poisson(3), Uniform(0, 7), Constant(2)])) if has_demand else None,
            )
        )
    order = draw(st.permutations(range(n)))
    return dict(
        nodes=[nodes[i] for i in order],
        edges=draw(st.permutations(edges)),
        allocation=draw(st.sampled_from(["priority", "proportional"])),
        order_cost_basis=draw(st.sampled_from(["ordered", "shipped"])),
        shipping_loss=draw(st.sampled_from([0.0, 0.2])),
        max_order=draw(st.integers(1, 8)),
        action_type=draw(st.sampled_from(["multidiscrete", "discrete"])),
        max_cycles=25,
    )


def _check(s, out):
    assert np.all(conservation_gap(s) == 0)
    for name in ("on_hand", "backlog", "owed", "pipe", "opipe"):
        assert np.all(getattr(s, name) >= 0), name
    assert np.all(out.filled <= out.demand)
    assert np.all(out.cost >= 0)


@settings(max_examples=60, deadline=None)
@given(cfg=networks(), seed=st.integers(0, 2**31 - 1))
def test_units_are_conserved_on_random_networks(cfg, seed):
    env = network_v0.parallel_env(**cfg)
    env.reset(seed=seed)
    assert conservation_gap(env.engine_state)[0] == 0
    for a in env.possible_agents:
        env.action_space(a).seed(seed)
    while env.agents:
        env.step({a: env.action_space(a).sample() for a in env.agents})
        _check(env.engine_state, env.batch.last)
        cap = env.spec.params.capacity
        assert np.all(env.batch.last.shipped <= cap)
    s = env.engine_state
    assert s.delivered[0] <= env.batch.scenario.demand[0, : env.max_cycles].sum()


@settings(max_examples=15, deadline=None)
@given(cfg=networks(), seed=st.integers(0, 2**31 - 1))
def test_units_are_conserved_on_random_networks_batched(cfg, seed):
    venv = VectorEnv(network_v0.parallel_env(**cfg), 8, auto_reset=False, seeding="batched")
    venv.reset(seed=seed)
    rng = np.random.default_rng(seed)
    k = venv.batch.max_in
    for _ in range(venv.max_cycles):
        venv.step(rng.integers(0, venv.max_order + 1, size=(8, venv.num_agents, k)))
        _check(venv.engine_state, venv.batch.last)
