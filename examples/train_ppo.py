"""Shared-parameter PPO on any inventory-zoo env: Stable-Baselines3 + SuperSuit (or the fast path).

One PPO policy serves every agent of the env: each agent of each env copy is one row of the
batch the policy sees. Two ways to build that batch:

- default: the ecosystem's convention, SuperSuit's ``pettingzoo_env_to_vec_env_v1`` +
  ``concat_vec_envs_v1(..., base_class="stable_baselines3")`` over the PettingZoo ParallelEnv,
  with :class:`~inventory_zoo.envs.sb3.TimeLimitInfo` so that SB3 bootstraps at the time limit;
- ``--vector``: the library's batched :class:`~inventory_zoo.envs.vector.VectorEnv` through the
  SB3 adapter :class:`~inventory_zoo.envs.sb3.SB3VecEnv` (same rows, same transitions for the
  same seed, many times faster).

Train, then evaluate next to the base-stock baselines::

    python examples/train_ppo.py --env serial_v0 --preset snyder_shen_6_1 --vector
    python examples/train_ppo.py --env serial_v0 --preset liu2022 --timesteps 3000000 --vector --seed 1

Evaluate a saved model again (its run's config.json restores the env settings)::

    python examples/train_ppo.py --eval-only runs/serial_v0-snyder_shen_6_1-vector-s0/best_model.zip

A run directory (``--out``, default ``runs/{env}-{preset}-{path}-s{seed}``) holds:
``config.json`` (the arguments), ``model.zip`` + ``model.vecnormalize.pkl`` (the final policy
and its observation/reward normalisation statistics), ``best_model.zip`` +
``best_model.vecnormalize.pkl`` (the policy with the lowest validation cost seen during
training), ``checkpoints/`` (periodic ``ppo_{steps}_steps.zip`` + ``ppo_vecnormalize_{steps}_steps.pkl``),
``tb/`` (TensorBoard: ``tensorboard --logdir runs``), ``curve.csv`` and ``learning_curve.png``
(validation cost against training steps) and ``evaluation.json`` (the final table).

Logged keys (TensorBoard, besides SB3's own ``rollout/``, ``train/`` and ``time/``):
``eval/cost_per_period`` (whole-system raw cost per period of the greedy policy on the
validation episodes), ``eval/best_cost_per_period`` (the lowest so far) and
``eval/env_steps_per_second`` (periods simulated per second of training, all copies).

Counting: ``--timesteps`` is SB3's count, one per agent per period (``N`` per env period);
throughput is reported in env-steps (periods of one supply chain) per second.

Seeding: ``--seed`` seeds Python, numpy and torch (``set_random_seed``) and the env copies
(copy ``b`` gets ``seed + b``, through the env's ``reset(seed=...)``); it is not passed to
``PPO(seed=...)``, which fails on SuperSuit's vec env. Evaluation episodes are seeded
``eval_seed + k``, the base-stock search uses ``eval_seed + 1000 + k`` and the validation
episodes of the learning curve ``eval_seed + 2000 + k``, so neither the searched levels nor the
kept "best" model are chosen on the episodes they are scored on.

Agent id: with ``--agent-id`` (the default) every observation ends with a one-hot id of its
agent (the env's ``agent_id=True`` option), so the shared policy can act differently at stages
that look alike but differ in costs or lead times; ``--no-agent-id`` turns it off.
``--global-obs`` also appends the env's global state to every row (a centralised policy).

Actions: by default (``--actions order-up-to``) the policy is a Gaussian on ``[-1, 1]`` whose
action ``a`` is an order-up-to level ``(a + 1) / 2 * max_level`` (``--max-level``); the agent
orders what lifts its inventory position (``--order-up-to-position``: its own,
``installation``, or its ``echelon``'s) to it, ``clip(round(level) - IP, 0, max_order)``
(:class:`~inventory_zoo.envs.sb3.OrderUpToLevels` on the vector path,
:class:`~inventory_zoo.envs.sb3.OrderUpToActions` on SuperSuit's). The initial mean level is the
mean demand times (lead time + 1). The mapping is saved inside the model file
(``model.action_mapping``), so validation, evaluation and ``--eval-only`` apply it as in
training. ``--actions continuous``: the Gaussian's action orders
``round((a + 1) / 2 * max_order)`` (:class:`~inventory_zoo.envs.sb3.ContinuousOrders`), its
initial mean at the mean demand; ``--actions discrete`` keeps the env's ``Discrete`` orders.

Defaults and how they were chosen: see ``docs/ppo.md`` (the settings were tuned by short
sweeps on ``snyder_shen_6_1`` and ``liu2022`` and are the ones ``benchmarks/ppo.py`` runs).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib
import json
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import inventory_zoo
from inventory_zoo.cli import ENV_MODULES
from inventory_zoo.evaluation import unwrap_env
from inventory_zoo.policies import (
    ConstantOrder,
    EchelonBaseStock,
    ModelPolicy,
    Policy,
    RandomPolicy,
    optimal_serial_base_stock,
    orders_up_to,
    search_base_stock,
)


@dataclass
class Args:
    """Command-line arguments; every field is a ``--flag`` (underscores become dashes)."""

    env: str = field(default="serial_v0", metadata={"help": f"env module: {', '.join(ENV_MODULES)}"})
    preset: str | None = field(default="liu2022", metadata={"help": "preset of the env ('none' for none)"})
    timesteps: int = field(default=2_000_000, metadata={"help": "training steps, one per agent per period"})
    device: str = field(default="auto", metadata={"help": "torch device: auto, cpu or cuda"})
    seed: int = field(default=0, metadata={"help": "seed of torch, numpy and the env copies"})
    vector: bool = field(
        default=False, metadata={"help": "use the library's vector env (fast) instead of SuperSuit"}
    )
    actions: str = field(
        default="order-up-to",
        metadata={
            "help": "'order-up-to': a Gaussian policy on [-1, 1] chooses an order-up-to level; "
            "'continuous': the Gaussian's action is rounded to the order; 'discrete': categorical"
        },
    )
    max_level: float | None = field(
        default=None,
        metadata={
            "help": "order-up-to: the level of action 1 (action a -> level (a+1)/2 max_level); "
            "'none': max_order x (longest lead time covered + 1)"
        },
    )
    order_up_to_position: str = field(
        default="installation",
        metadata={
            "help": "order-up-to: the position lifted to the level, 'installation' (the agent's own) "
            "or 'echelon' (serial chains; reads the full state)"
        },
    )
    agent_id: bool = field(default=True, metadata={"help": "append a one-hot agent id to observations"})
    global_obs: bool = field(
        default=False,
        metadata={"help": "append the env's global state to every agent's observation (centralised)"},
    )
    n_envs: int = field(default=16, metadata={"help": "env copies (rows = copies x agents)"})
    reward_mix: float | None = field(
        default=None,
        metadata={
            "help": "training reward = -((1-m) own cost + m team mean cost); 'none': 1 if some agent "
            "has no backorder cost, else the env's own"
        },
    )
    max_cycles: int | None = field(
        default=None, metadata={"help": "periods per training episode (default: the env's)"}
    )
    eval_max_cycles: int | None = field(
        default=None, metadata={"help": "periods per evaluation episode (default: the env's)"}
    )
    scale_obs: bool = field(
        default=True, metadata={"help": "divide observations by the env's obs_scale (default max_order)"}
    )
    # PPO
    n_steps: int = field(default=256, metadata={"help": "periods per rollout, per row"})
    batch_size: int = field(default=1024, metadata={"help": "minibatch size (rows)"})
    n_epochs: int = field(default=10, metadata={"help": "optimisation epochs per rollout"})
    lr: float = field(default=1e-3, metadata={"help": "Adam learning rate (decays linearly to 0)"})
    gamma: float = field(default=0.95, metadata={"help": "discount factor"})
    gae_lambda: float = field(default=0.95, metadata={"help": "GAE lambda"})
    clip_range: float = field(default=0.2, metadata={"help": "PPO clip range"})
    ent_coef: float = field(default=0.0, metadata={"help": "entropy bonus"})
    start_at_demand: bool = field(
        default=True,
        metadata={
            "help": "continuous actions: the untrained policy's mean order is the mean demand "
            "(order-up-to: its mean level is the mean demand x (lead time + 1))"
        },
    )
    log_std_init: float | None = field(
        default=None,
        metadata={
            "help": "initial log std of the Gaussian policy; 'none': -2 with order-up-to levels, "
            "-1 with continuous orders"
        },
    )
    net_arch: str = field(default="64,64", metadata={"help": "hidden layer sizes of actor and critic"})
    norm_obs: bool = field(
        default=False, metadata={"help": "running observation normalisation (VecNormalize)"}
    )
    norm_reward: bool = field(
        default=True, metadata={"help": "scale rewards by the return's std (VecNormalize)"}
    )
    max_minutes: float | None = field(
        default=None, metadata={"help": "stop training after this many minutes (validation time excluded)"}
    )
    torch_threads: int = field(default=1, metadata={"help": "torch CPU threads (0: torch's default)"})
    # outputs and evaluation
    out: str | None = field(
        default=None, metadata={"help": "run directory (default runs/{env}-{preset}-{path}-s{seed})"}
    )
    checkpoint_every: int = field(
        default=500_000, metadata={"help": "save a checkpoint every this many timesteps"}
    )
    curve_points: int = field(default=40, metadata={"help": "validation evaluations during training"})
    curve_episodes: int = field(default=10, metadata={"help": "episodes per validation evaluation"})
    eval_episodes: int = field(default=20, metadata={"help": "episodes of the final evaluation"})
    eval_seed: int = field(default=0, metadata={"help": "evaluation episode k is seeded eval_seed + k"})
    search_episodes: int = field(
        default=16, metadata={"help": "episodes per candidate in the base-stock search"}
    )
    progress: bool = field(default=True, metadata={"help": "show progress bars"})
    eval_only: str | None = field(
        default=None, metadata={"help": "evaluate this saved model (.zip) and exit", "metavar": "MODEL"}
    )


# ---------------------------------------------------------------------------- arguments
def _optional(kind: type):
    def parse(text: str):
        return None if text.lower() == "none" else kind(text)

    return parse


def parse_args(argv: list[str] | None = None) -> Args:
    """Parse ``argv`` into :class:`Args` (one flag per field; booleans also take ``--no-...``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for f in dataclasses.fields(Args):
        flag = "--" + f.name.replace("_", "-")
        helptext = f"{f.metadata['help']} (default: {f.default})"
        kind = f.type if isinstance(f.type, str) else f.type.__name__
        if kind == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=helptext)
        else:
            base = {"int": int, "float": float, "str": str}[kind.split(" ")[0]]
            conv = _optional(base) if "None" in kind else base
            meta = f.metadata.get("metavar")
            parser.add_argument(flag, type=conv, default=f.default, help=helptext, metavar=meta)
    return Args(**vars(parser.parse_args(argv)))


