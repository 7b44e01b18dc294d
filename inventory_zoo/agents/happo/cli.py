"""``inventory-zoo train happo``: HAPPO's command line, built by tyro from :class:`Args` (every
field is a flag; its docstring is the help).

    inventory-zoo train happo --env serial_v0 --timesteps 2000000
    inventory-zoo train happo --env network_v0 --device cuda
    inventory-zoo train happo --paper --timesteps 200000         # Liu et al.'s settings
    inventory-zoo train happo --resume runs/happo/<run>          # continue a run (your own files only)
    inventory-zoo train happo --eval-only runs/happo/<run>       # its best model next to the baselines

Exit status: 0 done, 2 a usage error (one line, e.g. ``--device cuda`` without CUDA, an ``--out``
that holds another run), 130 interrupted (Ctrl-C saves a resumable checkpoint first).
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, replace
from typing import Annotated

import tyro

from inventory_zoo.agents.common import UsageError, resolve_device, run_cli
from inventory_zoo.agents.happo.checkpoint import build_policy, load_checkpoint, read_model
from inventory_zoo.agents.happo.config import Args, make_env, paper_args
from inventory_zoo.agents.happo.training import RESUME_OVERRIDES, train

__all__ = ["HappoCommand", "main", "parse"]

PROG = "inventory-zoo train happo"


@dataclass
class HappoCommand:
    """Train HAPPO (one actor per agent, a centralised critic) on an inventory-zoo env, or
    evaluate a saved model next to the baselines."""

    config: Annotated[Args, tyro.conf.OmitArgPrefixes, tyro.conf.arg(name="")]
    paper: bool = False
    """start from Liu et al.'s settings (``happo.paper_args``); the flags given override them"""
    eval_only: str | None = None
    """evaluate a model file (``best.pt``) or a run directory next to the baselines on
    ``test_episodes`` episodes from ``test_seed``, and exit (no training). Model files load as
    data: no code of the file runs"""


def parse(argv: list[str] | None = None) -> HappoCommand:
    """The command of ``argv``; bad settings raise :class:`UsageError`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # --paper changes the defaults the other flags override, so it is read before tyro parses.
    base = paper_args() if "--paper" in argv else Args()
    try:
        return tyro.cli(HappoCommand, args=argv, default=HappoCommand(config=base), prog=PROG)
    except ValueError as e:  # Args.__post_init__ names the setting and what is allowed
        raise UsageError(str(e)) from None


def evaluate_model(path: str, cfg: Args) -> int:
    """Print a model's table: the model and the baselines of its env on the same fresh episodes."""
    from inventory_zoo.baselines import baseline_table, format_table

    try:
        model = read_model(path)
        policy = build_policy(model, resolve_device(cfg.device))
        env = make_env(model.config())
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None
    trained = model.config()
    print(f"HAPPO model {model.path} (iteration {model.iteration}, evaluation cost {model.best_cost:.3f}) "
          f"on {trained.env} preset={trained.env_preset}")  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rows = baseline_table(
            env, {"happo": policy}, episodes=cfg.test_episodes, seed=cfg.test_seed,
            heuristic_budget=cfg.heuristic_budget,
        )  # fmt: skip
    print(format_table(rows, title=f"test: {cfg.test_episodes} episodes from seed {cfg.test_seed}"))
    return 0


def _typed(argv: list[str], name: str) -> bool:
    """Whether the field ``name`` was given on the command line (under any of its spellings)."""
    flag = "--" + name.replace("_", "-")
    spellings = {flag, "--no-" + flag[2:], *(("--timesteps",) if name == "total_timesteps" else ())}
    return any(tok.split("=", 1)[0] in spellings for tok in argv)


def _resume_config(cfg: Args, argv: list[str]) -> Args:
    """A resumed run keeps its checkpoint's settings, but for those of :data:`RESUME_OVERRIDES`
    typed on this command line (an omitted ``--timesteps`` keeps the run's budget)."""
    try:
        saved = Args(**load_checkpoint(cfg.resume)["config"])  # type: ignore[arg-type]
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(f"--resume {cfg.resume}: {e}") from None
    return replace(cfg, **{k: getattr(saved, k) for k in RESUME_OVERRIDES if not _typed(argv, k)})


def _run(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    cmd = parse(argv)
    if cmd.eval_only is not None:
        return evaluate_model(cmd.eval_only, cmd.config)
    cfg = _resume_config(cmd.config, argv) if cmd.config.resume else cmd.config
    resolve_device(cfg.device)  # --device cuda without CUDA: one line, exit 2
    result = train(cfg)
    print(
        f"\nbest evaluation cost {result.best_cost:.3f} per period (iteration {result.best_iteration}); "
        f"{result.global_step:,} env-steps in {result.wall_time:.0f} s = {result.sps:,.0f} env-steps/s; "
        f"run directory {result.run_dir}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command; return its exit status (see the module's docstring)."""
    return run_cli(lambda: _run(argv))


if __name__ == "__main__":
    sys.exit(main())
