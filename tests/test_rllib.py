"""The RLlib bridge: env checker, truncation, env creators, training -> checkpoint -> evaluation.

One local Ray (2 CPUs) serves the whole file. The training runs are tiny (2,000 env-steps):
they check the plumbing (a checkpoint restores the exact trained networks), not learning.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import ray
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv
from ray.rllib.utils.pre_checks.env import check_multiagent_environments
from ray.tune.registry import ENV_CREATOR, _global_registry

from inventory_zoo import evaluate, serial_v0
from inventory_zoo.agents.common import UnsafeModelFileError
from inventory_zoo.envs.registry import ENVS
from inventory_zoo.integrations import rllib as bridge
from inventory_zoo.integrations.rllib_train import Config, main, train
from inventory_zoo.policies import BaseStock

CASES = [
    ("serial_v0", "liu2022", "order"),
    ("network_v0", "liu2022_2x3", "order"),
    ("beer_game_v0", "classic", "order"),
    ("serial_v0", "liu2022", "level"),
    ("network_v0", "liu2022_2x3", "level"),
]


@pytest.fixture(scope="session")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    bridge.register_envs()
    yield
    ray.shutdown()


def test_import_inventory_zoo_does_not_import_ray():
    code = (
        "import sys, inventory_zoo, inventory_zoo.integrations; "
        "print(sorted(m for m in ('ray', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(("name", "preset", "mode"), CASES)
def test_rllib_env_checker(name, preset, mode):
    env = bridge.make_env(name, {"preset": preset, "action_mode": mode})
    check_multiagent_environments(env)
    agents = env.possible_agents
    assert set(env.observation_spaces) == set(env.action_spaces) == set(agents)
    if mode == "order":
        assert all(env.get_action_space(a) is env.par_env.action_space(a) for a in agents)
    else:
        assert all(env.get_action_space(a).shape == (1,) for a in agents)


def _run_to_end(env, steps: int) -> list[tuple[bool, bool]]:
    env.reset(seed=3)
    ends = []
    for _ in range(steps):
        act = {a: env.par_env.action_space(a).sample() for a in env.par_env.agents}
        _, _, term, trunc, _ = env.step(act)
        ends.append((term["__all__"], trunc["__all__"]))
    return ends


@pytest.mark.parametrize("wrapper", ["rllib", "adapter"])
def test_max_cycles_is_truncation_not_termination(wrapper):
    par = serial_v0.parallel_env(preset="liu2022", max_cycles=4)
    env = ParallelPettingZooEnv(par) if wrapper == "rllib" else bridge.InventoryMultiAgentEnv(par)
    assert _run_to_end(env, 4) == [(False, False)] * 3 + [(False, True)]


def test_constant_levels_are_installation_base_stock():
    """A constant level action per agent plays exactly BaseStock(levels, sequential=False)."""
    levels = [40, 35, 60]
    env = bridge.make_env("serial_v0", {"preset": "liu2022", "action_mode": "level"})
    assert env.max_level == 100.0 == bridge.default_max_level(env.par_env)  # 20 x (4 + 1)
    plain = serial_v0.parallel_env(preset="liu2022")
    policy = BaseStock(levels, sequential=False)
    env.reset(seed=11)
    obs, _ = plain.reset(seed=11)
    act = {a: np.array([2 * lv / 100 - 1], np.float32) for a, lv in zip(plain.agents, levels, strict=True)}
    total = 0.0
    for _ in range(30):
        _, r_adapter, *_ = env.step(act)
        obs, r_plain, *_ = plain.step(policy(obs, plain))
        assert r_adapter == r_plain
        total += sum(r_plain.values())
    assert total < 0  # costs were charged: the comparison was not between two empty runs


def test_registered_creators_pass_presets_and_kwargs(local_ray):
    assert bridge.register_envs() == [e.pz_id for e in ENVS.values()]
    create = _global_registry.get(ENV_CREATOR, "inventory_zoo/serial-v0")
    default = create({})
    assert default.par_env.config["preset"] == "liu2022"  # the registry's default preset
    env = create({"preset": "snyder_shen_6_1", "max_cycles": 7, "reward_scale": 10.0})
    assert env.par_env.max_cycles == 7 and env.par_env.config["preset"] == "snyder_shen_6_1"
    assert env.observation_spaces["stage_0"].shape == (6,)  # snyder_shen_6_1's, liu2022 has 8
    plain = serial_v0.parallel_env(preset="snyder_shen_6_1", max_cycles=7)
    env.reset(seed=5)
    plain.reset(seed=5)
    act = dict.fromkeys(plain.agents, 4)
    _, scaled, *_ = env.step(act)
    _, raw, *_ = plain.step(act)
    assert scaled == {a: r / 10.0 for a, r in raw.items()}
    net = _global_registry.get(ENV_CREATOR, "inventory_zoo/network-v0")({"preset": "liu2022_2x3"})
    assert len(net.possible_agents) == 6
    with pytest.raises(ValueError, match="reward_scale"):
        create({"reward_scale": 0})


@pytest.mark.parametrize("sharing", ["shared", "per-agent"])
def test_train_checkpoint_restore_evaluate(local_ray, tmp_path, sharing):
    cfg = Config(
        env="serial_v0",
        preset="liu2022",
        env_kwargs='{"max_cycles": 50}',
        timesteps=2000,
        train_batch=1000,
        minibatch=500,
        num_epochs=1,
        num_env_runners=1,
        sharing=sharing,
        eval_every=1,
        eval_episodes=3,
        final_episodes=3,
        heuristic_budget=2,
        out=tmp_path,
    )
    summary = train(cfg)
    assert summary["env_steps"] >= 2000
    meta = json.loads((tmp_path / "checkpoint" / bridge.META_FILE).read_text())
    agents = ["stage_0", "stage_1", "stage_2"]
    policy = bridge.policy_from_checkpoint(tmp_path)
    assert sorted(policy.modules) == (["shared"] if sharing == "shared" else agents)
    env = serial_v0.parallel_env(**meta["env_kwargs"])
    # The restored networks are the trained ones: same greedy cost as the last validation,
    # which ran on the learner's in-memory modules.
    report = evaluate(env, policy, episodes=3, seed=cfg.seed + 10_000)
    assert report.cost_per_period == summary["curve"][-1]["cost_per_period"]
    # Also through the policy registry's factory (rllib:PATH) and from the checkpoint dir itself.
    again = bridge.policy_factory(env, str(tmp_path / "checkpoint"))
    assert (
        evaluate(env, again, episodes=3, seed=1).cost_per_period
        == evaluate(env, policy, 3, 1).cost_per_period
    )
    row = next(r for r in summary["table"] if r["policy"].startswith("RLlib PPO"))
    assert row["cost_per_period"] == evaluate(env, policy, 3, cfg.seed + 20_000).cost_per_period
    assert {"learned", "searched", "searched_local", "naive", "tuned heuristic"} <= {
        r["kind"] for r in summary["table"]
    }
    assert "vs_best_heuristic" in row  # the paired difference to the best tuned heuristic
    # The model file is what loads by default; RLlib's pickled checkpoint alone only with trust,
    # and then it plays exactly the same.
    alone = tmp_path / "alone"
    shutil.copytree(tmp_path / "checkpoint", alone)
    with pytest.raises(UnsafeModelFileError, match="trusted=True"):
        bridge.policy_from_checkpoint(alone)
    pickled = bridge.policy_from_checkpoint(alone, trusted=True)
    assert evaluate(env, pickled, 3, 1).cost_per_period == evaluate(env, policy, 3, 1).cost_per_period


def test_policy_rescales_and_checks_observations(local_ray, tmp_path):
    """A module trained on normalised observations acts the same on the raw env; a wrong env is named."""
    train(
        Config(
            env="serial_v0",
            preset="snyder_shen_6_1",
            agent_id=False,
            timesteps=500,
            train_batch=500,
            minibatch=500,
            num_epochs=1,
            eval_every=100,
            eval_episodes=2,
            final_episodes=2,
            heuristic_budget=0,
            out=tmp_path,
        )
    )
    policy = bridge.policy_from_checkpoint(tmp_path)
    assert policy.obs_scale == 30.0  # normalize_obs added by the trainer (obs_scale = max_order)
    raw = serial_v0.parallel_env(preset="snyder_shen_6_1")
    scaled = serial_v0.parallel_env(preset="snyder_shen_6_1", normalize_obs=True)
    a = evaluate(raw, policy, episodes=2, seed=0)
    b = evaluate(scaled, policy, episodes=2, seed=0)
    assert a.cost_per_period == b.cost_per_period
    with pytest.raises(ValueError, match=r"observations of shape \(6,\), the env gives \(8,\)"):
        bridge.policy_factory(serial_v0.parallel_env(preset="liu2022"), str(tmp_path))
    with pytest.raises(ValueError, match="observations of shape"):
        evaluate(serial_v0.parallel_env(preset="liu2022"), policy, episodes=1)  # 8 numbers, not 6


def test_cli_errors_are_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "x").write_text("")
    assert main(["--out", str(tmp_path), "--timesteps", "10"]) == 2
    assert main(["--env-kwargs", "[1]", "--out", str(tmp_path / "new")]) == 2
    assert main(["--preset", "nope", "--out", str(tmp_path / "new")]) == 2
    assert main(["--timesteps", "0", "--out", str(tmp_path / "new")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and "not empty" in err[0] and "JSON object" in err[1]
    assert "--preset" in err[2] and "nope" in err[2] and "--timesteps must be > 0, got 0" in err[3]
    import torch

    if not torch.cuda.is_available():
        assert main(["--device", "cuda", "--out", str(tmp_path / "gpu")]) == 2
        assert "CUDA is not available" in capsys.readouterr().err


def test_policy_factory_needs_a_path():
    env = serial_v0.parallel_env(preset="liu2022")
    with pytest.raises(ValueError, match="rllib:PATH"):
        bridge.policy_factory(env, "")
    with pytest.raises(ValueError, match="does not exist"):
        bridge.policy_factory(env, "/nonexistent/run")


def test_a_crafted_policy_file_is_refused_without_running_it(tmp_path):
    import pickle

    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    run = tmp_path / "run"
    run.mkdir()
    (run / "rllib_policy.pt").write_bytes(pickle.dumps({"format": "inventory_zoo.rllib_policy/1", "x": Payload()}))
    env = serial_v0.parallel_env(preset="liu2022")
    for load in (lambda: bridge.policy_from_checkpoint(run), lambda: bridge.policy_factory(env, str(run))):
        with pytest.raises(UnsafeModelFileError, match="unpickling"):
            load()
    assert not marker.exists()