# ---------------------------------------------------------------------------- envs
def env_kwargs(args: Args, train: bool = True) -> dict[str, Any]:
    """The env builder's arguments for these args (evaluation envs keep the env's episode length)."""
    kw: dict[str, Any] = {"agent_id": args.agent_id, "normalize_obs": args.scale_obs}
    if args.reward_mix is not None:
        kw["reward_mix"] = args.reward_mix
    if train and args.max_cycles is not None:
        kw["max_cycles"] = args.max_cycles
    return kw


ACTIONS = ("continuous", "order-up-to", "discrete")


def check_action_args(args: Args, env=None) -> None:
    """Exit with a message naming the option when the action settings are invalid (for ``env``)."""
    from inventory_zoo.envs.sb3 import ORDER_UP_TO_POSITIONS

    if args.actions not in ACTIONS:
        raise SystemExit(f"--actions must be one of {', '.join(ACTIONS)}; got {args.actions!r}")
    if args.actions != "order-up-to":
        return
    if args.order_up_to_position not in ORDER_UP_TO_POSITIONS:
        raise SystemExit(
            f"--order-up-to-position must be one of {', '.join(ORDER_UP_TO_POSITIONS)}; "
            f"got {args.order_up_to_position!r}"
        )
    if args.max_level is not None and not (np.isfinite(args.max_level) and args.max_level > 0):
        raise SystemExit(f"--max-level must be a positive number (or 'none'); got {args.max_level!r}")
    if env is not None and args.order_up_to_position == "echelon" and not unwrap_env(env).spec.is_serial:
        raise SystemExit(
            f"--order-up-to-position echelon needs a serial chain; {args.env}/{args.preset} is not one"
        )


