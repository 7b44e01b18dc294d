"""A shared model file is data (issue 17): HAPPO's best.pt loads with torch's weights-only
unpickler, a crafted file that would run code is refused by load_policy, by the policy registry's
``happo:PATH`` factory and by ``--eval-only`` without any side effect, resume checkpoints are
refused as models, and a legitimate model loads and evaluates exactly as the trained policy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from inventory_zoo import Constant, evaluate, serial_v0
from inventory_zoo.agents import happo
from inventory_zoo.agents.happo import cli
from inventory_zoo.agents.happo.checkpoint import MODEL_FORMAT

TINY = dict(num_stages=2, lead_times=1, demand=Constant(3), holding_costs=1.0, backorder_costs=(4.0, 1.0),
            max_order=8, initial_inventory=3, max_cycles=20)  # fmt: skip


class _Payload:
    """Unpickling this calls ``open(target, "w")``: it creates the file (the attack of issue 17)."""

    def __init__(self, target: Path) -> None:
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "happo"
    args = happo.Args(
        env="serial_v0", preset=None, env_kwargs=TINY, reward_mix=1.0, num_envs=8, num_steps=10,
        total_timesteps=320, eval_interval=2, eval_episodes=4, patience=0, device="cpu", seed=3,
        progress=False, final_table=False, tensorboard=False, run_dir=str(out), checkpoint_interval=2,
    )  # fmt: skip
    return args, happo.train(args)


@pytest.fixture
def evil(tmp_path):
    """A best.pt shaped like a model file whose unpickling would create ``tmp_path/pwned``."""
    target = tmp_path / "pwned"
    path = tmp_path / "evil" / "best.pt"
    path.parent.mkdir()
    torch.save({"format": MODEL_FORMAT, "version": 1, "config": _Payload(target)}, path)
    assert not target.exists()
    return path, target


def test_a_model_file_is_tensors_and_json(run):
    args, _ = run
    ck = torch.load(Path(args.run_dir) / "best.pt", weights_only=True)  # raises if anything else is inside
    assert ck["format"] == MODEL_FORMAT and ck["version"] == 1
    config = json.loads(ck["config"])
    assert config["env_kwargs"]["demand"] == {"__demand__": "Constant", "value": 3}
    assert all(isinstance(v, torch.Tensor) for sd in ck["actors"] for v in sd.values())


def test_a_trained_model_loads_and_plays_exactly_as_trained(run):
    args, result = run
    env = happo.make_env(args)
    for path in (Path(args.run_dir) / "best.pt", Path(args.run_dir)):
        again = happo.load_policy(path)
        r1, r2 = evaluate(env, result.policy, 6, 11), evaluate(env, again, 6, 11)
        assert r1.cost_per_period == r2.cost_per_period and np.isfinite(r1.cost_per_period)
        np.testing.assert_array_equal(r1.episode_costs, r2.episode_costs)
    model = happo.read_model(Path(args.run_dir))
    assert model.best_cost == result.best_cost and model.iteration == result.best_iteration
    assert model.config().env_kwargs["demand"] == Constant(3)


def test_the_policy_factory_loads_a_run_and_checks_the_env(run):
    args, result = run
    env = happo.make_env(args)
    policy = happo.policy_factory(env, args.run_dir, seed=5, budget=None, device="cpu", extra="ignored")
    assert evaluate(env, policy, 4, 3).cost_per_period == evaluate(env, result.policy, 4, 3).cost_per_period
    with pytest.raises(ValueError, match="agents"):
        happo.policy_factory(serial_v0.parallel_env(num_stages=3), args.run_dir)
    with pytest.raises(ValueError, match="inputs of length|choices"):
        happo.policy_factory(serial_v0.parallel_env(num_stages=2, max_order=5), args.run_dir)
    with pytest.raises(ValueError, match="happo:PATH needs"):
        happo.policy_factory(env, "")
    with pytest.raises(ValueError, match="no model file"):
        happo.policy_factory(env, str(Path(args.run_dir) / "missing.pt"))


def test_a_crafted_model_file_is_refused_without_side_effect(evil, run):
    path, target = evil
    args, _ = run
    with pytest.raises(happo.UnsafeModelFileError, match="trusted=True") as e:
        happo.load_policy(path)
    assert isinstance(e.value, ValueError) and "can run any code" in str(e.value)
    with pytest.raises(happo.UnsafeModelFileError):
        happo.load_policy(path.parent)  # the run directory holding it
    with pytest.raises(happo.UnsafeModelFileError):
        happo.policy_factory(happo.make_env(args), str(path))
    assert not target.exists()
    # The payload is real: unpickling the file deliberately (trusted=True) runs it.
    with pytest.raises(ValueError, match="damaged HAPPO model file"):
        happo.load_policy(path, trusted=True)
    assert target.exists()


def test_eval_only_refuses_a_crafted_file_in_one_line(evil, capsys):
    path, target = evil
    assert cli.main(["--eval-only", str(path), "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "trusted=True" in err[0]
    assert not target.exists()


def test_a_resume_checkpoint_is_not_a_model(run):
    args, result = run
    last = Path(args.run_dir) / "last.pt"
    with pytest.raises(happo.UnsafeModelFileError):
        happo.load_policy(last)
    # Deliberately, for a file you made: its best model.
    policy = happo.load_policy(last, trusted=True)
    env = happo.make_env(args)
    assert evaluate(env, policy, 4, 3).cost_per_period == evaluate(env, result.policy, 4, 3).cost_per_period
    # ...and a model file cannot be resumed.
    with pytest.raises(ValueError, match="not a HAPPO resume checkpoint"):
        happo.load_checkpoint(Path(args.run_dir) / "best.pt")


def test_files_that_are_not_models(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="not a HAPPO model file") as e:
        happo.load_policy(junk)
    assert not isinstance(e.value, happo.UnsafeModelFileError)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(ValueError, match="not a HAPPO model file"):
        happo.load_policy(other)
    with pytest.raises(FileNotFoundError, match="no best.pt"):
        happo.load_policy(tmp_path)


def test_configs_rebuild_only_the_library_demand_classes():
    from inventory_zoo.core.demand import Trace

    args = happo.Args(env_kwargs={"demand": Trace([1, 2, 3], when_short="hold"), "lead_times": (1, 2)})
    back = happo.config_from_json(happo.config_to_json(args))
    assert back.env_kwargs["demand"] == args.env_kwargs["demand"]
    assert back.env_kwargs["lead_times"] == [1, 2]
    bad = json.dumps({"env_kwargs": {"demand": {"__demand__": "system", "command": "touch x"}}})
    with pytest.raises(ValueError, match="unknown demand process 'system'"):
        happo.config_from_json(bad)
    with pytest.raises(ValueError, match="unknown settings"):
        happo.config_from_json(json.dumps({"shell": "rm"}))
