"""Training: build the vec env and SB3's PPO from :class:`~inventory_zoo.agents.ppo.config.Args`,
learn with the curve, checkpoint and progress callbacks, save the final model; resume from a
checkpoint; on Ctrl-C save a resumable checkpoint first."""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from inventory_zoo.agents.common import UsageError, resolve_device
from inventory_zoo.agents.ppo.callbacks import CheckpointCallback, CurveCallback, ProgressCallback, save_model
from inventory_zoo.agents.ppo.config import Args
from inventory_zoo.agents.ppo.envs import (
    action_mapping,
    check_action_args,
    log_std_init,
    make_env,
    make_vec_env,
)
from inventory_zoo.agents.ppo.models import settings_to_save, vecnormalize_path
from inventory_zoo.agents.ppo.normalizer import restore_vecnormalize
from inventory_zoo.baselines import mean_demand
from inventory_zoo.envs.unwrap import unwrap_env

__all__ = ["wrap_vec_env", "build_model", "start_at_mean_demand", "train", "latest_checkpoint"]


def wrap_vec_env(args: Args):
    """:func:`~inventory_zoo.agents.ppo.envs.make_vec_env` with the SB3 wrappers of training:
    continuous orders (``actions="continuous"``), episode statistics and ``VecNormalize``."""
    from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

    from inventory_zoo.envs.sb3 import ContinuousOrders

    with warnings.catch_warnings():
        # SuperSuit's SB3 wrapper does not answer get_attr("render_mode"); SB3 warns, harmlessly.
        warnings.filterwarnings("ignore", message="The `render_mode` attribute is not defined")
        venv = make_vec_env(args)
        if args.actions == "continuous":
            venv = ContinuousOrders(venv)
        venv = VecMonitor(venv)
        return VecNormalize(venv, norm_obs=args.norm_obs, norm_reward=args.norm_reward, gamma=args.gamma)


def build_model(args: Args, venv: Any, env: Any, schedule: Any, run_dir: Path):
    """SB3's PPO with the run's settings; the action mapping and env settings are saved inside
    every model file (SB3 saves the model's attributes) so that loaders apply them."""
    from stable_baselines3 import PPO

    policy_kwargs: dict[str, Any] = {"net_arch": [int(x) for x in args.net_arch.split(",") if x.strip()]}
    if args.actions != "discrete":
        policy_kwargs["log_std_init"] = log_std_init(args)
    model = PPO(
        "MlpPolicy",
        venv,
        learning_rate=schedule,
        n_steps=args.n_steps,
        batch_size=args.batch_size,
        n_epochs=args.n_epochs,
        gamma=args.gamma,
        gae_lambda=args.gae_lambda,
        clip_range=args.clip_range,
        ent_coef=args.ent_coef,
        policy_kwargs=policy_kwargs,
        tensorboard_log=str(run_dir / "tb"),
        device=resolve_device(args.device),
        verbose=0,
    )
    model.action_mapping = action_mapping(args, env)
    for k, v in settings_to_save(args, env).items():
        setattr(model, k, v)
    if args.actions != "discrete" and args.start_at_demand:
        start_at_mean_demand(model, env, model.action_mapping)
    return model