def max_level(args: Args, env) -> float:
    """``--max-level``, or its automatic value for ``env`` (``max_order x (lead time + 1)``)."""
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
    """``--log-std-init`` or its default for the action mode (see ``docs/ppo.md``)."""
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


def make_env(args: Args, train: bool = False):
    """A fresh ParallelEnv of ``args.env`` / ``args.preset``."""
    if args.env not in ENV_MODULES:
        raise SystemExit(f"unknown env {args.env!r}; envs are {sorted(ENV_MODULES)}")
    try:
        module = importlib.import_module(ENV_MODULES[args.env])
    except ModuleNotFoundError:
        raise SystemExit(f"env {args.env!r} is not available in this version of inventory-zoo") from None
    env = module.parallel_env(preset=args.preset, **env_kwargs(args, train))
    if args.reward_mix is None and training_reward_mix(env) != env.batch.reward_mix:
        env = module.parallel_env(preset=args.preset, **env_kwargs(args, train), reward_mix=1.0)
    return env


def make_vec_env(args: Args, num_envs: int | None = None):
    """The SB3 vec env of ``num_envs`` copies, seeded ``args.seed + b``: SuperSuit or the adapter.

    Both paths give the same rows, ``b * N + i`` for agent ``i`` of copy ``b``, and for the
    same seed the same transitions; the copies are reset once with the seed here, so that the
    reset SB3 makes when learning starts continues their seeded generators.

    With ``--actions order-up-to`` the actions are levels already here (the SuperSuit path can
    only map them inside the ParallelEnv); ``ContinuousOrders`` is added by :func:`train`.
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


# ---------------------------------------------------------------------------- model files
class OrderModel:
    """A model trained with continuous actions, predicting the env's integer orders."""

    def __init__(self, model: Any, env) -> None:
        from gymnasium import spaces

        space = env.action_space(env.possible_agents[0])
        self.model = model
        self.scalar = isinstance(space, spaces.Discrete)
        self.max_order = int(space.n - 1 if self.scalar else space.nvec.flat[0] - 1)

    def predict(self, obs: np.ndarray, deterministic: bool = True):
        from inventory_zoo.envs.sb3 import orders_from_continuous

        act, state = self.model.predict(obs, deterministic=deterministic)
        return orders_from_continuous(act, self.max_order, self.scalar), state


