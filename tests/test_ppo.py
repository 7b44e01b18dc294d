"""The SB3 faces (inventory_zoo.envs.sb3) and the shared-parameter PPO example.

- The vector-env adapter and SuperSuit's conversion give the same transitions for the same
  seed and actions. They differ only in the dtype of ``dones`` (SuperSuit: uint8 0/1, the
  adapter: bool) and in the ``TimeLimit.truncated`` info, which SuperSuit never sets and
  :class:`TimeLimitInfo` adds.
- Finished rows carry ``terminal_observation`` and ``TimeLimit.truncated=True``, so PPO
  bootstraps at the time limit.
- ``examples/train_ppo.py`` trains, saves, reloads and evaluates on both paths (tiny sizes).
- Order-up-to actions: with constant levels the wrappers of both paths order exactly what
  ``BaseStock(levels, sequential=False)`` (``EchelonBaseStock`` for echelon positions) orders,
  and a model trained with them is evaluated and reloaded with the same mapping.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")
ss = pytest.importorskip("supersuit")

from stable_baselines3.common.vec_env import VecMonitor, VecNormalize  # noqa: E402

from inventory_zoo import serial_v0  # noqa: E402
from inventory_zoo.envs.sb3 import (  # noqa: E402
    TRUNCATED_KEY,
    BoolDones,
    ContinuousOrders,
    OrderUpToActions,
    OrderUpToLevels,
    SB3VecEnv,
    TimeLimitInfo,
    WithGlobalState,
    default_max_level,
    levels_from_continuous,
    orders_from_continuous,
    position_lead_times,
)
from inventory_zoo.envs.vector import VectorEnv  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    pytest.param(serial_v0, {"preset": "liu2022"}, id="liu2022"),
    pytest.param(serial_v0, {"preset": "snyder_shen_6_1", "agent_id": True}, id="snyder_shen_6_1"),
    pytest.param(
        serial_v0,
        {"lead_times": {1: 0.5, 3: 0.5}, "order_delays": 1, "lost_sales": True, "max_order": 9},
        id="serial-random-lead",
    ),
]
try:
    from inventory_zoo import network_v0

    CASES.append(pytest.param(network_v0, {"preset": "liu2022_2x3"}, id="network-2x3"))
except ImportError:  # pragma: no cover - network_v0 lands separately
    pass


def _supersuit(module, kwargs, n, wrap=True):
    par = module.parallel_env(**kwargs)
    if wrap:
        par = TimeLimitInfo(par)
    return ss.concat_vec_envs_v1(
        ss.pettingzoo_env_to_vec_env_v1(par), n, num_cpus=0, base_class="stable_baselines3"
    )


@pytest.mark.parametrize("module, kwargs", CASES)
def test_adapter_gives_supersuits_transitions(module, kwargs):
    """Same seed, same actions: identical observations, rewards, dones and terminal observations."""
    B, T, steps = 3, 5, 13  # two episode ends and a partial third episode
    kwargs = dict(kwargs, max_cycles=T)
    sup = _supersuit(module, kwargs, B)
    ada = SB3VecEnv.from_env(module.parallel_env(**kwargs), B)
    # SuperSuit's SB3 wrapper cannot take a seed (it calls a seed() its inner vec env lacks);
    # its inner gymnasium vec env seeds copy b with seed + b, as the adapter does.
    o_sup, _ = sup.venv.reset(seed=11)
    ada.seed(11)
    o_ada = ada.reset()
    np.testing.assert_array_equal(o_sup, o_ada)
    assert ada.num_envs == sup.num_envs == B * len(ada.agents)
    assert ada.observation_space == sup.observation_space and ada.action_space == sup.action_space
    ada.action_space.seed(0)
    for t in range(steps):
        act = np.stack([ada.action_space.sample() for _ in range(ada.num_envs)])
        o1, r1, d1, i1 = sup.step(act)
        o2, r2, d2, i2 = ada.step(act)
        np.testing.assert_array_equal(o1, o2)
        assert r1.dtype == r2.dtype == np.float32
        np.testing.assert_array_equal(r1, r2)
        assert d1.dtype == np.uint8 and d2.dtype == bool  # the one difference in the arrays
        np.testing.assert_array_equal(d1.astype(bool), d2)
        assert d2.all() == ((t + 1) % T == 0) and d2.all() == d2.any()
        for a, b in zip(i1, i2, strict=True):
            assert a.keys() == b.keys()
            assert a["cost"] == b["cost"]
            if d2.any():
                np.testing.assert_array_equal(a["terminal_observation"], b["terminal_observation"])
                assert a[TRUNCATED_KEY] is b[TRUNCATED_KEY] is True


def test_global_state_rows_match_on_both_paths():
    """``SB3VecEnv(global_state=True)`` and ``WithGlobalState`` + SuperSuit: the same rows."""
    B, T = 2, 3
    kw = {"preset": "snyder_shen_6_1", "max_cycles": T}
    par = TimeLimitInfo(WithGlobalState(serial_v0.parallel_env(**kw)))
    sup = ss.concat_vec_envs_v1(ss.pettingzoo_env_to_vec_env_v1(par), B, base_class="stable_baselines3")
    ada = SB3VecEnv.from_env(serial_v0.parallel_env(**kw), B, global_state=True)
    base = serial_v0.parallel_env(**kw)
    dim = base.observation_space("stage_0").shape[0] + base.state_space.shape[0]
    assert ada.observation_space == sup.observation_space and ada.observation_space.shape == (dim,)
    o1, _ = sup.venv.reset(seed=4)
    ada.seed(4)
    np.testing.assert_array_equal(o1, ada.reset())
    for _ in range(T):
        act = np.arange(ada.num_envs) % 7
        o1, r1, d1, i1 = sup.step(act)
        o2, r2, d2, i2 = ada.step(act)
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(r1, r2)
    assert d2.all()
    for a, b in zip(i1, i2, strict=True):
        np.testing.assert_array_equal(a["terminal_observation"], b["terminal_observation"])
    # the tail of every row is its copy's state: rows of one copy share it
    tail = o2[:, -base.state_space.shape[0] :]
    np.testing.assert_array_equal(tail[0], tail[2])
    np.testing.assert_array_equal(tail[0], ada.vector_env.state()[0])


def test_supersuit_alone_never_marks_truncation():
    """The trap TimeLimitInfo fixes: without it, SB3 would treat every time limit as terminal."""
    sup = _supersuit(serial_v0, {"preset": "liu2022", "max_cycles": 2}, 2, wrap=False)
    sup.venv.reset(seed=0)
    for _ in range(2):
        _, _, dones, infos = sup.step(np.zeros(sup.num_envs, np.int64))
    assert dones.all()
    assert all("terminal_observation" in i and TRUNCATED_KEY not in i for i in infos)


def test_adapter_truncation_infos_and_auto_reset():
    T, B = 3, 2
    ada = SB3VecEnv.from_env(serial_v0.parallel_env(preset="snyder_shen_6_1", max_cycles=T), B)
    ref = VectorEnv(serial_v0.parallel_env(preset="snyder_shen_6_1", max_cycles=T), B, auto_reset=False)
    ada.seed(5)
    obs = ada.reset()
    ref_obs, _ = ref.reset(seed=5)
    np.testing.assert_array_equal(obs, ref_obs.reshape(B * 3, -1))
    act = np.full(ada.num_envs, 4)
    for t in range(T):
        obs, rew, dones, infos = ada.step(act)
        ref_obs, ref_rew, _, _, ref_info = ref.step(act.reshape(B, 3))
        np.testing.assert_array_equal(rew, ref_rew.reshape(-1).astype(np.float32))
        assert [i["cost"] for i in infos] == ref_info["cost"].reshape(-1).tolist()
        if t < T - 1:
            assert not dones.any()
            assert all(TRUNCATED_KEY not in i and "terminal_observation" not in i for i in infos)
            np.testing.assert_array_equal(obs, ref_obs.reshape(B * 3, -1))
    # The last period: every row is done, truncated, and holds its pre-reset observation.
    assert dones.all()
    for r, info in enumerate(infos):
        assert info[TRUNCATED_KEY] is True
        np.testing.assert_array_equal(info["terminal_observation"], ref_obs.reshape(B * 3, -1)[r])
    # ...and the returned observation is the next episode's first (auto-reset).
    assert ada.vector_env.t == 0
    np.testing.assert_array_equal(obs, ada.vector_env.batch.observe().reshape(B * 3, -1))


def test_truncation_survives_sb3_wrappers_and_ppo_would_bootstrap():
    """Through VecMonitor and VecNormalize, the condition SB3's rollout checks holds at the end."""
    ada = SB3VecEnv.from_env(serial_v0.parallel_env(preset="liu2022", max_cycles=2), 2)
    venv = VecNormalize(VecMonitor(ContinuousOrders(ada)), gamma=0.9)
    venv.reset()
    for _ in range(2):
        _, _, dones, infos = venv.step(np.zeros((venv.num_envs, 1), np.float32))
    for done, info in zip(dones, infos, strict=True):
        # on_policy_algorithm.collect_rollouts bootstraps exactly when all three hold
        assert done and info.get("terminal_observation") is not None and info.get(TRUNCATED_KEY, False)
        assert "episode" in info  # VecMonitor saw the episode end


