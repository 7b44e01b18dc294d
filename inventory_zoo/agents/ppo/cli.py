"""``inventory-zoo train ppo``: the command line of :class:`~inventory_zoo.agents.ppo.config.Args`
(built by tyro; every field is a ``--flag``, its docstring the help).

A run directory (``--out``, default ``runs/{env}-{preset}-{path}-s{seed}``) holds
``config.json`` (the arguments), ``model.zip`` + ``model.vecnormalize.npz`` (the final policy
and its normalisation statistics), ``best_model.zip`` + ``best_model.vecnormalize.npz`` (the
lowest validation cost seen), ``checkpoints/`` (``ppo_{K}_steps.zip`` +
``ppo_vecnormalize_{K}_steps.npz``, resumable), ``tb/`` (TensorBoard), ``curve.csv``,
``learning_curve.png``, ``timing.json`` and ``evaluation.json`` (the final table).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from inventory_zoo.agents.common import UsageError, prepare_run_dir, run_cli
from inventory_zoo.agents.ppo.config import Args, load_config

__all__ = ["main", "parse_args", "run", "start_run"]


def parse_args(argv: list[str] | None = None) -> Args:
    """``argv`` as :class:`Args` (``--help`` prints every flag with its docstring)."""
    import tyro

    return tyro.cli(Args, args=argv, prog="inventory-zoo train ppo")


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and train (or evaluate); usage errors and Ctrl-C end in one line."""
    return run_cli(lambda: run(parse_args(argv)))


def run(args: Args) -> int:
    """Train as ``args`` says (or resume, or only evaluate), then print the table of the models
    next to the baselines."""
    from inventory_zoo.agents.common import resolve_device

    device = resolve_device(args.device)  # before anything slow: --device cuda without CUDA fails at once
    if args.eval_only is not None:
        return _eval_only(args, device)
    if args.resume is not None:
        return _resume(args)
    return _train_and_evaluate(args, start_run(args), resume=False)


def start_run(args: Args) -> Path:
    """Settle ``args`` (the env's default preset, the automatic ``max_level``), check them,
    and create the run directory with its ``config.json``; returns the directory.

    Raises:
        UsageError: bad settings, or ``--out`` holds another run and ``--overwrite`` is off.
    """
    from inventory_zoo.agents.ppo.envs import check_action_args, make_env, max_level, resolve_preset

    args.preset = resolve_preset(args.env, args.preset) or "none"
    check_action_args(args)
    if args.actions == "order-up-to" and args.max_level is None:  # config.json holds the value used
        args.max_level = max_level(args, make_env(args))
    path = "vector" if args.vector else "supersuit"
    run_dir = prepare_run_dir(
        args.out, default_name=f"{args.env}-{args.preset}-{path}-s{args.seed}", overwrite=args.overwrite
    )
    (run_dir / "config.json").write_text(json.dumps(dataclasses.asdict(args), indent=2))
    return run_dir


def _train_and_evaluate(args: Args, run_dir: Path, resume: bool) -> int:
    import csv

    from inventory_zoo.agents.ppo.evaluate import evaluate_run
    from inventory_zoo.agents.ppo.training import train

    rows = None
    if resume and (run_dir / "curve.csv").exists():
        with open(run_dir / "curve.csv") as fh:
            rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(fh)]
    stats = train(args, run_dir, resume=resume, rows=rows)
    (run_dir / "timing.json").write_text(json.dumps(stats, indent=2))
    evaluate_run(args, run_dir)
    return 0


def _resume(cli: Args) -> int:
    """Continue the run in ``cli.resume`` with its saved arguments (device, progress and the
    torch threads from this command line)."""
    run_dir = Path(cli.resume)
    cfg = run_dir / "config.json"
    if not cfg.is_file():
        raise UsageError(f"--resume {run_dir}: no config.json there (not a PPO run directory)")
    args = Args(**load_config(cfg))
    args.device, args.progress, args.torch_threads = cli.device, cli.progress, cli.torch_threads
    args.out = str(run_dir)
    return _train_and_evaluate(args, run_dir, resume=True)


def _eval_only(args: Args, device: str) -> int:
    """Evaluate a model file, or the final and best models of a run directory, with the env
    settings they were trained with (evaluation options from this command line)."""
    from inventory_zoo.agents.ppo.evaluate import evaluate_models
    from inventory_zoo.agents.ppo.models import load_policy_settings, model_file

    path = Path(args.eval_only)
    if path.is_dir():
        models = {
            label: path / name
            for label, name in (("PPO (final)", "model.zip"), ("PPO (best on validation)", "best_model.zip"))
            if (path / name).is_file()
        }
        if not models:
            raise UsageError(f"--eval-only {path}: a directory without model.zip or best_model.zip")
    elif path.is_file():
        models = {f"PPO {path.name}": path}
    else:
        raise UsageError(f"--eval-only {path}: no such model file or run directory")
    try:
        saved = load_policy_settings(model_file(next(iter(models.values()))))
    except ValueError as e:
        raise UsageError(f"--eval-only: {e}") from None
    for k, v in saved.items():
        if k != "n_agents":
            setattr(args, k, v)
    try:
        evaluate_models(args, models, None, device=device)
    except ValueError as e:  # refused files (pickles) and foreign files
        raise UsageError(f"--eval-only: {e}") from None
    return 0
