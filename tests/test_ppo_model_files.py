"""PPO model files are data (issue 17 item 3): a trained model and its normaliser load and act
exactly as in training without unpickling anything; crafted files that would run code when
unpickled are refused (or their pickled parts ignored) and leave no side effect.

The crafted payload: an object whose unpickling calls ``open(MARKER, "w")``, creating a file.
"""

from __future__ import annotations

import base64
import json
import pickle
import shutil
import zipfile
from pathlib import Path

import cloudpickle
import numpy as np
import pytest

import inventory_zoo
from inventory_zoo import serial_v0
from inventory_zoo.agents.ppo import load_policy, policy_factory
from inventory_zoo.agents.ppo.normalizer import ObsNormalizer, read_vecnormalize, save_vecnormalize
from inventory_zoo.cli import main

TINY = [
    "--timesteps", "192", "--n-envs", "2", "--n-steps", "16", "--batch-size", "32", "--n-epochs", "1",
    "--max-cycles", "16", "--eval-max-cycles", "8", "--eval-episodes", "2", "--search-episodes", "1", "--heuristic-budget", "2",
    "--curve-points", "1", "--curve-episodes", "1", "--device", "cpu", "--vector", "--norm-obs",
]  # fmt: skip


class CreatesFile:
    """Unpickling this calls ``open(path, "w")``: the file appears if anything unpickles it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A tiny trained run (observation normalisation on, so the normaliser matters)."""
    out = tmp_path_factory.mktemp("ppo-files") / "run"
    assert main(["train", "ppo", *TINY, "--out", str(out)]) == 0
    return out


@pytest.fixture
def shared(run, tmp_path) -> Path:
    """A copy of the run's best model and its normaliser, as someone would share them."""
    dst = tmp_path / "shared"
    dst.mkdir()
    for name in ("best_model.zip", "best_model.vecnormalize.npz", "config.json"):
        shutil.copy(run / name, dst / name)
    return dst


def _cost(policy, env=None) -> float:
    env = env if env is not None else serial_v0.parallel_env(preset="liu2022")
    return inventory_zoo.evaluate(env, policy, episodes=2, seed=0, max_cycles=8).cost_per_period


def test_a_trained_model_loads_and_acts_as_in_training(run):
    rows = json.loads((run / "evaluation.json").read_text())["rows"]
    trained = next(r["cost_per_period"] for r in rows if r["policy"] == "PPO (best on validation)")
    safe = load_policy(run, device="cpu")  # the run directory: its best model
    assert _cost(safe, safe_env(run)) == trained
    # The same through SB3's full loader (trusted) and through ppo:PATH in an env built with
    # the CLI's options (raw observations, no agent id): the rows are rebuilt as in training.
    assert _cost(load_policy(run / "best_model.zip", trusted=True), safe_env(run)) == trained
    factory_policy = policy_factory(serial_v0.parallel_env(preset="liu2022"), str(run))
    assert _cost(factory_policy) == trained
    assert safe.obs_transform is not None  # --norm-obs: the normaliser is applied


def safe_env(run: Path):
    from inventory_zoo.agents.ppo.config import Args, load_config
    from inventory_zoo.agents.ppo.envs import make_env

    return make_env(Args(**load_config(run / "config.json")))


def test_normaliser_file_matches_vecnormalize(run):
    from stable_baselines3.common.vec_env import VecNormalize

    from inventory_zoo.envs.sb3 import SB3VecEnv

    data = read_vecnormalize(run / "model.vecnormalize.npz")
    assert data["settings"]["norm_obs"] is True and data["obs_mean"].shape == (data["obs_var"].size,)
    vn = VecNormalize(SB3VecEnv.from_env(serial_v0.parallel_env(preset="liu2022", agent_id=True), 1))
    vn.obs_rms.mean, vn.obs_rms.var = data["obs_mean"], data["obs_var"]
    obs = np.random.default_rng(0).normal(3.0, 2.0, (5, data["obs_mean"].size)).astype(np.float32)
    norm = ObsNormalizer.load(run / "model.vecnormalize.npz")
    np.testing.assert_array_equal(norm(obs), vn.normalize_obs(obs))
    # round trip through the saver
    out = save_vecnormalize(vn, run.parent / "copy.npz")
    np.testing.assert_array_equal(read_vecnormalize(out)["obs_var"], data["obs_var"])


def test_pickled_normaliser_is_refused_without_running_it(shared, tmp_path):
    marker = tmp_path / "pwned"
    (shared / "best_model.vecnormalize.npz").unlink()
    (shared / "best_model.vecnormalize.pkl").write_bytes(pickle.dumps(CreatesFile(marker)))
    with pytest.raises(ValueError, match="refused, a pickled VecNormalize can run code"):
        load_policy(shared / "best_model.zip")
    with pytest.raises(ValueError, match="pickled VecNormalize"):
        policy_factory(serial_v0.parallel_env(preset="liu2022"), str(shared))
    assert not marker.exists()
    # the same file under the .npz name: not a zip archive, refused before any reading
    (shared / "best_model.vecnormalize.pkl").rename(shared / "best_model.vecnormalize.npz")
    with pytest.raises(ValueError, match="pickled VecNormalize files"):
        load_policy(shared)
    assert not marker.exists()


