"""``inventory-zoo train ppo``: the behaviours of issue 14 item 3, with budgets of a few hundred
steps (in-process through ``inventory_zoo.cli.main``; one subprocess for ``--help``).

- ``--env X`` alone trains on every env (its default preset), and writes the run's files;
- ``--device cuda`` without CUDA: one line, exit 2; unknown learners and bad options likewise;
- ``--eval-only`` takes a model file or a run directory;
- Ctrl-C saves a resumable checkpoint (model, normaliser, step count) and exits with one line;
  ``--resume RUN_DIR`` continues to the budget;
- a second run into the same ``--out`` is refused unless ``--overwrite``;
- the progress bar ends at exactly the budget and is silent when stderr is not a terminal.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from inventory_zoo.cli import main

TINY = [
    "--timesteps", "256", "--n-envs", "1", "--n-steps", "32", "--batch-size", "32", "--n-epochs", "1",
    "--max-cycles", "16", "--eval-max-cycles", "8", "--eval-episodes", "2", "--search-episodes", "1", "--heuristic-budget", "2",
    "--curve-points", "1", "--curve-episodes", "1", "--checkpoint-every", "128", "--device", "cpu", "--vector",
]  # fmt: skip


def _train(*argv: str) -> int:
    return main(["train", "ppo", *argv])


def _steps(model_zip: Path) -> int:
    with zipfile.ZipFile(model_zip) as z:
        return json.loads(z.read("data"))["num_timesteps"]


def test_help_from_the_console_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "inventory_zoo.cli", "train", "ppo", "--help"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    for flag in ("--eval-only", "--resume", "--overwrite", "--order-up-to-position", "--no-vector"):
        assert flag in out.stdout
    assert "training steps, one per agent per period" in out.stdout  # a field docstring as help


@pytest.mark.parametrize(
    "env, preset, agents", [("beer_game_v0", "classic", 4), ("network_v0", "liu2022_2x3", 6)]
)
def test_env_alone_uses_its_default_preset(tmp_path, env, preset, agents, capsys):
    run = tmp_path / "run"
    assert _train("--env", env, *TINY, "--out", str(run)) == 0
    assert json.loads((run / "config.json").read_text())["preset"] == preset
    for name in ("model.zip", "model.vecnormalize.npz", "best_model.zip", "evaluation.json", "curve.csv"):
        assert (run / name).is_file(), name
    # whole rollouts of 32 periods x agents rows, up to the budget
    assert _steps(run / "model.zip") == -(-256 // (32 * agents)) * 32 * agents
    out = capsys.readouterr().out
    assert f"training PPO on {env}/{preset}" in out and f"1 copies x {agents} agents" in out


def test_cuda_without_cuda_is_one_line_exit_2(monkeypatch, tmp_path, capsys):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert _train(*TINY, "--device", "cuda", "--out", str(tmp_path / "run")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "CUDA is not available" in err
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_usage_errors_are_one_line(tmp_path, capsys):
    assert main(["train", "sac"]) == 2
    assert "unknown learner 'sac'" in capsys.readouterr().err
    assert _train(*TINY, "--env", "nope", "--out", str(tmp_path / "a")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown env 'nope'" in err
    assert _train("--eval-only", str(tmp_path / "missing.zip")) == 2
    assert "no such model file or run directory" in capsys.readouterr().err


@pytest.fixture(scope="module")
def interrupted_run(tmp_path_factory):
    """A serial_v0 run (3 agents: 96 steps per rollout) interrupted by a real SIGINT after its
    first rollout, as Ctrl-C would."""
    from inventory_zoo.agents.ppo import callbacks

    run = tmp_path_factory.mktemp("cli") / "run"
    original = callbacks.ProgressCallback._on_step

    def ctrl_c_after_first_rollout(self):
        if self.num_timesteps >= 96 and not getattr(self, "fired", False):
            self.fired = True
            os.kill(os.getpid(), signal.SIGINT)
        return original(self)

    mp = pytest.MonkeyPatch()
    mp.setattr(callbacks.ProgressCallback, "_on_step", ctrl_c_after_first_rollout)
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            code = _train(*TINY, "--timesteps", "384", "--checkpoint-every", "100000", "--out", str(run))
    finally:
        mp.undo()
    return run, code, err.getvalue()


@pytest.fixture(scope="module")
def resumed_run(interrupted_run):
    """The interrupted run's checkpoint (name, steps), then ``--resume`` of the run and its output."""
    run, code, err = interrupted_run
    ckpts = sorted(p.name for p in (run / "checkpoints").iterdir())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        resumed = _train("--resume", str(run), "--device", "cpu")
    return run, ckpts, resumed, out.getvalue()


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes(interrupted_run, resumed_run):
    run, code, err = interrupted_run
    assert code == 130
    assert err.count("\n") == 1 and err.startswith("interrupted at ") and f"--resume {run}" in err
    _, ckpts, resumed, out = resumed_run
    assert len(ckpts) == 2 and ckpts[0].startswith("ppo_") and ckpts[1].startswith("ppo_vecnormalize_")
    steps = _steps(run / "checkpoints" / ckpts[0])
    assert 96 <= steps < 384 and ckpts[0] == f"ppo_{steps}_steps.zip"
    assert resumed == 0
    assert "resuming PPO on serial_v0/liu2022" in out and f"from {steps}" in out
    assert _steps(run / "model.zip") == 384  # the budget of the run, counted across both sessions
    assert json.loads((run / "timing.json").read_text())["timesteps"] == 384


def test_eval_only_takes_a_file_or_a_run_dir(resumed_run, capsys):
    run, *_ = resumed_run
    small = ["--eval-max-cycles", "8", "--eval-episodes", "2", "--search-episodes", "1", "--heuristic-budget", "2", "--device", "cpu"]
    assert _train("--eval-only", str(run), *small) == 0
    out = capsys.readouterr().out
    final = next(ln for ln in out.splitlines() if ln.startswith("PPO (final)"))
    assert "PPO (best on validation)" in out
    assert _train("--eval-only", str(run / "model.zip"), *small) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("PPO model.zip"))
    assert line.split()[3] == final.split()[3]  # the same model, the same episodes, the same cost


def test_a_run_never_overwrites_another(resumed_run, capsys):
    run, *_ = resumed_run
    before = sorted(p.name for p in run.iterdir())
    assert _train(*TINY, "--out", str(run)) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert sorted(p.name for p in run.iterdir()) == before


def test_progress_bar_ends_at_the_total_and_is_quiet_when_piped(tmp_path, monkeypatch, capsys):
    # pytest's stderr is not a terminal: no bar at all
    assert _train(*TINY, "--timesteps", "200", "--out", str(tmp_path / "a")) == 0
    assert "ppo:" not in capsys.readouterr().err
    # a terminal: SB3 stops after whole rollouts (288 steps) but the bar ends at 200/200
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert _train(*TINY, "--timesteps", "200", "--out", str(tmp_path / "b")) == 0
    err = capsys.readouterr().err
    assert _steps(tmp_path / "b" / "model.zip") == 288
    assert "200/200" in err and "288" not in err
