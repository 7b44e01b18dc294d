"""Train one PPO policy for every agent of an inventory-zoo env, then compare it with base-stock.

This script is a walk through the steps, each a call into :mod:`inventory_zoo.agents.ppo`
(the same code ``inventory-zoo train ppo`` runs, with ``--resume`` and Ctrl-C checkpoints)::

    python examples/train_ppo.py --env serial_v0 --preset snyder_shen_6_1 --vector
    python examples/train_ppo.py --env beer_game_v0 --timesteps 300000 --vector
    python examples/train_ppo.py --eval-only runs/serial_v0-snyder_shen_6_1-vector-s0

Every option and its default: ``python examples/train_ppo.py --help``; the settings and how
they were chosen: ``docs/ppo.md``.

The idea, in four lines: a PettingZoo ParallelEnv of N agents, copied ``n_envs`` times,
becomes an SB3 vec env of ``n_envs x N`` rows (one per agent per copy); one PPO policy acts
for every row (the agent's one-hot id in its observation lets it act differently per stage);
its action in ``[-1, 1]`` is an order-up-to level; the agent orders what lifts its inventory
position to that level.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import tyro

from inventory_zoo.agents.common import resolve_device, run_cli
from inventory_zoo.agents.ppo import Args
from inventory_zoo.agents.ppo.callbacks import CheckpointCallback, CurveCallback, ProgressCallback, save_model
from inventory_zoo.agents.ppo.cli import run as run_command
from inventory_zoo.agents.ppo.cli import start_run
from inventory_zoo.agents.ppo.envs import check_action_args, make_env
from inventory_zoo.agents.ppo.evaluate import evaluate_run
from inventory_zoo.agents.ppo.training import build_model, wrap_vec_env


def train(args: Args, run_dir: Path) -> dict[str, float]:
    """Steps 1-4: env, vec env, PPO, learning. Everything lands in ``run_dir``."""
    import torch
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.utils import set_random_seed

    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)
    set_random_seed(args.seed)  # Python, numpy and torch; the env copies get seed + b below

    # 1. The env: a PettingZoo ParallelEnv. Training uses each agent's reward; with
    #    `reward_mix` (default: the team's cost when some stage has no backorder cost) the
    #    agents share part of the cost. Evaluation always reports the raw system cost.
    env = make_env(args)
    check_action_args(args, env)

    # 2. The vec env: one row per agent per copy, through SuperSuit (the ecosystem's
    #    convention) or, with --vector, the library's batched VectorEnv (same rows, same
    #    transitions for the same seed, many times faster). Wrapped for order-up-to actions,
    #    episode statistics (VecMonitor) and reward scaling (VecNormalize).
    venv = wrap_vec_env(args)

    # 3. PPO, whose Gaussian starts at the mean demand's order-up-to level. The action
    #    mapping is saved inside the model file, so loaders apply it as in training.
    curve = CurveCallback(args, env, run_dir, every=max(args.timesteps // max(args.curve_points, 1), 1))
    model = build_model(args, venv, env, curve.schedule, run_dir)
    print(
        f"training PPO on {args.env}/{args.preset} ({'vector env' if args.vector else 'SuperSuit'} path): "
        f"{args.n_envs} copies x {len(env.possible_agents)} agents = {venv.num_envs} rows, "
        f"{args.timesteps} timesteps, reward mix {env.batch.reward_mix}, device {model.device}",
        flush=True,
    )

    # 4. Learn. The callbacks score the greedy policy on validation episodes (curve.csv,
    #    best_model.zip), save checkpoints and draw the progress bar.
    callbacks = CallbackList(
        [
            CheckpointCallback(run_dir, args.checkpoint_every),
            curve,
            ProgressCallback(args.timesteps, args.progress),
        ]
    )
    t0 = time.perf_counter()
    model.learn(args.timesteps, callback=callbacks)
    wall = time.perf_counter() - t0

    # The final policy and its normaliser's statistics (plain arrays, .npz).
    save_model(model, run_dir / "model.zip")
    venv.close()
    train_seconds = curve.rows[-1]["seconds"] if curve.rows else wall
    steps_per_second = model.num_timesteps / len(env.possible_agents) / max(train_seconds, 1e-9)
    print(
        f"trained in {wall:.1f} s ({train_seconds:.1f} s without validation), {steps_per_second:.0f} env-steps/s"
    )
    return {
        "wall_seconds": wall,
        "train_seconds": train_seconds,
        "timesteps": int(model.num_timesteps),
        "env_steps_per_second": steps_per_second,
    }


def main(argv: list[str] | None = None) -> int:
    args = tyro.cli(Args, args=argv, description=__doc__.split("\n\n")[0])
    if args.eval_only is not None or args.resume is not None:
        return run_cli(lambda: run_command(args))  # the package's --eval-only and --resume

    def run() -> int:
        resolve_device(args.device)
        run_dir = start_run(args)  # default preset, checks, run directory and its config.json
        stats = train(args, run_dir)
        (run_dir / "timing.json").write_text(json.dumps(stats, indent=2))
        # 5. Evaluate the final and the best model next to the base-stock baselines (the
        #    Clark-Scarf optimum where it is exact, the searched levels, naive rules), all on
        #    the same fresh episodes.
        evaluate_run(args, run_dir)
        return 0

    return run_cli(run)


if __name__ == "__main__":
    sys.exit(main())
