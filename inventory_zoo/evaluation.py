"""Evaluation: run a policy on many episodes at once and report supply-chain KPIs.

Episodes are the members of a :class:`~inventory_zoo.envs.vector.VectorEnv`; episode ``k`` is
seeded ``seed + k``, so it is the episode a ParallelEnv reset with ``seed + k`` would play, and
two policies evaluated with the same seed see the same demand (common random numbers).

KPIs (``T`` periods, ``B`` episodes; per episode first, then averaged over episodes):

- cost per period: ``sum_t cost_t / T`` (system: summed over agents), with a 95% interval
  ``1.96 * std_episodes / sqrt(B)``;
- fill rate: units of each period's customer demand shipped in that period, over all customer
  demand (``sum filled / sum demand``, pooled over periods and episodes);
- mean on-hand and mean backlog per agent (end of period; backlog includes what an agent owes
  downstream agents);
- bullwhip ratio per agent: ``Var(orders_i) / Var(demand seen by i)``, where the demand an agent
  sees is its customers' demand plus the orders that reached it (undefined, NaN, when that
  variance is 0);
- order fluctuation per agent (Liu et al.): ``std(orders_i) / mean(orders_i)`` (0 when the mean
  is 0).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inventory_zoo.core import quantities
from inventory_zoo.core.validation import check_int, check_seed
from inventory_zoo.envs.unwrap import unwrap_env  # noqa: F401 (kept importable from here)
from inventory_zoo.rollout import run_episodes

__all__ = ["EvaluationReport", "evaluate", "compare", "format_table", "paired_difference"]


@dataclass
class EvaluationReport:
    """What :func:`evaluate` measured (all costs raw: no reward mixing).

    Attributes:
        cost_per_period: whole-system cost (sum over agents) per period, mean over periods and
            episodes.
        cost_per_period_ci95: half-width of a 95% normal confidence interval of it, across
            episodes (NaN with one episode).
        agent_cost_per_period: each agent's own cost per period.
        fill_rate: share of customer demand shipped in the period it arrived (all demand nodes);
            1.0 when there was no demand at all (nothing went unfilled).
        agent_fill_rate: the same per demand node (1.0 for a node that saw no demand).
        mean_on_hand, mean_backlog: per agent, units at the end of a period.
        bullwhip: per agent, variance of its orders over variance of the demand it sees.
        order_fluctuation: per agent, std/mean of its orders.
        episode_costs: ``[episodes]`` whole-system cost per period of each episode.
        episodes, periods, seed: the run's size and seed.
    """

    cost_per_period: float
    cost_per_period_ci95: float
    agent_cost_per_period: dict[str, float]
    fill_rate: float = float("nan")
    agent_fill_rate: dict[str, float] = field(default_factory=dict)
    mean_on_hand: dict[str, float] = field(default_factory=dict)
    mean_backlog: dict[str, float] = field(default_factory=dict)
    bullwhip: dict[str, float] = field(default_factory=dict)
    order_fluctuation: dict[str, float] = field(default_factory=dict)
    episode_costs: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    episodes: int = 0
    periods: int = 0
    seed: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers, for JSON (NaN kept as float NaN)."""
        return {
            "cost_per_period": self.cost_per_period,
            "cost_per_period_ci95": self.cost_per_period_ci95,
            "agent_cost_per_period": dict(self.agent_cost_per_period),
            "fill_rate": self.fill_rate,
            "agent_fill_rate": dict(self.agent_fill_rate),
            "mean_on_hand": dict(self.mean_on_hand),
            "mean_backlog": dict(self.mean_backlog),
            "bullwhip": dict(self.bullwhip),
            "order_fluctuation": dict(self.order_fluctuation),
            "episodes": self.episodes,
            "periods": self.periods,
            "seed": self.seed,
        }

    def table(self) -> str:
        """A per-agent text table of the KPIs."""
        agents = list(self.agent_cost_per_period)
        head = f"{'agent':<14}{'cost/period':>12}{'fill rate':>10}{'on hand':>9}{'backlog':>9}{'bullwhip':>9}{'std/mean':>9}"
        rows = [head, "-" * len(head)]
        for a in agents:
            fr = self.agent_fill_rate.get(a)
            rows.append(
                f"{a:<14}{self.agent_cost_per_period[a]:>12.2f}"
                f"{'' if fr is None else f'{fr:.3f}':>10}"
                f"{self.mean_on_hand.get(a, float('nan')):>9.2f}{self.mean_backlog.get(a, float('nan')):>9.2f}"
                f"{self.bullwhip.get(a, float('nan')):>9.2f}{self.order_fluctuation.get(a, float('nan')):>9.2f}"
            )
        rows.append(
            f"{'system':<14}{self.cost_per_period:>12.2f}{self.fill_rate:>10.3f}"
            f"   (+/- {self.cost_per_period_ci95:.2f} at 95%, {self.episodes} episodes x {self.periods} periods)"
        )
        return "\n".join(rows)


def _ratio(num: np.ndarray, den: np.ndarray, zero: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 1e-12, num / np.where(den > 1e-12, den, 1.0), zero)


