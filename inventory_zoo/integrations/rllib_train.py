"""Train PPO with RLlib (new API stack) on an env of the library, locally or on a Ray cluster.

``python -m inventory_zoo.integrations.rllib_train --env serial_v0 --preset liu2022`` (also
``examples/train_rllib.py`` and ``inventory-zoo train rllib``). A run directory (``--out``) gets:

- ``checkpoint/``: RLlib's final algorithm checkpoint (+ ``inventory_zoo.json``: env, kwargs,
  sharing), loadable with :func:`inventory_zoo.integrations.rllib.policy_from_checkpoint`;
- ``config.json`` (the arguments), ``tb/`` (TensorBoard), ``curve.csv`` (validation cost of the
  greedy policy against env-steps and seconds), ``evaluation.json`` (the final table).

The run ends with the trained policy next to the searched base-stock and the other baselines,
all played on the same fresh episodes.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = ["Config", "main", "train", "build_config"]


class UsageError(Exception):
    """A bad command line: printed as one line, exit status 2."""


@dataclass
class Config:
    """Train PPO with RLlib on an inventory_zoo env."""

    env: str = "serial_v0"
    """env module: serial_v0, network_v0 or beer_game_v0"""
    preset: str | None = None
    """named parameter set of the env (None: the env's default preset)"""
    env_kwargs: str = "{}"
    """extra keyword arguments of the env as JSON, e.g. '{"max_cycles": 100}' (override the preset)"""
    timesteps: int = 1_000_000
    """env-steps to train for (one env-step = one period of one env copy)"""
    max_minutes: float = 0.0
    """stop training after this many minutes of wall-clock (0: no limit)"""
    seed: int = 0
    """seed of RLlib (networks, env runners' envs); validation and final episodes derive from it"""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """where the learner runs: auto (CUDA when available and --num-gpus-per-learner > 0), cpu, cuda"""
    out: Path | None = None
    """run directory (default runs/rllib-ENV-PRESET-SHARING-sSEED); refused if not empty"""
    overwrite: bool = False
    """write into a non-empty --out"""
    sharing: Literal["shared", "per-agent"] = "shared"
    """one policy for all agents (shared) or one per agent (per-agent), via the policy mapping"""
    num_env_runners: int = 0
    """Ray actors that step envs (0: sample in the driver process)"""
    num_envs_per_env_runner: int = 8
    """env copies each env runner steps (its module acts for all of them in one forward pass:
    about 4x the env-steps/s of one copy here)"""
    address: str | None = None
    """Ray cluster to connect to: 'auto' or HOST:PORT (None: start a local Ray)"""
    num_cpus: int | None = None
    """CPUs of a local Ray (None: all of the machine's)"""
    num_gpus_per_learner: float = 0.0
    """GPUs of the learner (with --device auto, > 0 trains on CUDA)"""
    lr: float = 5e-4
    """Adam learning rate, decayed linearly to lr_final over --timesteps"""
    lr_final: float = 5e-5
    """learning rate at the end of --timesteps"""
    gamma: float = 0.95
    """discount factor (order effects are felt within the lead times)"""
    gae_lambda: float = 0.95
    """GAE lambda"""
    entropy_coeff: float = 0.001
    """entropy bonus"""
    kl_coeff: float = 0.2
    """initial weight of RLlib's adaptive KL penalty (0: none, the clipped objective alone)"""
    train_batch: int = 4000
    """env-steps per PPO iteration (per learner)"""
    minibatch: int = 1000
    """agent-steps per minibatch"""
    num_epochs: int = 5
    """passes over each train batch"""
    hidden: tuple[int, ...] = (64, 64)
    """hidden layer widths of the policy and value networks"""
    actions: Literal["level", "order"] = "level"
    """level: each agent chooses an order-up-to level (a Gaussian over [-1, 1] mapped to
    0..max_level) and orders what lifts its installation position to it; order: the env's
    order quantities (a softmax over 0..max_order)"""
    max_level: float | None = None
    """level of action 1 with --actions level (None: max_order x (longest lead time + 1))"""
    start_at_demand: bool = True
    """with --actions level, the untrained policy's level is the mean demand x (lead time + 1)"""
    log_std_init: float = -2.0
    """with --actions level, the untrained Gaussian's log standard deviation (in [-1, 1] units)"""
    reward_scale: float = 100.0
    """training rewards (minus costs) are divided by this; evaluation scores raw costs"""
    reward_mix: float | None = None
    """weight of the team's mean cost in each agent's reward (None: 1.0 when some agent has no
    backorder cost of its own, else the env's)"""
    normalize_obs: bool = True
    """divide observations by the env's obs_scale (max_order by default) when the env does not"""
    agent_id: bool = True
    """append a one-hot agent id to observations (shared policy only)"""
    torch_threads: int = 1
    """torch CPU threads of the driver (the networks are small: more threads mostly add
    synchronisation, a lot of it on a busy machine; 0 lets torch choose)"""
    eval_every: int = 5
    """iterations between validations of the greedy policy"""
    eval_episodes: int = 20
    """episodes of each validation (seeds seed + 10000 + k)"""
    final_episodes: int = 100
    """fresh episodes of the final table (seeds seed + 20000 + k), the same for every row"""
    heuristic_budget: int = 100
    """trials per heuristic family tuned for the final table (forecast-driven order-up-to, (s, S)
    on a forecast, capped base-stock, ...: the best of them is the bar to beat; 0: none; needs
    the tune extra)"""


# --------------------------------------------------------------------------- setup


def check_config(cfg: Config) -> None:
    """Refuse impossible settings with one line naming the flag, the value and what is allowed."""
    positive = {
        "--timesteps": cfg.timesteps,
        "--num-envs-per-env-runner": cfg.num_envs_per_env_runner,
        "--train-batch": cfg.train_batch,
        "--minibatch": cfg.minibatch,
        "--num-epochs": cfg.num_epochs,
        "--eval-every": cfg.eval_every,
        "--eval-episodes": cfg.eval_episodes,
        "--final-episodes": cfg.final_episodes,
        "--reward-scale": cfg.reward_scale,
        "--lr": cfg.lr,
    }
    for flag, v in positive.items():
        if not v > 0:
            raise UsageError(f"{flag} must be > 0, got {v}")
    for flag, v in {
        "--num-env-runners": cfg.num_env_runners,
        "--num-gpus-per-learner": cfg.num_gpus_per_learner,
        "--max-minutes": cfg.max_minutes,
        "--lr-final": cfg.lr_final,
    }.items():
        if v < 0:
            raise UsageError(f"{flag} must be >= 0, got {v}")
    if not cfg.hidden or any(h <= 0 for h in cfg.hidden):
        raise UsageError(f"--hidden must be positive widths, got {cfg.hidden}")


def resolve_device(name: str, gpus: float) -> str:
    """``auto`` -> ``cuda`` when CUDA is available and GPUs are requested, else ``cpu``.

    Raises:
        UsageError: ``cuda`` without CUDA.
    """
    import torch

    if name == "cuda":
        if not torch.cuda.is_available():
            raise UsageError("--device cuda: CUDA is not available on this machine (use --device cpu)")
        return "cuda"
    if name == "auto":
        return "cuda" if gpus > 0 and torch.cuda.is_available() else "cpu"
    return "cpu"


def env_kwargs_of(cfg: Config) -> dict[str, Any]:
    """The env's keyword arguments of a run (preset, --env-kwargs, observation settings)."""
    from inventory_zoo.envs.registry import env_entry, env_module

    try:
        entry = env_entry(cfg.env)
    except ValueError as e:
        raise UsageError(f"--env: {e}") from None
    try:
        extra = json.loads(cfg.env_kwargs)
    except json.JSONDecodeError as e:
        raise UsageError(f"--env-kwargs {cfg.env_kwargs!r} is not JSON: {e}") from None
    if not isinstance(extra, dict):
        raise UsageError(f"--env-kwargs must be a JSON object, got {cfg.env_kwargs!r}")
    kwargs: dict[str, Any] = {"preset": cfg.preset or entry.default_preset, **extra}
    try:
        probe = env_module(entry.name).parallel_env(**kwargs)
    except (ValueError, TypeError) as e:
        raise UsageError(f"--preset/--env-kwargs: {e}") from None
    if cfg.normalize_obs and probe.batch.obs_scale is None:
        kwargs["normalize_obs"] = True
    if cfg.agent_id and cfg.sharing == "shared":
        kwargs.setdefault("agent_id", True)
    if cfg.reward_mix is not None:
        kwargs["reward_mix"] = cfg.reward_mix
    elif np.any(np.asarray(probe.spec.params.backorder_cost) == 0):
        kwargs["reward_mix"] = 1.0  # its own cost would teach an agent to starve its customers
    return kwargs


def adapter_config(cfg: Config, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``env_config`` read by the RLlib adapter (reward scale, action mode)."""
    from inventory_zoo.integrations.rllib import default_max_level

    out: dict[str, Any] = {"reward_scale": cfg.reward_scale, "action_mode": cfg.actions}
    if cfg.actions == "level":
        env = make_parallel_env(cfg.env, kwargs)
        out["max_level"] = float(cfg.max_level or default_max_level(env))
    return out


def init_level_heads(algo: Any, cfg: Config, env: Any, max_level: float) -> None:
    """Start every policy as a near-constant level: the mean demand x (lead time + 1) (or the
    middle of the range without --start-at-demand), with spread ``exp(log_std_init)``.

    The last layer of each policy head gets weights 100 times smaller and the biases of the
    Gaussian's mean and log-std; the env runners then receive the new weights.
    """
    import torch

    from inventory_zoo.policies.search import _initial_guess

    level = float(np.mean(_initial_guess(env, len(env.possible_agents)))) if cfg.start_at_demand else None
    mean = 0.0 if level is None else float(np.clip(2.0 * level / max_level - 1.0, -1.0, 1.0))
    multi = algo.learner_group._learner.module
    with torch.no_grad():
        for mid in multi.keys():
            last = [m for m in multi[mid].pi.modules() if isinstance(m, torch.nn.Linear)][-1]
            last.weight.mul_(0.01)
            last.bias[0] = mean
            last.bias[1] = cfg.log_std_init
    algo.env_runner_group.sync_weights(from_worker_or_learner_group=algo.learner_group, inference_only=True)


def make_parallel_env(name: str, kwargs: dict[str, Any]):
    """The library's ParallelEnv of a run (for evaluation)."""
    from inventory_zoo.envs.registry import env_module

    return env_module(name).parallel_env(**kwargs)


def build_config(cfg: Config, kwargs: dict[str, Any], device: str):
    """The RLlib ``PPOConfig`` of a run (new API stack)."""
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from inventory_zoo.envs.registry import env_entry

    entry = env_entry(cfg.env)
    agents = list(make_parallel_env(entry.name, kwargs).possible_agents)
    module_ids = ["shared"] if cfg.sharing == "shared" else agents
    model = DefaultModelConfig(fcnet_hiddens=list(cfg.hidden), fcnet_activation="tanh")
    total = max(cfg.timesteps, 1)
    return (
        PPOConfig()
        .api_stack(enable_rl_module_and_learner=True, enable_env_runner_and_connector_v2=True)
        .environment(entry.pz_id, env_config={**kwargs, **adapter_config(cfg, kwargs)})
        .env_runners(
            num_env_runners=cfg.num_env_runners,
            num_envs_per_env_runner=cfg.num_envs_per_env_runner,
            rollout_fragment_length="auto",
        )
        .learners(num_learners=0, num_gpus_per_learner=cfg.num_gpus_per_learner if device == "cuda" else 0)
        .multi_agent(
            policies=set(module_ids),
            policy_mapping_fn=_shared_mapping if cfg.sharing == "shared" else _own_mapping,
        )
        .rl_module(
            rl_module_spec=MultiRLModuleSpec(
                rl_module_specs={m: RLModuleSpec(model_config=model) for m in module_ids}
            )
        )
        .training(
            lr=[[0, cfg.lr], [total, cfg.lr_final]],
            gamma=cfg.gamma,
            lambda_=cfg.gae_lambda,
            entropy_coeff=cfg.entropy_coeff,
            train_batch_size_per_learner=cfg.train_batch,
            minibatch_size=cfg.minibatch,
            num_epochs=cfg.num_epochs,
            vf_clip_param=100.0,
            use_kl_loss=cfg.kl_coeff > 0,
            kl_coeff=cfg.kl_coeff,
        )
        .debugging(seed=cfg.seed, log_level="ERROR")
    )


def _shared_mapping(agent_id: str, episode: Any = None, **_: Any) -> str:
    return "shared"


def _own_mapping(agent_id: str, episode: Any = None, **_: Any) -> str:
    return agent_id


# --------------------------------------------------------------------------- training


def _current_policy(algo: Any, obs_scale: float, meta: dict[str, Any]):
    """The learner's current modules as a greedy library policy (weights shared, not copied)."""
    from inventory_zoo.integrations.rllib import RLlibPolicy

    multi = algo.learner_group._learner.module
    return RLlibPolicy({m: multi[m] for m in multi.keys()}, meta.get("mapping"), obs_scale, meta)


def _steps(result: dict[str, Any]) -> int:
    from ray.rllib.utils.metrics import ENV_RUNNER_RESULTS, NUM_ENV_STEPS_SAMPLED_LIFETIME

    v = result.get(NUM_ENV_STEPS_SAMPLED_LIFETIME)
    if v is None:
        v = result.get(ENV_RUNNER_RESULTS, {}).get(NUM_ENV_STEPS_SAMPLED_LIFETIME, 0)
    return int(v)


def _train_loop(algo: Any, cfg: Config, par: Any, meta: dict[str, Any], out: Path):
    """PPO iterations until ``--timesteps`` or ``--max-minutes``, validating the greedy policy
    every ``--eval-every`` iterations; TensorBoard logs under ``out/tb``.

    Returns:
        ``(curve, env_steps, iterations, seconds, load average at the start)``.
    """
    from torch.utils.tensorboard import SummaryWriter

    from inventory_zoo.evaluation import evaluate

    writer = SummaryWriter((out / "tb").as_posix())
    val_seed = cfg.seed + 10_000
    curve: list[dict[str, float]] = []
    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    steps, it = 0, 0
    while steps < cfg.timesteps and (cfg.max_minutes <= 0 or time.perf_counter() - t0 < 60 * cfg.max_minutes):
        result = algo.train()
        it += 1
        steps = _steps(result)
        elapsed = time.perf_counter() - t0
        ret = result.get("env_runners", {}).get("episode_return_mean")
        if ret is not None and not math.isnan(ret):
            writer.add_scalar("train/episode_return_mean", ret * cfg.reward_scale, steps)
        writer.add_scalar("time/env_steps_per_second", steps / elapsed, steps)
        if it % cfg.eval_every == 0 or steps >= cfg.timesteps:
            rep = evaluate(par, _current_policy(algo, meta["obs_scale"], meta), cfg.eval_episodes, val_seed)
            curve.append(
                {"env_steps": steps, "seconds": round(elapsed, 1), "cost_per_period": rep.cost_per_period}
            )
            writer.add_scalar("eval/cost_per_period", rep.cost_per_period, steps)
            print(
                f"{steps:>10,} env-steps  {elapsed:7.0f} s  validation cost/period {rep.cost_per_period:9.2f}"
            )
    writer.close()
    return curve, steps, it, time.perf_counter() - t0, load_start


def train(cfg: Config) -> dict[str, Any]:
    """Train, checkpoint and evaluate one run; returns the summary written to evaluation.json."""
    import ray
    import torch

    from inventory_zoo.integrations import rllib as bridge

    check_config(cfg)
    device = resolve_device(cfg.device, cfg.num_gpus_per_learner)
    if device == "cuda" and cfg.num_gpus_per_learner <= 0:
        raise UsageError("--device cuda needs --num-gpus-per-learner > 0 (e.g. 1)")
    if cfg.torch_threads > 0:
        torch.set_num_threads(cfg.torch_threads)
    kwargs = env_kwargs_of(cfg)
    preset = kwargs["preset"]
    out = cfg.out or Path("runs") / f"rllib-{cfg.env}-{preset}-{cfg.sharing}-s{cfg.seed}"
    if out.exists() and any(out.iterdir()) and not cfg.overwrite:
        raise UsageError(f"--out {str(out)!r} is not empty (pass --overwrite to write into it)")
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(_jsonable(dataclasses.asdict(cfg)), indent=2) + "\n")

    par = make_parallel_env(cfg.env, kwargs)
    agents = list(par.possible_agents)
    obs_scale = bridge._obs_scale(par)
    mapping = {a: ("shared" if cfg.sharing == "shared" else a) for a in agents}
    adapter = adapter_config(cfg, kwargs)
    meta = {
        "env": cfg.env,
        "env_kwargs": kwargs,
        "sharing": cfg.sharing,
        "mapping": mapping,
        "obs_scale": obs_scale,
        "action_mode": cfg.actions,
        "max_level": adapter.get("max_level"),
    }

    if not ray.is_initialized():
        ray.init(
            address=cfg.address,
            num_cpus=cfg.num_cpus if cfg.address is None else None,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    bridge.register_envs()
    algo = build_config(cfg, kwargs, device).build_algo()
    if cfg.actions == "level":
        init_level_heads(algo, cfg, par, adapter["max_level"])
    curve, steps, it, train_seconds, load_start = _train_loop(algo, cfg, par, meta, out)
    ckpt = out / "checkpoint"
    algo.save_to_path(ckpt.resolve().as_posix())
    (ckpt / bridge.META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    # The model file others can load safely (the checkpoint, pickles, is for resuming RLlib).
    from inventory_zoo.integrations.rllib_files import POLICY_FILE, save_policy_file

    learner = algo.learner_group._learner
    modules = {mid: learner.module[mid] for mid in learner.module.keys()}
    save_policy_file(modules, meta, out / POLICY_FILE)
    algo.stop()
    with open(out / "curve.csv", "w", newline="") as f:
        w = csv.DictWriter(f, ["env_steps", "seconds", "cost_per_period"])
        w.writeheader()
        w.writerows(curve)

    # The final table scores the policy as restored from disk: what a user gets back.
    policy = bridge.policy_from_checkpoint(out)
    rows = final_table(
        par, policy, f"RLlib PPO ({cfg.sharing})", cfg.final_episodes, cfg.seed + 20_000, cfg.heuristic_budget
    )
    summary = {
        "env_steps": steps,
        "iterations": it,
        "train_seconds": round(train_seconds, 1),
        "env_steps_per_second": round(steps / train_seconds, 1),
        "load": f"{load_start:.1f} -> {os.getloadavg()[0]:.1f}",
        "curve": curve,
        "table": rows,
    }
    (out / "evaluation.json").write_text(json.dumps(_jsonable(summary), indent=2) + "\n")
    print(f"trained {steps:,} env-steps in {train_seconds / 60:.1f} min; run directory {out}")
    return summary


def final_table(
    env: Any, policy: Any, name: str, episodes: int, seed: int, heuristic_budget: int = 0
) -> list[dict[str, Any]]:
    """``policy`` next to the baselines (:func:`inventory_zoo.baselines.baseline_table`: the
    searched base-stock with and without customers' orders, the exact optimum where there is
    one, naive rules, and with ``heuristic_budget`` the tuned heuristic families and the
    paired difference to the best of them), all on the same fresh episodes ``seed + k``;
    prints the table."""
    from inventory_zoo.baselines import baseline_table, format_table

    rows = baseline_table(env, {name: policy}, episodes=episodes, seed=seed, heuristic_budget=heuristic_budget)
    print(format_table(rows))
    return rows


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, Path):
        return str(x)
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    return x


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: parse ``argv`` (default ``sys.argv[1:]``), train; exit status."""
    import tyro

    cfg = tyro.cli(Config, args=sys.argv[1:] if argv is None else argv)
    try:
        train(cfg)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
