"""Conservation of units over random configurations and random actions (hypothesis).

Units that entered from outside suppliers (plus those present at reset) equal units on hand +
in transit + delivered to customers + lost in transit; and no stock, backlog or pipeline is ever
negative.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_zoo import Constant, Poisson, Uniform, serial_v0
from inventory_zoo.core.engine import conservation_gap


@st.composite
def serial_configs(draw):
    n = draw(st.integers(1, 4))
    lead = draw(
        st.lists(
            st.one_of(st.integers(1, 4), st.just({1: 0.3, 2: 0.3, 4: 0.4})), min_size=n, max_size=n
        )
    )
    return dict(
        num_stages=n,
        lead_times=lead,
        order_delays=draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)),
        demand=draw(st.sampled_from([Poisson(4), Uniform(0, 9), Constant(3)])),
        lost_sales=draw(st.booleans()),
        shipping_loss=draw(st.sampled_from([0.0, 0.2])),
        initial_inventory=draw(st.lists(st.integers(0, 15), min_size=n, max_size=n)),
        initial_pipeline=draw(st.integers(0, 5)),
        max_order=draw(st.integers(1, 12)),
        max_cycles=30,
    )


@settings(max_examples=60, deadline=None)
@given(cfg=serial_configs(), seed=st.integers(0, 2**31 - 1))
def test_units_are_conserved(cfg, seed):
    env = serial_v0.parallel_env(**cfg)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    s = env.engine_state
    assert conservation_gap(s)[0] == 0
    while env.agents:
        env.step({a: int(rng.integers(0, env.max_order + 1)) for a in env.agents})
        s = env.engine_state
        assert conservation_gap(s)[0] == 0
        for name in ("on_hand", "backlog", "owed", "pipe", "opipe"):
            assert np.all(getattr(s, name) >= 0), name
        out = env.batch.last
        assert np.all(out.filled <= out.demand)
        assert np.all(out.cost >= 0)
    # Units delivered never exceed the demand that arrived.
    assert s.delivered[0] <= env.batch.scenario.demand[0, : env.max_cycles].sum()


@settings(max_examples=15, deadline=None)
@given(cfg=serial_configs(), seed=st.integers(0, 2**31 - 1))
def test_units_are_conserved_batched(cfg, seed):
    from inventory_zoo.envs.vector import VectorEnv

    venv = VectorEnv(serial_v0.parallel_env(**cfg), 16, auto_reset=False, seeding="batched")
    venv.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(venv.max_cycles):
        venv.step(rng.integers(0, venv.max_order + 1, size=(16, venv.num_agents)))
        assert np.all(conservation_gap(venv.engine_state) == 0)