def evaluate(
    env: Any, policy: Any, episodes: int = 10, seed: int | None = 0, max_cycles: int | None = None
) -> EvaluationReport:
    """Evaluate ``policy`` on ``episodes`` episodes of ``env`` and report its KPIs.

    Args:
        env: an env of this library (ParallelEnv; AEC wrappers are unwrapped).
        policy: a :class:`~inventory_zoo.policies.Policy`, or any ``callable(obs, env)`` that
            maps observations ``[B, N, obs_dim]`` to actions ``[B, N]``.
        episodes: number of episodes (run together as one batch).
        seed: episode ``k`` is seeded ``seed + k``.
        max_cycles: periods per episode (default: the env's).

    Returns:
        an :class:`EvaluationReport`.
    """
    episodes = check_int("episodes", episodes, low=1)
    seed = check_seed(seed)
    costs, orders, seen, on_hand, backlog, demand, filled = [], [], [], [], [], [], []
    venv = None
    for venv, _, _, out in run_episodes(env, policy, episodes, seed, max_cycles):
        s = venv.engine_state
        costs.append(out.cost)
        orders.append(quantities.orders_placed(venv.spec, s))
        seen.append(quantities.orders_seen(venv.spec, s, out.demand))
        on_hand.append(s.on_hand.copy())
        backlog.append(quantities.owes(venv.spec, s))
        demand.append(out.demand)
        filled.append(out.filled)
    cost = np.stack(costs)  # [T, B, N]
    T = cost.shape[0]
    agents = list(venv.agents)
    per_ep_agent = cost.mean(0)  # [B, N]
    per_ep = per_ep_agent.sum(1)
    ci = 1.96 * per_ep.std(ddof=1) / np.sqrt(episodes) if episodes > 1 else float("nan")
    o, d = np.stack(orders).astype(float), np.stack(seen).astype(float)
    bullwhip = _ratio(o.var(0), d.var(0), np.nan)  # [B, N]
    fluct = _ratio(o.std(0), o.mean(0), 0.0)
    dem, fil = np.stack(demand), np.stack(filled)
    dem_nodes = venv.spec.params.demand_nodes
    tot_dem = dem.sum((0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        bw_mean = np.nanmean(bullwhip, axis=0)
    return EvaluationReport(
        cost_per_period=float(per_ep.mean()),
        cost_per_period_ci95=float(ci),
        agent_cost_per_period={a: float(per_ep_agent[:, i].mean()) for i, a in enumerate(agents)},
        # With no demand at all, no demand went unfilled: the fill rate is 1.
        fill_rate=float(fil[..., dem_nodes].sum() / tot_dem[dem_nodes].sum())
        if tot_dem[dem_nodes].sum()
        else 1.0,
        agent_fill_rate={
            agents[i]: float(fil[..., i].sum() / tot_dem[i]) if tot_dem[i] else 1.0 for i in dem_nodes
        },
        mean_on_hand={a: float(np.stack(on_hand)[..., i].mean()) for i, a in enumerate(agents)},
        mean_backlog={a: float(np.stack(backlog)[..., i].mean()) for i, a in enumerate(agents)},
        bullwhip={a: float(bw_mean[i]) for i, a in enumerate(agents)},
        order_fluctuation={a: float(fluct[:, i].mean()) for i, a in enumerate(agents)},
        episode_costs=per_ep,
        episodes=episodes,
        periods=T,
        seed=seed,
    )


def format_table(rows: list[dict[str, Any]]) -> str:
    """A text table of :func:`compare`'s rows."""
    head = f"{'policy':<28}{'cost/period':>12}{'+/- 95%':>9}{'fill rate':>10}"
    out = [head, "-" * len(head)]
    for r in rows:
        out.append(
            f"{r['policy']:<28}{r['cost_per_period']:>12.2f}{r['cost_per_period_ci95']:>9.2f}{r['fill_rate']:>10.3f}"
        )
    return "\n".join(out)


def compare(
    env: Any,
    policies: Mapping[str, Any],
    episodes: int = 10,
    seed: int | None = 0,
    max_cycles: int | None = None,
    show: bool = True,
) -> list[dict[str, Any]]:
    """Evaluate several policies on the same episodes (common random numbers).

    Args:
        env: the env.
        policies: ``{name: policy}``.
        episodes, seed, max_cycles: as in :func:`evaluate`.
        show: print the table.

    Returns:
        one row per policy: ``{"policy": name, **report.as_dict()}``, sorted by cost.
    """
    if not isinstance(policies, Mapping) or not policies:
        raise TypeError("policies must be a non-empty {name: policy} dict")
    rows = [
        {"policy": name, **evaluate(env, pol, episodes, seed, max_cycles).as_dict()}
        for name, pol in policies.items()
    ]
    rows.sort(key=lambda r: r["cost_per_period"])
    if show:
        print(format_table(rows))
    return rows


def paired_difference(a: Any, b: Any) -> tuple[float, float]:
    """Mean and 95% half-width of the per-episode difference ``a - b`` of two policies' costs.

    ``a`` and ``b`` are :class:`EvaluationReport` objects (their ``episode_costs``) or arrays of
    per-episode costs, measured on the same episodes (same seeds: common random numbers), so
    the interval ``1.96 * std(a - b) / sqrt(n)`` is much narrower than either policy's own.

    Returns:
        ``(mean difference, half-width)``; the half-width is NaN with one episode.

    Raises:
        ValueError: different numbers of episodes, or none.
    """
    x = np.asarray(getattr(a, "episode_costs", a), np.float64)
    y = np.asarray(getattr(b, "episode_costs", b), np.float64)
    if x.shape != y.shape or x.ndim != 1 or x.size == 0:
        raise ValueError(
            f"paired_difference needs the costs of the same episodes, got shapes {x.shape} and {y.shape}"
        )
    d = x - y
    half = 1.96 * d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else float("nan")
    return float(d.mean()), float(half)