def test_npz_with_object_arrays_is_refused(shared, tmp_path, capsys):
    marker = tmp_path / "pwned"
    npz = shared / "best_model.vecnormalize.npz"
    good = read_vecnormalize(npz)
    with open(npz, "wb") as fh:
        np.savez(
            fh,
            obs_mean=np.array([CreatesFile(marker)], dtype=object),
            **{k: good[k] for k in ("obs_var", "obs_count", "ret_mean", "ret_var", "ret_count")},
            settings=json.dumps(good["settings"]),
        )
    with pytest.raises(ValueError, match="refused, it holds arrays that only unpickling could read"):
        load_policy(shared)
    # the command line: one line, exit 2
    assert main(["train", "ppo", "--eval-only", str(shared / "best_model.zip"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refused" in err
    assert not marker.exists()


def _rewrite_zip(path: Path, entries: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files.update(entries)
    with zipfile.ZipFile(path, "w") as z:
        for n, b in files.items():
            z.writestr(n, b)


def _serialized(obj) -> dict[str, str]:
    return {":type:": "<class 'x'>", ":serialized:": base64.b64encode(cloudpickle.dumps(obj)).decode()}


def test_pickled_values_in_the_model_are_never_decoded(shared, tmp_path):
    """SB3's ``data`` may hold cloudpickled values under any key: the safe loader drops them.
    SB3's own ``load`` unpickles every such key that ``custom_objects`` does not name, so a
    crafted key runs code there (what docs/models.md says)."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.save_util import json_to_data

    model = shared / "best_model.zip"
    with zipfile.ZipFile(model) as z:
        data = json.loads(z.read("data"))
    original = json_to_data(json.dumps(data))  # our own file: its pickled values are safe to read
    marker = tmp_path / "pwned"
    data["innocent_looking_key"] = _serialized(CreatesFile(marker))
    _rewrite_zip(model, {"data": json.dumps(data).encode()})
    assert _cost(load_policy(shared)) > 0 and not marker.exists()
    replaced = {
        k: original[k] for k, v in original.items() if isinstance(data[k], dict) and ":serialized:" in data[k]
    }
    PPO.load(model, device="cpu", custom_objects=replaced)  # everything SB3 itself pickles replaced...
    assert marker.exists()  # ...and the crafted key still ran


def test_weights_that_need_unpickling_are_refused(shared, tmp_path):
    import io

    import torch

    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    torch.save({"action_net.weight": CreatesFile(marker)}, buf)
    _rewrite_zip(shared / "best_model.zip", {"policy.pth": buf.getvalue()})
    with pytest.raises(ValueError, match="policy.pth is not plain tensors"):
        load_policy(shared)
    assert not marker.exists()


def test_policy_kwargs_that_need_unpickling_are_refused(shared, tmp_path):
    model = shared / "best_model.zip"
    with zipfile.ZipFile(model) as z:
        data = json.loads(z.read("data"))
    marker = tmp_path / "pwned"
    data["policy_kwargs"] = _serialized(CreatesFile(marker))
    _rewrite_zip(model, {"data": json.dumps(data).encode()})
    with pytest.raises(ValueError, match="policy_kwargs"):
        load_policy(shared)
    assert not marker.exists()


def test_factory_arguments(run):
    env = serial_v0.parallel_env(preset="liu2022")
    with pytest.raises(ValueError, match="ppo:PATH needs the path"):
        policy_factory(env, "")
    with pytest.raises(ValueError, match="no such model file"):
        policy_factory(env, str(run / "nope.zip"))
    with pytest.raises(ValueError, match="trained for 3 agents, the env has 4"):
        policy_factory(inventory_zoo.beer_game_v0.parallel_env(), str(run))
    with pytest.raises(
        ValueError,
        match="trained on serial_v0/liu2022 with rows of 11 entries; this env.s observations make rows of 12",
    ):
        policy_factory(serial_v0.parallel_env(preset="liu2022", order_delays=1), str(run))


def test_convert_a_legacy_pickle_you_made(run, tmp_path):
    from stable_baselines3.common.vec_env import VecNormalize

    from inventory_zoo.agents.ppo import convert_vecnormalize
    from inventory_zoo.envs.sb3 import SB3VecEnv

    vn = VecNormalize(SB3VecEnv.from_env(serial_v0.parallel_env(preset="liu2022"), 1))
    vn.obs_rms.mean = np.arange(vn.obs_rms.mean.size, dtype=np.float64)
    vn.save(str(tmp_path / "old.vecnormalize.pkl"))
    out = convert_vecnormalize(tmp_path / "old.vecnormalize.pkl")
    assert out.name == "old.vecnormalize.npz"
    np.testing.assert_array_equal(read_vecnormalize(out)["obs_mean"], vn.obs_rms.mean)
