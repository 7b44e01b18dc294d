"""Demand processes: laws, shapes, seeding, traces and user-defined processes."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_zoo import Constant, DemandProcess, Merton, Normal, Poisson, Step, Trace, Uniform, serial_v0


def _draw(proc, batch=2000, periods=50, seed=0):
    return proc.sample(np.random.default_rng(seed), batch, periods)


@pytest.mark.parametrize(
    "proc", [Constant(4), Poisson(5), Normal(10, 2), Uniform(0, 8), Step(4, 8, 5), Merton(20), Trace([1, 2, 3])]
)
def test_shape_dtype_nonnegative_and_seeded(proc):
    d = _draw(proc, batch=7, periods=11)
    assert d.shape == (7, 11) and d.dtype == np.int64 and d.min() >= 0
    np.testing.assert_array_equal(d, _draw(proc, batch=7, periods=11))


@pytest.mark.parametrize("proc", [Poisson(5), Normal(10, 2), Uniform(0, 8), Constant(3)])
def test_iid_laws_match_their_pmf(proc):
    d = _draw(proc, batch=4000, periods=50).ravel()
    pmf = proc.pmf()
    assert pmf.sum() == pytest.approx(1.0)
    emp = np.bincount(d, minlength=len(pmf))[: len(pmf)] / d.size
    assert np.abs(emp - pmf).max() < 0.01
    assert d.mean() == pytest.approx(proc.mean, abs=0.05)


def test_normal_is_rounded_and_truncated():
    d = _draw(Normal(1, 3))
    assert d.min() == 0 and np.all(d == np.round(d))


def test_step_switches_in_the_given_period():
    d = _draw(Step(4, 8, 5), batch=1, periods=8)[0]
    assert d.tolist() == [4, 4, 4, 4, 8, 8, 8, 8]


def test_merton_paths_follow_the_paper():
    d = _draw(Merton(20), batch=500, periods=201)
    assert d.max() <= 20
    assert np.all(d[:, 0] == 10)  # X_0 = 0 -> base demand max/2
    means = d.mean(1)
    assert np.all((means > 0) & (means < 20))
    assert d.std() > 1  # it moves
    small = _draw(Merton(4), batch=100, periods=201)
    assert small.max() <= 4 and np.all(small[:, 0] == 2)


def test_trace_when_short(tmp_path):
    assert Trace([1, 2, 3]).sample(None, 1, 7)[0].tolist() == [1, 2, 3, 1, 2, 3, 1]
    assert Trace([1, 2, 3], when_short="hold").sample(None, 1, 5)[0].tolist() == [1, 2, 3, 3, 3]
    with pytest.raises(ValueError, match="holds 3"):
        Trace([1, 2, 3], when_short="error").sample(None, 1, 5)
    f = tmp_path / "demand.csv"
    f.write_text("a,b\n1,5\n2,6\n3,7\n")
    tr = Trace(f)
    assert tr.data.tolist() == [[1, 2, 3], [5, 6, 7]]
    rows = tr.sample(np.random.default_rng(0), 50, 3)
    assert {tuple(r) for r in rows.tolist()} == {(1, 2, 3), (5, 6, 7)}
    bad = tmp_path / "bad.csv"
    bad.write_text("1\n2\nx\n")
    with pytest.raises(ValueError, match="line 3"):
        Trace(bad)


def test_user_defined_process_in_an_env():
    class Weekday(DemandProcess):
        def sample(self, rng, batch, periods):
            base = np.where(np.arange(periods) % 7 < 5, 10, 4)
            return np.broadcast_to(base, (batch, periods)).astype(np.int64)

    env = serial_v0.parallel_env(demand=Weekday(), max_cycles=9)
    env.reset(seed=0)
    seen = []
    while env.agents:
        obs, *_ = env.step({a: 5 for a in env.agents})
        seen.append(int(env.batch.last.demand[0, 0]))
    assert seen == [10, 10, 10, 10, 10, 4, 4, 10, 10]


def test_integer_demand_means_constant():
    env = serial_v0.parallel_env(demand=6, max_cycles=3)
    obs, _ = env.reset(seed=0)
    assert obs["stage_0"][2] == 6