def start_at_mean_demand(model: Any, env, mapping: dict[str, Any] | None = None) -> None:
    """Set the bias of the Gaussian policy's mean so that every agent first orders the mean demand.

    The last layer of SB3's policy starts with tiny weights, so its output is its bias: 0,
    which is half of ``max_order`` after :class:`~inventory_zoo.envs.sb3.ContinuousOrders`, many
    times the demand in most envs. Stock then piles up for the first few hundred thousand steps.
    Starting at the mean demand per period (split over the suppliers) skips that phase.

    With order-up-to levels (``mapping["actions"] == "order-up-to"``) the start is the level
    ``mean demand x (lead time covered + 1)``, the stock that covers the mean demand over the
    replenishment time and the period itself, averaged over the agents (one bias serves all).
    """
    import torch

    from inventory_zoo.envs.sb3 import position_lead_times

    b = unwrap_env(env).batch
    if mapping is not None and mapping.get("actions") == "order-up-to":
        lead = position_lead_times(env, mapping["position"])
        level = float(np.mean(mean_demand(env) * (lead + 1.0)))
        bias = 2.0 * min(level, mapping["max_level"]) / mapping["max_level"] - 1.0
    else:
        bias = 2.0 * (mean_demand(env) / b.max_in) / b.max_order - 1.0
    with torch.no_grad():
        model.policy.action_net.bias.fill_(bias)


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The checkpoint of ``run_dir`` with the most steps (``checkpoints/ppo_{K}_steps.zip``)."""
    found = []
    for p in (run_dir / "checkpoints").glob("ppo_*_steps.zip"):
        m = re.fullmatch(r"ppo_(\d+)_steps\.zip", p.name)
        if m:
            found.append((int(m.group(1)), p))
    return max(found)[1] if found else None


def _load_checkpoint(path: Path, venv: Any, schedule: Any, device: str):
    """Resume from a checkpoint of this run: the user's own file, loaded in full by SB3 (its
    settings are cloudpickled; see docs/models.md); the normaliser from its ``.npz``."""
    from stable_baselines3 import PPO

    npz = vecnormalize_path(path)
    if npz.exists():
        restore_vecnormalize(venv, npz)
    # The schedule object is replaced so that the curve callback keeps driving it.
    return PPO.load(
        str(path),
        env=venv,
        device=device,
        custom_objects={"learning_rate": schedule, "lr_schedule": schedule},
    )


def train(args: Args, run_dir: Path, *, resume: bool = False, rows: list | None = None) -> dict[str, Any]:
    """Train PPO as ``args`` says, saving everything into ``run_dir``; returns timing figures.

    With ``resume``, training continues from the latest checkpoint of ``run_dir`` up to
    ``args.timesteps`` (the learning curve continues from ``rows``). Ctrl-C saves a checkpoint
    and re-raises ``KeyboardInterrupt`` with a one-line message naming it.
    """
    import torch
    from stable_baselines3.common.callbacks import CallbackList
    from stable_baselines3.common.utils import set_random_seed

    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)
    device = resolve_device(args.device)
    set_random_seed(args.seed)
    env = make_env(args)
    n_agents = len(env.possible_agents)
    check_action_args(args, env)
    venv = wrap_vec_env(args)
    curve = CurveCallback(args, env, run_dir, max(args.timesteps // max(args.curve_points, 1), 1), rows)
    ckpt = latest_checkpoint(run_dir) if resume else None
    if resume and ckpt is None:
        raise UsageError(f"--resume {run_dir}: no checkpoint in {run_dir / 'checkpoints'}")
    if ckpt is not None:
        model = _load_checkpoint(ckpt, venv, curve.schedule, device)
    else:
        model = build_model(args, venv, env, curve.schedule, run_dir)
    start = int(model.num_timesteps)
    checkpoints = CheckpointCallback(run_dir, args.checkpoint_every)
    bar = ProgressCallback(args.timesteps, args.progress)
    print(
        f"{'resuming' if start else 'training'} PPO on {args.env}/{args.preset} "
        f"({'vector env' if args.vector else 'SuperSuit'} path): {args.n_envs} copies x {n_agents} agents "
        f"= {venv.num_envs} rows, {args.timesteps} timesteps{f' from {start}' if start else ''}, "
        f"reward mix {env.batch.reward_mix}, device {model.device}",
        flush=True,
    )
    t0 = time.perf_counter()
    try:
        if start < args.timesteps:
            model.learn(
                args.timesteps - start,
                callback=CallbackList([checkpoints, curve, bar]),
                reset_num_timesteps=start == 0,
                tb_log_name="PPO",
            )
    except KeyboardInterrupt:
        if bar.bar is not None:
            bar.bar.close()
        checkpoints.model = model  # set by SB3 when learning starts; Ctrl-C may come before
        path = checkpoints.save()
        raise KeyboardInterrupt(
            f"interrupted at {model.num_timesteps:,} steps; saved {path}; continue with --resume {run_dir}"
        ) from None
    wall = time.perf_counter() - t0
    save_model(model, run_dir / "model.zip")
    venv.close()
    train_seconds = curve.rows[-1]["seconds"] if curve.rows else wall
    stats = {
        "wall_seconds": wall,
        "train_seconds": train_seconds,
        "timesteps": int(model.num_timesteps),
        "env_steps_per_second": model.num_timesteps / n_agents / max(train_seconds, 1e-9),
    }
    print(
        f"trained in {wall:.1f} s ({train_seconds:.1f} s without validation), "
        f"{stats['env_steps_per_second']:.0f} env-steps/s"
    )
    return stats