def test_bool_dones_keep_vecnormalize_alike_on_both_paths():
    """SuperSuit's uint8 dones misindex VecNormalize's returns; cast to bool, both paths scale
    the rewards alike."""
    kwargs = {"preset": "snyder_shen_6_1", "max_cycles": 3}
    sup = _supersuit(serial_v0, kwargs, 2)
    sup.venv.reset(seed=1)
    ada = SB3VecEnv.from_env(serial_v0.parallel_env(**kwargs), 2)
    ada.seed(1)
    ada.reset()  # as make_vec_env does: the next reset continues the seeded generators
    vns = [VecNormalize(VecMonitor(v), norm_obs=False, gamma=0.9) for v in (BoolDones(sup), ada)]
    for v in vns:
        v.reset()
    for t in range(7):
        out = [v.step(np.full(6, 1 + t % 4)) for v in vns]
        assert out[0][2].dtype == bool
        np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-6)
        np.testing.assert_allclose(vns[0].returns, vns[1].returns, rtol=1e-6)


def test_adapter_vecenv_api():
    ada = SB3VecEnv.from_env(serial_v0.parallel_env(preset="liu2022"), 4)
    assert ada.num_envs == 12 and ada.num_copies == 4 and ada.num_agents == 3
    assert ada.render_mode is None
    assert ada.seed(7) == [7, 7, 7, 8, 8, 8, 9, 9, 9, 10, 10, 10]
    assert ada.get_attr("max_cycles", indices=[0, 1]) == [200, 200]
    assert ada.env_is_wrapped(VecMonitor) == [False] * 12
    ada.reset()
    assert ada.env_method("state")[0].shape == (4, ada.vector_env.state_space.shape[0])
    with pytest.raises(TypeError, match="VectorEnv"):
        SB3VecEnv(serial_v0.parallel_env())
    with pytest.raises(ValueError, match="auto_reset"):
        SB3VecEnv(VectorEnv(serial_v0.parallel_env(), 2, auto_reset=False))


