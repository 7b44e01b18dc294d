"""SB3 callbacks of a PPO run: the learning curve (validation scores, the best model),
resumable checkpoints, and a progress bar that ends at exactly the budget."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

import inventory_zoo
from inventory_zoo.agents.common import progress
from inventory_zoo.agents.ppo.config import Args
from inventory_zoo.agents.ppo.models import PPOPolicy, vecnormalize_path
from inventory_zoo.agents.ppo.normalizer import ObsNormalizer, save_vecnormalize

__all__ = [
    "LinearSchedule",
    "validate",
    "CurveCallback",
    "CheckpointCallback",
    "ProgressCallback",
    "save_model",
]


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


def save_model(model: Any, path: Path) -> None:
    """The model (``.zip``) and, beside it, its normaliser's statistics as ``.npz``."""
    model.save(path)
    vn = model.get_vec_normalize_env()
    if vn is not None:
        save_vecnormalize(vn, vecnormalize_path(path))


def live_policy(model: Any, env: Any, args: Args) -> PPOPolicy:
    """The model being trained as a policy (greedy, its current normaliser and mapping)."""
    vn = model.get_vec_normalize_env()
    transform = None
    if vn is not None and vn.norm_obs:
        transform = ObsNormalizer(vn.obs_rms.mean, vn.obs_rms.var, vn.clip_obs, vn.epsilon)
    batch = env.batch
    space = env.action_space(env.possible_agents[0])
    return PPOPolicy(
        model, model.action_mapping, transform, batch.obs_scale, batch.agent_id, args.global_obs, space
    )


class CurveCallback(BaseCallback):
    """Scores the greedy policy on validation episodes every ``every`` steps (and at the start
    and end), logs ``eval/...``, writes ``curve.csv`` and keeps ``best_model.zip``.

    ``rows`` (earlier points, when resuming) continue the curve; the best score is theirs.
    """

    def __init__(self, args: Args, env: Any, run_dir: Path, every: int, rows: list | None = None) -> None:
        super().__init__()
        self.args, self.env, self.run_dir, self.every = args, env, run_dir, every
        self.schedule = LinearSchedule(args.lr, args.max_minutes)
        self.rows: list[dict[str, float]] = list(rows or [])
        self.best = min((float(r["cost_per_period"]) for r in self.rows), default=float("inf"))
        self.seconds0 = float(self.rows[-1]["seconds"]) if self.rows else 0.0
        self.next_at = 0
        self.next_time = 0.0

    @property
    def budget(self) -> float:
        """The training time budget in seconds (inf without ``--max-minutes``)."""
        return float("inf") if self.args.max_minutes is None else 60.0 * self.args.max_minutes

    @property
    def t0(self) -> float:
        return self.schedule.t0

    @t0.setter
    def t0(self, value: float) -> None:
        self.schedule.t0 = value

    def _on_training_start(self) -> None:
        self.t0 = time.perf_counter()
        if not self.rows:
            self.score()  # the untrained policy: the curve's first point
        self.next_at = self.num_timesteps + self.every
        self.next_time = self.budget / max(self.args.curve_points, 1)

    def _on_step(self) -> bool:
        return time.perf_counter() - self.t0 < self.budget

    def _on_rollout_end(self) -> None:
        elapsed = time.perf_counter() - self.t0
        if self.num_timesteps >= self.next_at or elapsed >= self.next_time:
            self.score()
            self.next_at = self.num_timesteps + self.every
            self.next_time = elapsed + self.budget / max(self.args.curve_points, 1)

    def _on_training_end(self) -> None:
        if not self.rows or self.rows[-1]["timesteps"] != self.num_timesteps:
            self.score()

    def train_seconds(self) -> float:
        """Seconds of training so far (validation excluded; earlier sessions included)."""
        return self.seconds0 + time.perf_counter() - self.t0

    def score(self) -> None:
        train_time = time.perf_counter() - self.t0
        rep = validate(self.env, live_policy(self.model, self.env, self.args), self.args)
        row = {
            "timesteps": self.num_timesteps,
            "seconds": round(self.seconds0 + train_time, 2),
            "cost_per_period": rep.cost_per_period,
            "ci95": rep.cost_per_period_ci95,
        }
        self.rows.append(row)
        if rep.cost_per_period < self.best:
            self.best = rep.cost_per_period
            save_model(self.model, self.run_dir / "best_model.zip")
        self.logger.record("eval/cost_per_period", rep.cost_per_period)
        self.logger.record("eval/best_cost_per_period", self.best)
        n_agents = len(self.env.possible_agents)
        self.logger.record("eval/env_steps_per_second", self.num_timesteps / n_agents / max(train_time, 1e-9))
        with open(self.run_dir / "curve.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(row))
            w.writeheader()
            w.writerows(self.rows)
        # The evaluation's time is not training time.
        self.t0 += time.perf_counter() - self.t0 - train_time


class CheckpointCallback(BaseCallback):
    """Every ``every`` timesteps (rounded to whole vec-env steps), a resumable checkpoint:
    ``checkpoints/ppo_{K}_steps.zip`` (model, optimiser, step count) and its normaliser
    ``ppo_vecnormalize_{K}_steps.npz``."""

    def __init__(self, run_dir: Path, every: int) -> None:
        super().__init__()
        self.dir = run_dir / "checkpoints"
        self.every = every
        self.save_freq = 1

    def _init_callback(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.save_freq = max(self.every // self.training_env.num_envs, 1)

    def _on_step(self) -> bool:
        if self.n_calls % self.save_freq == 0:
            self.save()
        return True

    def save(self) -> Path:
        """Save a checkpoint at the current step count; returns the model file."""
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"ppo_{self.model.num_timesteps}_steps.zip"
        save_model(self.model, path)
        return path


class ProgressCallback(BaseCallback):
    """A progress bar of ``total`` timesteps that ends at exactly ``total`` (SB3 finishes its
    last rollout past the budget) and draws only on a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        super().__init__()
        self.total, self.enabled = total, enabled
        self.bar = None

    def _on_training_start(self) -> None:
        self.bar = progress(
            self.total, "ppo", initial=self.num_timesteps, enabled=None if self.enabled else False
        )

    def _on_step(self) -> bool:
        self.bar.set(self.num_timesteps)
        return True

    def _on_training_end(self) -> None:
        self.bar.close()
