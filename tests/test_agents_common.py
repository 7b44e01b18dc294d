"""inventory_zoo.agents.common: usage errors, devices, run directories, bars, the CLI wrapper."""

from __future__ import annotations

import pytest

from inventory_zoo.agents.common import UsageError, prepare_run_dir, progress, resolve_device, run_cli


def test_resolve_device(monkeypatch):
    import torch

    assert resolve_device("cpu") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    with pytest.raises(UsageError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(UsageError, match="CUDA is not available"):
        resolve_device("cuda:1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda" and resolve_device("cuda:1") == "cuda:1"
    for bad in ("gpu", "cuda:x", ""):
        with pytest.raises(UsageError, match="--device must be"):
            resolve_device(bad)


def test_prepare_run_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = prepare_run_dir(None, default_name="serial_v0-s0", overwrite=False)
    assert run.resolve() == tmp_path / "runs" / "serial_v0-s0"
    assert run.is_dir()
    assert prepare_run_dir(run, default_name="x", overwrite=False) == run  # empty: fine
    (run / "model.zip").write_text("old")
    with pytest.raises(UsageError, match="--overwrite"):
        prepare_run_dir(run, default_name="x", overwrite=False)
    assert prepare_run_dir(run, default_name="x", overwrite=True) == run
    assert (run / "model.zip").read_text() == "old"  # nothing deleted
    with pytest.raises(UsageError, match="is a file"):
        prepare_run_dir(run / "model.zip", default_name="x", overwrite=True)


def test_progress_never_overshoots_and_is_quiet_without_a_terminal(capsys):
    with progress(100, "x") as bar:  # pytest's stderr is not a terminal
        assert not bar.enabled
        for _ in range(7):
            bar.update(16)
        assert bar.n == 100
    with progress(100, "x", enabled=True, initial=40) as bar:
        assert bar.enabled
        bar.update(48)
        bar.update(48)
        assert bar.n == 100 and bar._bar.n == 100
        bar.set(50)  # never backwards
        assert bar._bar.n == 100
    err = capsys.readouterr().err
    assert "100/100" in err and "136" not in err and "101/100" not in err


def test_run_cli(capsys):
    def usage():
        raise UsageError("--env: unknown env 'x'")

    def interrupted():
        raise KeyboardInterrupt("interrupted at 512 steps; resume with --resume runs/a")

    assert run_cli(lambda: None) == 0 and run_cli(lambda: 3) == 3
    assert run_cli(usage) == 2
    assert capsys.readouterr().err == "error: --env: unknown env 'x'\n"
    assert run_cli(interrupted) == 130
    assert capsys.readouterr().err == "interrupted at 512 steps; resume with --resume runs/a\n"

    def bare():
        raise KeyboardInterrupt

    assert run_cli(bare) == 130 and capsys.readouterr().err == "interrupted\n"
    with pytest.raises(ValueError):  # other errors are bugs: their traceback is kept
        run_cli(lambda: int("x"))