def test_continuous_orders_mapping():
    q = orders_from_continuous(np.array([[-1.0], [-0.97], [0.0], [0.98], [1.0], [3.0], [-7.0]]), 20)
    assert q.tolist() == [0, 0, 10, 20, 20, 20, 0]
    q2 = orders_from_continuous(np.array([[-1.0, 1.0]]), 4, scalar=False)
    assert q2.tolist() == [[0, 4]]
    wrapped = ContinuousOrders(SB3VecEnv.from_env(serial_v0.parallel_env(preset="liu2022"), 1))
    assert wrapped.action_space.shape == (1,) and wrapped.max_order == 20


def _level_actions(levels, max_level, copies):
    """Rows ``[copies * N, 1]`` of actions whose levels are ``levels`` ``[N]`` (exactly)."""
    a = 2.0 * np.asarray(levels, np.float64) / max_level - 1.0
    return np.tile(a, copies).reshape(-1, 1)


def test_levels_from_continuous():
    a = np.array([[-1.0], [-0.5], [0.0], [1.0], [2.0], [-3.0]])
    assert levels_from_continuous(a, 40).tolist() == [0.0, 10.0, 20.0, 40.0, 40.0, 0.0]
    env = serial_v0.parallel_env(preset="snyder_shen_6_1")  # lead times 1, 1, 2; max_order 30
    assert position_lead_times(env).tolist() == [1, 1, 2]
    assert position_lead_times(env, "echelon").tolist() == [1, 2, 4]
    assert default_max_level(env) == 90 and default_max_level(env, "echelon") == 150