class GlobalObsModelPolicy(ModelPolicy):
    """A model trained with ``--global-obs``: each agent's row also holds the env's global state."""

    needs_state = True

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        state = env.state()  # [B, state_dim]
        B, N = obs.shape[:2]
        full = np.concatenate([obs, np.broadcast_to(state[:, None, :], (B, N, state.shape[1]))], axis=2)
        return super().act(full, env)


class OrderUpToPolicy(Policy):
    """A policy whose actions in ``[-1, 1]`` are order-up-to levels, as the env's orders.

    Applies the training mapping: level ``(a + 1) / 2 * max_level``, order
    ``orders_up_to(level, env, position)`` (the :class:`~inventory_zoo.envs.sb3.OrderUpToLevels`
    of training).

    Args:
        inner: the model's policy, returning actions ``[B, N, 1]``.
        max_level: the level of action 1, in units of stock.
        position: ``"installation"`` or ``"echelon"``.
    """

    def __init__(self, inner: Policy, max_level: float, position: str) -> None:
        self.inner = inner
        self.max_level = float(max_level)
        self.position = position
        self.needs_state = position == "echelon" or inner.needs_state

    def reset(self, env: Any) -> None:
        self.inner.reset(env)

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        from inventory_zoo.envs.sb3 import levels_from_continuous

        levels = levels_from_continuous(self.inner.act(obs, env), self.max_level)  # [B, N]
        return orders_up_to(levels, env, self.position)


def as_policy(
    model: Any, env, obs_transform=None, global_obs: bool = False, mapping: dict[str, Any] | None = None
) -> Policy:
    """An SB3 model as an inventory-zoo policy, with the action mapping it was trained with.

    ``mapping``: ``{"actions": ...}`` as :func:`action_mapping` builds it (default: the one
    saved in the model, else continuous orders for ``Box`` actions).
    """
    from gymnasium import spaces

    mapping = mapping or getattr(model, "action_mapping", None) or {}
    levels = mapping.get("actions") == "order-up-to"
    if isinstance(model.action_space, spaces.Box) and not levels:
        model = OrderModel(model, env)
    cls = GlobalObsModelPolicy if global_obs else ModelPolicy
    pol = cls(model, deterministic=True, obs_transform=obs_transform)
    if levels:
        return OrderUpToPolicy(pol, mapping["max_level"], mapping["position"])
    return pol


