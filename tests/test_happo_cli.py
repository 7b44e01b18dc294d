"""``inventory-zoo train happo`` (inventory_zoo.agents.happo.cli): usage errors in one line with
exit 2, runs that never overwrite another, --eval-only on a file or a run directory, --resume,
Ctrl-C that saves a checkpoint which resumes bit for bit, --paper, and a progress bar that is
silent without a terminal and never shows ``cost nan``."""

from __future__ import annotations

import json
import os
import signal
import sys

import torch

from inventory_zoo.agents import common, happo
from inventory_zoo.agents.happo import cli, training

SMALL = [
    "--env", "serial_v0", "--preset", "none", "--device", "cpu", "--seed", "0",
    "--env-kwargs", json.dumps({"num_stages": 2, "max_cycles": 10, "max_order": 6}),
    "--num-envs", "4", "--num-steps", "10", "--eval-interval", "2", "--eval-episodes", "2",
    "--checkpoint-interval", "2", "--no-final-table", "--no-tensorboard", "--no-progress",
]  # fmt: skip


def _params(path) -> list[torch.Tensor]:
    ck = torch.load(path / "last.pt", weights_only=False)
    lrn = ck["learner"]
    return [t for sd in [*lrn["actors"], lrn["critic"]] for t in sd.values()]


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_cuda_without_cuda_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cli.main([*SMALL, "--device", "cuda", "--out", str(tmp_path / "r")]) == 2
    line = _one_line(capsys)
    assert line.startswith("error: --device cuda") and "CUDA is not available" in line
    assert not (tmp_path / "r").exists()


def test_bad_settings_are_one_line(capsys):
    assert cli.main(["--policy", "lstm"]) == 2
    assert "Args.policy='lstm'" in _one_line(capsys)
    assert cli.main(["--env", "serial_v9"]) == 2
    assert "serial_v9" in _one_line(capsys)


def test_a_run_never_overwrites_another(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert cli.main([*SMALL, "--timesteps", "40", "--out", out]) == 0
    first = (tmp_path / "run" / "best.pt").read_bytes()
    capsys.readouterr()
    assert cli.main([*SMALL, "--timesteps", "40", "--seed", "1", "--out", out]) == 2
    assert "--overwrite" in _one_line(capsys)
    assert (tmp_path / "run" / "best.pt").read_bytes() == first
    assert cli.main([*SMALL, "--timesteps", "40", "--seed", "1", "--run-dir", out, "--overwrite"]) == 0
    assert (tmp_path / "run" / "best.pt").read_bytes() != first


def test_eval_only_takes_a_model_file_or_a_run_directory(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main([*SMALL, "--timesteps", "80", "--out", str(out)]) == 0
    capsys.readouterr()
    tables = []
    for target in (out / "best.pt", out):
        assert cli.main(["--eval-only", str(target), "--test-episodes", "3", "--device", "cpu", "--heuristic-budget", "2"]) == 0
        text = capsys.readouterr().out
        assert "happo" in text and "base-stock" in text and "test: 3 episodes" in text
        tables.append(text.split("\n", 1)[1])
    assert tables[0] == tables[1]
    assert cli.main(["--eval-only", str(tmp_path / "nothing")]) == 2
    assert "no model file" in _one_line(capsys)


def test_resume_continues_a_run(tmp_path):
    out = tmp_path / "run"
    assert cli.main([*SMALL, "--timesteps", "40", "--out", str(out)]) == 0
    assert cli.main(["--resume", str(out), "--timesteps", "80", "--no-progress", "--no-final-table"]) == 0
    ck = torch.load(out / "last.pt", weights_only=False)
    assert ck["record"]["global_step"] == 80 and ck["record"]["iteration"] == 2


def test_ctrl_c_saves_a_checkpoint_that_resumes_exactly(tmp_path, monkeypatch, capsys):
    full, cut = tmp_path / "full", tmp_path / "cut"
    assert cli.main([*SMALL, "--timesteps", "160", "--out", str(full)]) == 0
    shown = training.Trainer.show_progress

    def show_then_interrupt(self):
        shown(self)
        if self.record.iteration == 1:  # mid-run, away from a numbered checkpoint
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(training.Trainer, "show_progress", show_then_interrupt)
    capsys.readouterr()
    assert cli.main([*SMALL, "--timesteps", "160", "--out", str(cut)]) == 130
    assert _one_line(capsys) == f"interrupted after 40 env-steps; resume with --resume {cut}"
    assert torch.load(cut / "last.pt", weights_only=False)["record"]["iteration"] == 1
    monkeypatch.setattr(training.Trainer, "show_progress", shown)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is restored
    assert cli.main(["--resume", str(cut), "--no-progress"]) == 0
    for a, b in zip(_params(full), _params(cut), strict=True):
        assert torch.equal(a, b)


def test_paper_settings_with_flags_on_top():
    cmd = cli.parse(["--paper", "--hidden-sizes", "16", "--chunk-length", "5", "--timesteps", "7000"])
    assert cmd.paper and cmd.config.policy == "gru" and cmd.config.gru_layers == 2
    assert cmd.config.hidden_sizes == (16,) and cmd.config.total_timesteps == 7000
    assert cmd.config.actor_lr == happo.paper_args().actor_lr
    assert cli.parse([]).config == happo.Args()


def test_progress_is_silent_without_a_terminal_and_never_nan(tmp_path, capsys, monkeypatch):
    flags = [f for f in SMALL if f != "--no-progress"]
    assert cli.main([*flags, "--timesteps", "80", "--out", str(tmp_path / "a")]) == 0
    assert capsys.readouterr().err == ""  # stderr is not a terminal under pytest
    # Drawn (as on a terminal): no 'nan' while no training episode has ended yet.
    monkeypatch.setattr(training, "progress", lambda total, desc, initial, enabled: common.Progress(
        total, desc, initial=initial, enabled=True, file=sys.stderr, mininterval=0))  # fmt: skip
    long_episodes = json.dumps({"num_stages": 2, "max_cycles": 30, "max_order": 6})
    assert (
        cli.main([*flags, "--env-kwargs", long_episodes, "--timesteps", "120", "--out", str(tmp_path / "b")])
        == 0
    )
    err = capsys.readouterr().err
    assert "120/120" in err and "nan" not in err and "cost -" in err