@pytest.mark.parametrize(
    "kwargs, levels, position",
    [
        ({"preset": "snyder_shen_6_1", "agent_id": True}, [9, 12, 16], "installation"),
        ({"preset": "liu2022"}, [34, 41, 45], "installation"),
        ({"lead_times": {1: 0.5, 3: 0.5}, "order_delays": 1, "max_order": 9}, [5, 8, 13], "installation"),
        ({"preset": "snyder_shen_6_1"}, [9, 15, 26], "echelon"),
    ],
    ids=["snyder", "liu2022", "random-lead", "echelon"],
)
@pytest.mark.parametrize("path", ["vector", "supersuit"])
def test_order_up_to_wrappers_order_as_base_stock(kwargs, levels, position, path):
    """Constant levels: the orders of installation base-stock from own observations, exactly,
    over two episodes (auto-reset included); echelon levels: those of echelon base-stock."""
    from inventory_zoo.policies import BaseStock, EchelonBaseStock

    B, T = 3, 6
    kwargs = dict(kwargs, max_cycles=T)
    max_level = 60.0
    ref = VectorEnv(serial_v0.parallel_env(**kwargs), B, auto_reset=True)
    obs, _ = ref.reset(seed=5)
    base = BaseStock(levels, sequential=False) if position == "installation" else EchelonBaseStock(levels)
    if path == "vector":
        venv = OrderUpToLevels(SB3VecEnv.from_env(serial_v0.parallel_env(**kwargs), B), max_level, position)
        venv.venv.seed(5)
        rows = venv.reset()
    else:
        par = TimeLimitInfo(OrderUpToActions(serial_v0.parallel_env(**kwargs), max_level, position))
        venv = ss.concat_vec_envs_v1(
            ss.pettingzoo_env_to_vec_env_v1(par), B, num_cpus=0, base_class="stable_baselines3"
        )
        rows, _ = venv.venv.reset(seed=5)
    assert venv.action_space == spaces_box()
    np.testing.assert_array_equal(rows, obs.reshape(rows.shape))
    acts = _level_actions(levels, max_level, B)
    n_orders = 0
    for _ in range(2 * T + 1):
        q = base.act(obs, ref)
        if path == "vector":
            np.testing.assert_array_equal(venv.to_orders(acts), q.reshape(B * ref.num_agents))
        rows, rew, _, _ = venv.step(acts)
        obs, ref_rew, *_ = ref.step(q)
        np.testing.assert_array_equal(rows, obs.reshape(rows.shape))
        np.testing.assert_allclose(rew, ref_rew.reshape(-1), rtol=1e-6)
        n_orders += int(q.sum())
    assert n_orders > 0


def spaces_box():
    from gymnasium import spaces

    return spaces.Box(-1.0, 1.0, (1,), np.float32)


