"""Evaluation: run a policy on many episodes at once and report costs.

Episodes are the members of a :class:`~inventory_zoo.envs.vector.VectorEnv`; episode ``k`` is
seeded ``seed + k``, so it is the episode a ParallelEnv reset with ``seed + k`` would play, and
two policies evaluated with the same seed see the same demand (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inventory_zoo.core.validation import check_int

__all__ = ["EvaluationReport", "evaluate", "run_episodes"]


@dataclass
class EvaluationReport:
    """What :func:`evaluate` measured.

    Attributes:
        cost_per_period: whole-system cost (sum over agents) per period, mean over periods and
            episodes.
        cost_per_period_ci95: half-width of a 95% normal confidence interval of it, across
            episodes.
        agent_cost_per_period: each agent's own cost per period (mean).
        episode_costs: ``[episodes]`` whole-system cost per period of each episode.
        episodes, periods, seed: the run's size and seed.
    """

    cost_per_period: float
    cost_per_period_ci95: float
    agent_cost_per_period: dict[str, float]
    episode_costs: np.ndarray = field(repr=False)
    episodes: int = 0
    periods: int = 0
    seed: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers, for JSON."""
        return {
            "cost_per_period": self.cost_per_period,
            "cost_per_period_ci95": self.cost_per_period_ci95,
            "agent_cost_per_period": dict(self.agent_cost_per_period),
            "episodes": self.episodes,
            "periods": self.periods,
            "seed": self.seed,
        }


def _policy_fn(policy: Any):
    if hasattr(policy, "act"):
        return policy.act
    if callable(policy):
        return policy
    raise TypeError(f"policy must have act(obs, env) or be callable(obs, env), got {type(policy).__name__}")


def run_episodes(env: Any, policy: Any, episodes: int, seed: int | None, max_cycles: int | None = None):
    """Play ``episodes`` episodes in one batch; yields ``(venv, obs, actions, StepOut)`` per period."""
    from inventory_zoo.envs.vector import VectorEnv

    venv = VectorEnv(getattr(env, "unwrapped", env), episodes, auto_reset=False)
    if max_cycles is not None:
        venv.max_cycles = check_int("max_cycles", max_cycles, low=1)
    act = _policy_fn(policy)
    if hasattr(policy, "reset"):
        policy.reset(venv)
    obs, _ = venv.reset(seed=seed)
    for _ in range(venv.max_cycles):
        actions = np.asarray(act(obs, venv))
        next_obs, _, _, _, _ = venv.step(actions)
        yield venv, obs, actions, venv.batch.last
        obs = next_obs


def evaluate(
    env: Any, policy: Any, episodes: int = 10, seed: int | None = 0, max_cycles: int | None = None
) -> EvaluationReport:
    """Evaluate ``policy`` on ``episodes`` episodes of ``env`` and report its costs.

    Args:
        env: a ParallelEnv of this library (AEC wrappers are unwrapped).
        policy: a :class:`~inventory_zoo.policies.Policy`, or any ``callable(obs, env)`` that
            maps observations ``[B, N, obs_dim]`` to actions ``[B, N]``.
        episodes: number of episodes (run together as one batch).
        seed: episode ``k`` is seeded ``seed + k``.
        max_cycles: periods per episode (default: the env's).

    Returns:
        an :class:`EvaluationReport`; costs are raw costs (no reward mixing).
    """
    episodes = check_int("episodes", episodes, low=1)
    total = None
    periods = 0
    agents: list[str] = []
    for venv, _, _, out in run_episodes(env, policy, episodes, seed, max_cycles):
        total = out.cost.copy() if total is None else total + out.cost
        periods += 1
        agents = venv.agents
    per_ep_agent = total / periods  # [B, N]
    per_ep = per_ep_agent.sum(1)
    ci = 1.96 * per_ep.std(ddof=1) / np.sqrt(episodes) if episodes > 1 else float("nan")
    return EvaluationReport(
        cost_per_period=float(per_ep.mean()),
        cost_per_period_ci95=float(ci),
        agent_cost_per_period={a: float(per_ep_agent[:, i].mean()) for i, a in enumerate(agents)},
        episode_costs=per_ep,
        episodes=episodes,
        periods=periods,
        seed=seed,
    )