def vecnormalize_path(model_path: Path) -> Path:
    """The normalisation statistics saved with a model file (``X.zip`` -> ``X.vecnormalize.pkl``;
    checkpoints ``ppo_K_steps.zip`` -> ``ppo_vecnormalize_K_steps.pkl``)."""
    stem = model_path.name.removesuffix(".zip")
    if stem.startswith("ppo_") and stem.endswith("_steps"):
        return model_path.with_name("ppo_vecnormalize_" + stem.removeprefix("ppo_") + ".pkl")
    return model_path.with_name(stem + ".vecnormalize.pkl")


def load_policy(model_path: Path, args: Args) -> Policy:
    """A saved model as an inventory-zoo policy, with its saved observation normalisation."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecNormalize

    from inventory_zoo.envs.sb3 import SB3VecEnv

    model = PPO.load(str(model_path), device=_device(args.device))
    transform = None
    stats = vecnormalize_path(model_path)
    if stats.exists():
        vn = VecNormalize.load(
            str(stats), SB3VecEnv.from_env(make_env(args), 1, global_state=args.global_obs)
        )
        vn.training = False
        if vn.norm_obs:
            transform = vn.normalize_obs
    env = make_env(args)
    mapping = getattr(model, "action_mapping", None)
    if mapping is None and args.actions == "order-up-to":  # a model saved without its mapping
        check_action_args(args, env)
        mapping = action_mapping(args, env)
    return as_policy(model, env, transform, args.global_obs, mapping)


def _device(name: str) -> str:
    if name not in ("auto", "cpu", "cuda") and not name.startswith("cuda:"):
        raise SystemExit(f"--device must be auto, cpu or cuda, got {name!r}")
    return name


# ---------------------------------------------------------------------------- training
@dataclass
class LinearSchedule:
    """Learning rate decaying linearly to 0 over the timesteps, or over the time budget
    (``minutes`` of training since ``t0``, a ``time.perf_counter()``) if that ends first."""

    lr: float
    minutes: float | None = None
    t0: float = 0.0

    def __call__(self, progress_remaining: float) -> float:
        if self.minutes is None:
            return self.lr * progress_remaining
        left = 1.0 - (time.perf_counter() - self.t0) / (60.0 * self.minutes)
        return self.lr * max(0.0, min(progress_remaining, left))


def validate(env, policy: Any, args: Args):
    """``policy`` on the validation episodes (those of the learning curve, not of the final table)."""
    return inventory_zoo.evaluate(
        env, policy, episodes=args.curve_episodes, seed=args.eval_seed + 2000, max_cycles=args.eval_max_cycles
    )


def _curve_callback(args: Args, env, run_dir: Path, every: int):
    """A callback that scores the greedy policy on validation episodes every ``every`` steps,
    logs ``eval/...``, writes ``curve.csv`` and keeps the best model."""
    from stable_baselines3.common.callbacks import BaseCallback

    class CurveCallback(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.schedule = LinearSchedule(args.lr, args.max_minutes)
            self.next_at = 0
            self.best = float("inf")
            self.t0 = time.perf_counter()
            self.rows: list[dict[str, float]] = []

        def _on_training_start(self) -> None:
            self.t0 = time.perf_counter()
            self.score()  # the untrained policy: the curve's first point
            self.next_at = every
            self.next_time = self.budget / max(args.curve_points, 1)

        @property
        def budget(self) -> float:
            """The training time budget in seconds (inf without ``--max-minutes``)."""
            return float("inf") if args.max_minutes is None else 60.0 * args.max_minutes

        @property
        def t0(self) -> float:
            return self.schedule.t0

        @t0.setter
        def t0(self, value: float) -> None:
            self.schedule.t0 = value

        def _on_step(self) -> bool:
            return time.perf_counter() - self.t0 < self.budget

        def _on_rollout_end(self) -> None:
            elapsed = time.perf_counter() - self.t0
            if self.num_timesteps >= self.next_at or elapsed >= self.next_time:
                self.score()
                self.next_at = self.num_timesteps + every
                self.next_time = elapsed + self.budget / max(args.curve_points, 1)

        def _on_training_end(self) -> None:
            if not self.rows or self.rows[-1]["timesteps"] != self.num_timesteps:
                self.score()

        def score(self) -> None:
            vn = self.model.get_vec_normalize_env()
            transform = vn.normalize_obs if vn is not None and vn.norm_obs else None
            policy = as_policy(self.model, env, transform, args.global_obs, self.model.action_mapping)
            train_time = time.perf_counter() - self.t0
            rep = validate(env, policy, args)
            row = {
                "timesteps": self.num_timesteps,
                "seconds": round(train_time, 2),
                "cost_per_period": rep.cost_per_period,
                "ci95": rep.cost_per_period_ci95,
            }
            self.rows.append(row)
            if rep.cost_per_period < self.best:
                self.best = rep.cost_per_period
                self.model.save(run_dir / "best_model.zip")
                if vn is not None:
                    vn.save(str(run_dir / "best_model.vecnormalize.pkl"))
            self.logger.record("eval/cost_per_period", rep.cost_per_period)
            self.logger.record("eval/best_cost_per_period", self.best)
            n_agents = len(env.possible_agents)
            self.logger.record(
                "eval/env_steps_per_second", self.num_timesteps / n_agents / max(train_time, 1e-9)
            )
            with open(run_dir / "curve.csv", "w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(row))
                w.writeheader()
                w.writerows(self.rows)
            # The evaluation's time is not training time.
            self.t0 += time.perf_counter() - self.t0 - train_time

    return CurveCallback()


def train(args: Args, run_dir: Path) -> dict[str, Any]:
    """Train PPO as ``args`` says, saving everything into ``run_dir``; returns timing figures."""
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import CallbackList, CheckpointCallback
    from stable_baselines3.common.utils import set_random_seed
    from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

    from inventory_zoo.envs.sb3 import ContinuousOrders

    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)
    set_random_seed(args.seed)
    env = make_env(args)
    n_agents = len(env.possible_agents)
    check_action_args(args, env)
    with warnings.catch_warnings():
        # SuperSuit's SB3 wrapper does not answer get_attr("render_mode"); SB3 warns, harmlessly.
        warnings.filterwarnings("ignore", message="The `render_mode` attribute is not defined")
        venv = make_vec_env(args)
        if args.actions == "continuous":
            venv = ContinuousOrders(venv)
        venv = VecMonitor(venv)
        venv = VecNormalize(venv, norm_obs=args.norm_obs, norm_reward=args.norm_reward, gamma=args.gamma)
    curve_every = max(args.timesteps // max(args.curve_points, 1), 1)
    curve = _curve_callback(args, env, run_dir, curve_every)
    arch = [int(x) for x in args.net_arch.split(",") if x.strip()]
    policy_kwargs: dict[str, Any] = {"net_arch": arch}
    if args.actions != "discrete":
        policy_kwargs["log_std_init"] = log_std_init(args)
    model = PPO(
        "MlpPolicy",
        venv,
        learning_rate=curve.schedule,
        n_steps=args.n_steps,
        batch_size=args.batch_size,
        n_epochs=args.n_epochs,
        gamma=args.gamma,
        gae_lambda=args.gae_lambda,
        clip_range=args.clip_range,
        ent_coef=args.ent_coef,
        policy_kwargs=policy_kwargs,
        tensorboard_log=str(run_dir / "tb"),
        device=_device(args.device),
        verbose=0,
    )
    # Saved with every model file (SB3 saves the model's attributes), so that evaluation and
    # --eval-only apply the mapping the policy was trained with.
    model.action_mapping = action_mapping(args, env)
    if args.actions != "discrete" and args.start_at_demand:
        start_at_mean_demand(model, env, model.action_mapping)
    rows = venv.num_envs
    checkpoints = CheckpointCallback(
        save_freq=max(args.checkpoint_every // rows, 1),
        save_path=str(run_dir / "checkpoints"),
        name_prefix="ppo",
        save_vecnormalize=True,
    )
    print(
        f"training PPO on {args.env}/{args.preset} ({'vector env' if args.vector else 'SuperSuit'} path): "
        f"{args.n_envs} copies x {n_agents} agents = {rows} rows, {args.timesteps} timesteps, "
        f"reward mix {env.batch.reward_mix}, device {model.device}"
    )
    t0 = time.perf_counter()
    model.learn(args.timesteps, callback=CallbackList([checkpoints, curve]), progress_bar=args.progress)
    wall = time.perf_counter() - t0
    model.save(run_dir / "model.zip")
    venv.save(str(run_dir / "model.vecnormalize.pkl"))
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
        level = float(np.mean(_mean_demand(env) * (lead + 1.0)))
        bias = 2.0 * min(level, mapping["max_level"]) / mapping["max_level"] - 1.0
    else:
        bias = 2.0 * (_mean_demand(env) / b.max_in) / b.max_order - 1.0
    with torch.no_grad():
        model.policy.action_net.bias.fill_(bias)


# ---------------------------------------------------------------------------- evaluation
def baselines(args: Args, env) -> tuple[dict[str, tuple[str, Any]], float | None, dict[str, str]]:
    """The baselines of an env as ``{name: (kind, policy)}``, the exact optimal cost where it
    exists (else None), and notes.

    Kinds: ``"optimal"`` (echelon base-stock at the Clark-Scarf levels: reads the full state),
    ``"searched"`` (installation base-stock at the best levels found by simulation; each agent
    also sees the orders its customers place in the same period), ``"searched_local"`` (the
    same from each agent's own observation only: the information a decentralised learner has)
    and ``"naive"`` (constant orders of the mean demand, random orders).
    """
    notes: dict[str, str] = {}
    pols: dict[str, tuple[str, Any]] = {}
    exact = None
    try:
        levels, exact = optimal_serial_base_stock(env)
        pols[f"echelon base-stock {tuple(levels)}, optimal"] = ("optimal", EchelonBaseStock(levels))
    except ValueError as e:
        notes["optimum"] = str(e).split(": ", 1)[-1]
    for kind, sequential, label in (
        ("searched", True, "searched"),
        ("searched_local", False, "searched, own obs"),
    ):
        res = search_base_stock(
            env,
            episodes=args.search_episodes,
            seed=args.eval_seed + 1000,
            max_cycles=args.eval_max_cycles,
            sequential=sequential,
            progress=args.progress,
        )
        pols[f"base-stock {res.levels}, {label}"] = (kind, res.policy())
    q = _mean_demand(env)
    pols[f"constant order {q}"] = ("naive", ConstantOrder(q))
    pols["random orders"] = ("naive", RandomPolicy(seed=args.eval_seed))
    return pols, exact, notes


def _mean_demand(env) -> int:
    """Mean customer demand per demand node per period, rounded (a naive constant order)."""
    spec = unwrap_env(env).spec
    means = []
    for node in spec.nodes:
        if node.demand is not None:
            m = node.demand.mean
            if m is None:
                m = float(node.demand.sample(np.random.default_rng(0), 64, 64).mean())
            means.append(m)
    return int(round(float(np.mean(means)))) if means else 0


def evaluate_models(args: Args, models: dict[str, Path], run_dir: Path | None) -> list[dict[str, Any]]:
    """Evaluate saved models next to the baselines on the same episodes; print and save the table."""
    env = make_env(args)
    pols = {name: ("ppo", load_policy(path, args)) for name, path in models.items()}
    base, exact, notes = baselines(args, env)
    pols.update(base)
    rows = []
    for name, (kind, pol) in pols.items():
        rep = inventory_zoo.evaluate(
            env, pol, episodes=args.eval_episodes, seed=args.eval_seed, max_cycles=args.eval_max_cycles
        )
        row = {"policy": name, "kind": kind, **rep.as_dict()}
        if kind != "ppo":  # on the learning curve's validation episodes too, for its plot
            val = validate(env, pol, args)
            row["validation_cost_per_period"] = val.cost_per_period
        rows.append(row)
    ref = exact if exact is not None else min(r["cost_per_period"] for r in rows if r["kind"] == "searched")
    ref_name = "exact optimum" if exact is not None else "searched base-stock"
    print(
        f"\n{args.env}/{args.preset or 'default'}: whole-system cost per period, {args.eval_episodes} episodes "
        f"(seeds {args.eval_seed}..{args.eval_seed + args.eval_episodes - 1}), raw costs (no reward mixing)"
    )
    head = f"{'policy':<48}{'cost/period':>12}{'+/- 95%':>9}{'fill rate':>10}{'vs ' + ref_name:>24}"
    print(head)
    print("-" * len(head))
    for r in rows:
        gap = 100 * (r["cost_per_period"] / ref - 1)
        r["gap_percent"] = gap
        print(
            f"{r['policy']:<48}{r['cost_per_period']:>12.2f}{r['cost_per_period_ci95']:>9.2f}"
            f"{r['fill_rate']:>10.3f}{gap:>+23.1f}%"
        )
    if exact is not None:
        print(f"{'exact expected cost (Chen-Zheng)':<48}{exact:>12.2f}")
    for k, v in notes.items():
        print(f"note ({k}): {v}")
    if run_dir is not None:
        with open(run_dir / "evaluation.json", "w") as fh:
            json.dump({"rows": rows, "exact_optimum": exact, "notes": notes}, fh, indent=2, default=_jsonable)
        curve = run_dir / "curve.csv"
        if curve.exists():
            png = plot_curve(curve, rows, exact, run_dir / "learning_curve.png", f"{args.env}/{args.preset}")
            if png is not None:
                print(f"learning curve: {png}")
    return rows


def _jsonable(x: Any) -> Any:
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return str(x)


def plot_curve(csv_path: Path, rows: list[dict[str, Any]], exact: float | None, png: Path, title: str):
    """Validation cost against training steps, with the baselines as horizontal lines."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install 'inventory-zoo[plot]'): no learning-curve plot")
        return None
    with open(csv_path) as fh:
        data = list(csv.DictReader(fh))
    x = np.array([float(d["timesteps"]) for d in data])
    y = np.array([float(d["cost_per_period"]) for d in data])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(x, y, marker="o", ms=3, label="PPO (greedy)")
    styles = iter(["--", ":", "-."])
    for r in rows:
        if r["kind"] in ("searched", "searched_local") or r["policy"].startswith("constant"):
            ax.axhline(
                r["validation_cost_per_period"], ls=next(styles, "--"), color="grey", label=r["policy"]
            )
    if exact is not None:
        ax.axhline(exact, color="black", lw=1, label=f"exact optimum {exact:.2f}")
    ax.set_yscale("log")
    ax.set_xlabel("training timesteps (agent-periods)")
    ax.set_ylabel("system cost per period, validation episodes")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png