def test_order_up_to_wrappers_reject_bad_settings():
    env = serial_v0.parallel_env(preset="liu2022")
    with pytest.raises(ValueError, match="position"):
        OrderUpToActions(env, 40, "local")
    with pytest.raises(ValueError, match="max_level"):
        OrderUpToLevels(SB3VecEnv.from_env(env, 1), 0)
    with pytest.raises(TypeError, match="OrderUpToActions"):
        OrderUpToLevels(_supersuit(serial_v0, {"preset": "liu2022"}, 1), 40)
    try:
        from inventory_zoo import network_v0
    except ImportError:  # pragma: no cover - network_v0 lands separately
        return
    with pytest.raises(ValueError, match="serial"):
        OrderUpToActions(network_v0.parallel_env(preset="liu2022_2x3"), 40, "echelon")


def test_time_limit_info_is_a_transparent_parallel_env():
    import pickle

    env = TimeLimitInfo(serial_v0.parallel_env(preset="liu2022", max_cycles=2))
    env2 = pickle.loads(pickle.dumps(env))  # SuperSuit clones envs
    obs, _ = env2.reset(seed=1)
    assert env2.agents == env2.possible_agents and set(obs) == set(env2.possible_agents)
    _, _, _, truncs, infos = env2.step(dict.fromkeys(env2.agents, 3))
    assert not any(truncs.values()) and all(TRUNCATED_KEY not in i for i in infos.values())
    _, _, _, truncs, infos = env2.step(dict.fromkeys(env2.agents, 3))
    assert all(truncs.values()) and all(i[TRUNCATED_KEY] is True for i in infos.values())
    assert env2.agents == [] and env2.unwrapped is env2.env


# ---------------------------------------------------------------------------- the example script
TINY = [
    "--env", "serial_v0", "--preset", "snyder_shen_6_1", "--timesteps", "3072", "--n-envs", "2",
    "--n-steps", "128", "--batch-size", "256", "--n-epochs", "2", "--max-cycles", "40",
    "--eval-max-cycles", "20", "--eval-episodes", "2", "--search-episodes", "1", "--heuristic-budget", "2",
    "--curve-points", "2", "--curve-episodes", "1", "--checkpoint-every", "1536", "--seed", "3",
    "--device", "cpu", "--no-progress",
]  # fmt: skip


def _start(args, cwd):
    cmd = [sys.executable, str(ROOT / "examples" / "train_ppo.py"), *args]
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc):
    try:
        stdout, stderr = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, stdout[-2000:] + stderr[-4000:]
    return stdout


@pytest.fixture(scope="module")
def trained_runs(tmp_path_factory):
    """One tiny training run per path, both at once (shared by the tests below); continuous
    orders here, order-up-to levels (the default) in ``level_runs``."""
    tmp = tmp_path_factory.mktemp("ppo")
    procs = {
        path: _start([*TINY, "--actions", "continuous", *extra, "--out", str(tmp / path)], tmp)
        for path, extra in (("supersuit", []), ("vector", ["--vector"]))
    }
    return {path: (tmp / path, _finish(proc)) for path, proc in procs.items()}


@pytest.mark.parametrize("path", ["supersuit", "vector"])
def test_train_script_trains_saves_and_evaluates(trained_runs, path):
    run, stdout = trained_runs[path]
    for name in (
        "config.json",
        "model.zip",
        "model.vecnormalize.npz",
        "best_model.zip",
        "curve.csv",
        "learning_curve.png",
        "evaluation.json",
    ):
        assert (run / name).exists(), name
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == [
        "ppo_1536_steps.zip",
        "ppo_3072_steps.zip",
        "ppo_vecnormalize_1536_steps.npz",
        "ppo_vecnormalize_3072_steps.npz",
    ]
    assert any((run / "tb").rglob("events.out.tfevents.*"))
    result = json.loads((run / "evaluation.json").read_text())
    names = [r["policy"] for r in result["rows"]]
    assert {"PPO (final)", "PPO (best on validation)"} <= set(names)
    kinds = sorted(r["kind"] for r in result["rows"] if r["kind"] != "tuned heuristic")  # inventory_zoo.baselines
    assert kinds == sorted(
        ["learned"] * 2 + ["optimal", "searched", "searched_local", "naive", "naive", "exact"]
    )
    # Every applicable heuristic family, tuned (--heuristic-budget 2), and PPO's paired difference
    # to the best of them.
    assert sum(r["kind"] == "tuned heuristic" for r in result["rows"]) >= 5
    assert all("vs_best_heuristic" in r for r in result["rows"] if r["kind"] == "learned")
    assert result["exact_optimum"] == pytest.approx(72.04, abs=0.05)
    assert all(np.isfinite(r["cost_per_period"]) for r in result["rows"])
    assert "optimum (expected)" in stdout


