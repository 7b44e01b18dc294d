"""The envs PPO trains on: the ParallelEnv of a run's settings and the SB3 vec env over its
copies, on either path (SuperSuit's conversion or the library's vector env), with the action
mapping the settings ask for."""

from __future__ import annotations

from typing import Any

import numpy as np

from inventory_zoo.agents.common import UsageError
from inventory_zoo.agents.ppo.config import ACTIONS, Args
from inventory_zoo.envs.registry import env_entry, env_module
from inventory_zoo.envs.unwrap import unwrap_env

__all__ = [
    "resolve_preset",
    "env_kwargs",
    "make_env",
    "make_vec_env",
    "check_action_args",
    "max_level",
    "action_mapping",
    "log_std_init",
    "training_reward_mix",
]


def resolve_preset(env: str, preset: str | None) -> str | None:
    """The preset to build: ``preset``, the env's default preset when it is None, and no
    preset for ``"none"``.

    Raises:
        UsageError: ``env`` is not an env of the library.
    """
    try:
        entry = env_entry(env)
    except ValueError as e:
        raise UsageError(f"--env: {e}") from None
    if preset is None:
        return entry.default_preset
    return None if preset.lower() == "none" else preset


def env_kwargs(args: Args, train: bool = True) -> dict[str, Any]:
    """The env builder's arguments for these args (evaluation envs keep the env's episode length)."""
    kw: dict[str, Any] = {"agent_id": args.agent_id, "normalize_obs": args.scale_obs}
    if args.reward_mix is not None:
        kw["reward_mix"] = args.reward_mix
    if train and args.max_cycles is not None:
        kw["max_cycles"] = args.max_cycles
    return kw


def make_env(args: Args, train: bool = False):
    """A fresh ParallelEnv of ``args.env`` / ``args.preset`` (see :func:`resolve_preset`), with
    the training reward mix of :func:`training_reward_mix` unless ``args.reward_mix`` is set."""
    preset = resolve_preset(args.env, args.preset)
    module = env_module(args.env)
    try:
        env = module.parallel_env(preset=preset, **env_kwargs(args, train))
        if args.reward_mix is None and training_reward_mix(env) != env.batch.reward_mix:
            env = module.parallel_env(preset=preset, **env_kwargs(args, train), reward_mix=1.0)
    except (KeyError, ValueError, TypeError) as e:
        raise UsageError(f"{args.env}/{preset}: {e}") from None
    return env


def make_vec_env(args: Args, num_envs: int | None = None):
    """The SB3 vec env of ``num_envs`` copies, seeded ``args.seed + b``: SuperSuit or the adapter.

    Both paths give the same rows, ``b * N + i`` for agent ``i`` of copy ``b``, and for the
    same seed the same transitions; the copies are reset once with the seed here, so that the
    reset SB3 makes when learning starts continues their seeded generators.

    With ``actions="order-up-to"`` the actions are levels already here (the SuperSuit path can
    only map them inside the ParallelEnv); ``ContinuousOrders`` is added by the trainer.
    """
    from inventory_zoo.envs.sb3 import (
        BoolDones,
        OrderUpToActions,
        OrderUpToLevels,
        SB3VecEnv,
        TimeLimitInfo,
        WithGlobalState,
    )

    n = args.n_envs if num_envs is None else num_envs
    levels = args.actions == "order-up-to"
    if args.vector:
        venv = SB3VecEnv.from_env(make_env(args, train=True), n, global_state=args.global_obs)
        venv.seed(args.seed)
        if levels:
            venv = OrderUpToLevels(venv, max_level(args, venv.vector_env), args.order_up_to_position)
        venv.reset()
        return venv
    import supersuit as ss

    par = make_env(args, train=True)
    par = WithGlobalState(par) if args.global_obs else par
    if levels:
        par = OrderUpToActions(par, max_level(args, par), args.order_up_to_position)
    par = TimeLimitInfo(par)
    venv = ss.concat_vec_envs_v1(
        ss.pettingzoo_env_to_vec_env_v1(par), n, num_cpus=0, base_class="stable_baselines3"
    )
    venv.venv.reset(seed=args.seed)  # SuperSuit's SB3 wrapper cannot take a seed; its inner vec env can
    return BoolDones(venv)  # SuperSuit's uint8 dones would misindex VecNormalize's returns


def check_action_args(args: Args, env=None) -> None:
    """Raise :class:`UsageError` naming the option when the action settings are invalid (for ``env``)."""
    from inventory_zoo.envs.sb3 import ORDER_UP_TO_POSITIONS

    if args.actions not in ACTIONS:
        raise UsageError(f"--actions must be one of {', '.join(ACTIONS)}; got {args.actions!r}")
    if args.actions != "order-up-to":
        return
    if args.order_up_to_position not in ORDER_UP_TO_POSITIONS:
        raise UsageError(
            f"--order-up-to-position must be one of {', '.join(ORDER_UP_TO_POSITIONS)}; "
            f"got {args.order_up_to_position!r}"
        )
    if args.max_level is not None and not (np.isfinite(args.max_level) and args.max_level > 0):
        raise UsageError(f"--max-level must be a positive number (or None); got {args.max_level!r}")
    if env is not None and args.order_up_to_position == "echelon" and not unwrap_env(env).spec.is_serial:
        raise UsageError(
            f"--order-up-to-position echelon needs a serial chain; {args.env}/{args.preset} is not one"
        )


def max_level(args: Args, env) -> float:
    """``args.max_level``, or its automatic value for ``env`` (``max_order x (lead time + 1)``)."""
    from inventory_zoo.envs.sb3 import default_max_level

    if args.max_level is not None:
        return float(args.max_level)
    return float(default_max_level(env, args.order_up_to_position))


def action_mapping(args: Args, env) -> dict[str, Any]:
    """What turns the policy's actions into orders; saved in the model (``model.action_mapping``)."""
    out: dict[str, Any] = {"actions": args.actions}
    if args.actions == "order-up-to":
        out.update(max_level=max_level(args, env), position=args.order_up_to_position)
    return out


def log_std_init(args: Args) -> float:
    """``args.log_std_init`` or its default for the action mode (see ``docs/ppo.md``)."""
    if args.log_std_init is not None:
        return float(args.log_std_init)
    return -2.0 if args.actions == "order-up-to" else -1.0


def training_reward_mix(env) -> float:
    """The default training reward mix: the team's cost (1.0) when some agent has no backorder
    cost (its own cost alone would teach it to hold nothing and starve its customers), else the
    env's own mix."""
    spec = unwrap_env(env).spec
    if np.any(spec.params.backorder_cost <= 0):
        return 1.0
    return float(unwrap_env(env).batch.reward_mix)