# ---------------------------------------------------------------------------- main
def run_dir_for(args: Args) -> Path:
    if args.out is not None:
        return Path(args.out)
    path = "vector" if args.vector else "supersuit"
    return Path("runs") / f"{args.env}-{args.preset or 'default'}-{path}-s{args.seed}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.eval_only is not None:
        model = Path(args.eval_only)
        if not model.exists():
            raise SystemExit(f"--eval-only: no model file {model}")
        for cfg_file in (model.parent / "config.json", model.parent.parent / "config.json"):
            if cfg_file.exists():
                saved = json.loads(cfg_file.read_text())
                # The env settings of the run; evaluation options come from this command line.
                for k in ("env", "preset", "agent_id", "global_obs", "reward_mix", "scale_obs"):
                    setattr(args, k, saved[k])
                # The action mapping lives in the model file; older models without it use these.
                for k in ("actions", "max_level", "order_up_to_position"):
                    if k in saved:
                        setattr(args, k, saved[k])
                break
        evaluate_models(args, {f"PPO {model.name}": model}, None)
        return 0
    check_action_args(args)
    if args.actions == "order-up-to" and args.max_level is None:  # config.json holds the value used
        args.max_level = max_level(args, make_env(args))
    run_dir = run_dir_for(args)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(dataclasses.asdict(args), indent=2))
    stats = train(args, run_dir)
    (run_dir / "timing.json").write_text(json.dumps(stats, indent=2))
    models = {"PPO (final)": run_dir / "model.zip"}
    if (run_dir / "best_model.zip").exists():
        models["PPO (best on validation)"] = run_dir / "best_model.zip"
    evaluate_models(args, models, run_dir)
    print(f"saved in {run_dir}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
