"""Judge a learned policy against the best tuned heuristic, not against base-stock alone.

``best_heuristics`` tunes every heuristic family that applies to an env (on training episodes)
and scores each on the same test episodes; ``compare_with_heuristics`` adds a learner to those
test episodes and reports the paired difference between the learner and the best heuristic.

>>> from inventory_zoo import serial_v0
>>> from inventory_zoo.comparison import compare_with_heuristics
>>> result = compare_with_heuristics(my_policy, lambda: serial_v0.parallel_env(preset="liu2022"))
>>> print(format_comparison(result))

Needs the ``tune`` extra (Optuna, cmaes).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from inventory_zoo.evaluation import EvaluationReport, evaluate, paired_difference

__all__ = [
    "HeuristicResult",
    "best_heuristics",
    "compare_with_heuristics",
    "format_comparison",
    "summary_row",
]


@dataclass
class HeuristicResult:
    """One tuned family, scored on the test episodes.

    Attributes:
        family: the family's name.
        policy: the tuned policy.
        report: its :class:`~inventory_zoo.policies.tuning.TuningReport` (``report.test`` is the
            evaluation on the test episodes).
    """

    family: str
    policy: Any
    report: Any

    @property
    def test(self) -> EvaluationReport:
        return self.report.test


def _env(env_or_factory: Any) -> Any:
    if hasattr(env_or_factory, "possible_agents") or hasattr(env_or_factory, "unwrapped"):
        return env_or_factory
    if callable(env_or_factory):
        return env_or_factory()
    raise TypeError(
        f"env_or_factory must be an env or a function that makes one, got {type(env_or_factory).__name__}"
    )


def best_heuristics(
    env_or_factory: Any,
    *,
    budget: int = 256,
    episodes: int = 32,
    seed: int = 0,
    test_episodes: int = 100,
    test_seed: int = 20000,
    families: Sequence[str] | None = None,
    optimizer: str = "tpe",
    time_limit: float | None = None,
) -> list[HeuristicResult]:
    """Tune every applicable heuristic family and rank them by test cost.

    Args:
        env_or_factory: an env of this library, or a function with no arguments that makes one.
        budget, episodes, seed, optimizer, time_limit: per family, as in
            :func:`~inventory_zoo.policies.tune` (training episodes ``seed ..``).
        test_episodes, test_seed: the test episodes every family is scored on (disjoint from
            the training episodes; :func:`tune` refuses overlaps).
        families: the families to tune (default: every one that applies to the env).

    Returns:
        one :class:`HeuristicResult` per family, cheapest test cost first.

    Raises:
        ValueError: a family that does not apply, or bad sizes (see :func:`tune`).
    """
    from inventory_zoo.policies.families import applicable_families
    from inventory_zoo.policies.tuning import tune

    env = _env(env_or_factory)
    names = applicable_families(env) if families is None else list(families)
    if test_episodes < 1:
        raise ValueError(f"test_episodes must be >= 1 to rank the families, got {test_episodes}")
    out = []
    for name in names:
        policy, report = tune(
            env,
            name,
            budget=budget,
            episodes=episodes,
            seed=seed,
            test_episodes=test_episodes,
            test_seed=test_seed,
            optimizer=optimizer,
            time_limit=time_limit,
        )
        out.append(HeuristicResult(name, policy, report))
    out.sort(key=lambda r: r.test.cost_per_period)
    return out


def summary_row(name: str, report: EvaluationReport, **extra: Any) -> dict[str, Any]:
    """One table row: cost per period, its 95% half-width, fill rate and the mean bullwhip ratio
    over the agents (NaN where an agent saw no demand variation)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bw = float(np.nanmean(list(report.bullwhip.values()))) if report.bullwhip else float("nan")
    return {
        "policy": name,
        "cost_per_period": report.cost_per_period,
        "cost_per_period_ci95": report.cost_per_period_ci95,
        "fill_rate": report.fill_rate,
        "bullwhip": bw,
        **extra,
    }


def compare_with_heuristics(
    learner_policy: Any,
    env_or_factory: Any | Callable[[], Any],
    *,
    name: str = "learner",
    heuristics: list[HeuristicResult] | None = None,
    budget: int = 256,
    episodes: int = 32,
    seed: int = 0,
    test_episodes: int = 100,
    test_seed: int = 20000,
    families: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A learner next to the best tuned heuristic of every applicable family, on the same test
    episodes, with the paired difference learner - best heuristic.

    Args:
        learner_policy: the learned policy (anything :func:`~inventory_zoo.evaluate` plays).
        env_or_factory: an env or a function that makes one.
        name: the learner's row name.
        heuristics: results of :func:`best_heuristics` on the same test episodes (tuned here
            when ``None``, with ``budget``, ``episodes``, ``seed`` and ``families``).
        test_episodes, test_seed: the test episodes.

    Returns:
        ``{"rows": [...], "best_heuristic": family, "paired_difference": mean,
        "paired_difference_ci95": half-width, "test_episodes", "test_seed"}``; rows (learner and
        every family) sorted by cost, each with ``cost_per_period``, ``cost_per_period_ci95``,
        ``fill_rate``, ``bullwhip``. A negative difference means the learner costs less.

    Raises:
        ValueError: precomputed heuristics scored on other test episodes.
    """
    env = _env(env_or_factory)
    if heuristics is None:
        heuristics = best_heuristics(
            env,
            budget=budget,
            episodes=episodes,
            seed=seed,
            test_episodes=test_episodes,
            test_seed=test_seed,
            families=families,
        )
    if not heuristics:
        raise ValueError("no heuristic to compare with (families is empty)")
    for h in heuristics:
        if h.test is None or h.test.seed != test_seed or h.test.episodes != test_episodes:
            raise ValueError(
                f"heuristic {h.family!r} was scored on other episodes than seeds {test_seed}.. "
                f"({test_episodes} episodes)"
            )
    learner = evaluate(env, learner_policy, test_episodes, test_seed)
    best = min(heuristics, key=lambda h: h.test.cost_per_period)
    diff, half = paired_difference(learner, best.test)
    rows = [summary_row(name, learner, kind="learner")]
    rows += [summary_row(h.family, h.test, kind="heuristic", params=h.report.params) for h in heuristics]
    rows.sort(key=lambda r: r["cost_per_period"])
    return {
        "rows": rows,
        "best_heuristic": best.family,
        "paired_difference": diff,
        "paired_difference_ci95": half,
        "test_episodes": test_episodes,
        "test_seed": test_seed,
    }


def format_comparison(result: dict[str, Any], name: str = "learner") -> str:
    """A markdown table of :func:`compare_with_heuristics`' rows and its paired difference."""
    lines = ["| policy | cost/period | +/- 95% | fill rate | bullwhip |", "|---|---:|---:|---:|---:|"]
    for r in result["rows"]:
        lines.append(
            f"| {r['policy']} | {r['cost_per_period']:.2f} | {r['cost_per_period_ci95']:.2f} | "
            f"{r['fill_rate']:.3f} | {r['bullwhip']:.2f} |"
        )
    learner = next((r["policy"] for r in result["rows"] if r.get("kind") == "learner"), name)
    lines.append("")
    lines.append(
        f"{learner} - best heuristic ({result['best_heuristic']}): {result['paired_difference']:+.2f} "
        f"+/- {result['paired_difference_ci95']:.2f} per period (paired, 95%, {result['test_episodes']} "
        f"episodes from seed {result['test_seed']})"
    )
    return "\n".join(lines)