def test_both_paths_train_the_same_policy(trained_runs):
    """Same seed, same transitions, same torch draws: the two paths learn the same model."""
    costs = {p: _final_cost(run) for p, (run, _) in trained_runs.items()}
    assert costs["supersuit"] == costs["vector"]


def test_eval_only_reloads_a_saved_model(trained_runs, tmp_path):
    run, _ = trained_runs["vector"]
    stdout, cost = _eval_only(run, tmp_path)
    assert ", optimal" in stdout and ", searched" in stdout
    # Reloaded with its saved settings and normalisation, the final model scores as it did.
    assert cost == pytest.approx(_final_cost(run), abs=0.005)


def _final_cost(run) -> float:
    """The final model's cost in a run's table."""
    rows = json.loads((run / "evaluation.json").read_text())["rows"]
    return next(r["cost_per_period"] for r in rows if r["policy"] == "PPO (final)")


def _eval_only(run, tmp_path) -> tuple[str, float]:
    """``--eval-only`` on a run's final model: the script's output and the model's cost."""
    args = [
        "--eval-only", str(run / "model.zip"),
        "--eval-max-cycles", "20", "--eval-episodes", "2", "--search-episodes", "1", "--heuristic-budget", "2", "--no-progress",
    ]  # fmt: skip
    stdout = _finish(_start(args, tmp_path))
    line = next(ln for ln in stdout.splitlines() if ln.startswith("PPO model.zip"))
    return stdout, float(line.split()[3])  # policy (two words), kind, cost


# ---------------------------------------------------------------------------- order-up-to actions
@pytest.fixture(scope="module")
def level_runs(tmp_path_factory):
    """One tiny order-up-to run per path (with global observations), both at once."""
    tmp = tmp_path_factory.mktemp("ppo-levels")
    extra = ["--actions", "order-up-to", "--global-obs", "--max-level", "45"]
    procs = {
        path: _start([*TINY, *extra, *more, "--out", str(tmp / path)], tmp)
        for path, more in (("supersuit", []), ("vector", ["--vector"]))
    }
    return {path: (tmp / path, _finish(proc)) for path, proc in procs.items()}


def test_order_up_to_trains_saves_and_reloads(level_runs, tmp_path):
    from stable_baselines3 import PPO

    costs = {}
    for path, (run, _) in level_runs.items():
        model = PPO.load(str(run / "best_model.zip"), device="cpu")
        assert model.action_mapping == {
            "actions": "order-up-to",
            "max_level": 45.0,
            "position": "installation",
        }
        assert json.loads((run / "config.json").read_text())["max_level"] == 45.0
        costs[path] = _final_cost(run)
        assert np.isfinite(costs[path])
    assert costs["supersuit"] == costs["vector"]  # same transitions, same torch draws
    run, _ = level_runs["vector"]
    # Reloaded with its saved mapping (not the command line's default continuous actions).
    _, cost = _eval_only(run, tmp_path)
    assert cost == pytest.approx(costs["vector"], abs=0.005)


@pytest.mark.parametrize(
    "bad, message",
    [
        (["--actions", "levels"], "--actions must be one of"),
        (["--actions", "order-up-to", "--order-up-to-position", "local"], "--order-up-to-position"),
        (["--actions", "order-up-to", "--max-level", "-3"], "--max-level must be a positive"),
    ],
)
def test_train_script_rejects_bad_action_options(bad, message, tmp_path):
    proc = _start([*TINY, *bad, "--out", str(tmp_path / "run")], tmp_path)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode != 0 and message in stderr
