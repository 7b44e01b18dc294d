"""What `pip install inventory-zoo` does: build the wheel and sdist, install the wheel into a
fresh virtual environment, import the package and play one episode. Also: the docs build
strictly, the package never imports torch, and the code is lint-clean."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EPISODE = """
import sys
import inventory_zoo
from inventory_zoo import serial_v0
assert "torch" not in sys.modules
env = serial_v0.parallel_env(preset="liu2022", max_cycles=20)
obs, _ = env.reset(seed=0)
while env.agents:
    obs, rew, term, trunc, info = env.step({a: 10 for a in env.agents})
print("episode ok", inventory_zoo.__version__)
"""


def test_import_does_not_pull_torch():
    code = "import sys, inventory_zoo, inventory_zoo.policies, inventory_zoo.envs; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_wheel_and_sdist_install_into_fresh_venv(tmp_path):
    # (build is in the dev extra, which the test install includes: missing, this fails)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--sdist", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    wheels = list(dist.glob("inventory_zoo-0.1.0-*.whl"))
    sdists = list(dist.glob("inventory_zoo-0.1.0.tar.gz"))
    assert wheels and sdists
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheels[0])], check=True, capture_output=True)
    out = subprocess.run([str(py), "-c", EPISODE], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "episode ok 0.1.0" in out.stdout
    # The learners' commands come with the wheel too: its files alone (installed without the
    # train extra's packages into a folder of their own, which comes first on the path, with
    # this interpreter's torch, SB3 and tyro) answer `train ppo|happo --help`, outside the checkout.
    target = tmp_path / "wheel_files"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheels[0])],
        check=True,
        capture_output=True,
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    where = subprocess.run(
        [sys.executable, "-c", "import inventory_zoo; print(inventory_zoo.__file__)"],
        capture_output=True, text=True, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert where.stdout.strip().startswith(str(target)), where.stdout + where.stderr
    for algo in ("ppo", "happo"):
        out = subprocess.run(
            [sys.executable, "-m", "inventory_zoo.cli", "train", algo, "--help"],
            capture_output=True, text=True, cwd=tmp_path, env=env,
        )  # fmt: skip
        assert out.returncode == 0 and "--env" in out.stdout and "--timesteps" in out.stdout, out.stderr


def test_docs_build_strict(tmp_path):
    # The docs extra is part of the test install (README, .ci/run): a missing mkdocs fails here.
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_clean():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "."], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout
