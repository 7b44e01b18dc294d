"""Train HAPPO (one actor per agent, a centralised critic) on an inventory-zoo env, then load the
saved model the way anyone you share it with would, and evaluate it as any other policy.

    python examples/train_happo.py --env serial_v0 --timesteps 200000
    python examples/train_happo.py --env beer_game_v0 --reward-mix 1 --action-mode level
    python examples/train_happo.py --help                  # every setting, with its meaning

Every field of :class:`inventory_zoo.agents.happo.Args` is a flag (tyro builds them from the
dataclass; the field docstrings are the help). The installed command ``inventory-zoo train happo``
takes the same flags, plus ``--paper`` (Liu et al.'s settings) and ``--eval-only``.
"""

from __future__ import annotations

import tyro

from inventory_zoo import evaluate
from inventory_zoo.agents import happo


def main(argv: list[str] | None = None) -> happo.TrainResult:
    # 1. Settings: the defaults of happo.Args, changed by the flags given.
    args = tyro.cli(happo.Args, args=argv, description=__doc__)

    # 2. Train. Logs go to <run_dir>/tb (tensorboard --logdir runs/happo), the best model to
    #    <run_dir>/best.pt, resumable checkpoints to <run_dir>/last.pt. At the end the best model
    #    is compared with the baselines on fresh episodes (inventory_zoo.baselines).
    result = happo.train(args)
    print(
        f"\nbest evaluation cost {result.best_cost:.3f} per period (iteration {result.best_iteration}); "
        f"{result.global_step:,} env-steps in {result.wall_time:.0f} s; run directory {result.run_dir}"
    )

    # 3. The best model is a data file (tensors and settings): loading it runs no code from it.
    if result.run_dir is not None and (result.run_dir / "best.pt").exists():
        policy = happo.load_policy(result.run_dir / "best.pt")
        env = happo.make_env(args)
        report = evaluate(env, policy, episodes=10, seed=123)
        print(f"\nthe saved model, reloaded, on 10 episodes from seed 123:\n{report.table()}")
    return result


if __name__ == "__main__":
    main()
