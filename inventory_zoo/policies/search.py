"""Best installation base-stock levels by simulation, for any env.

Coordinate search: starting from a guess, each agent's level in turn is set to the best value
of its range with the other levels fixed, until a full round changes nothing. Every candidate of
a sweep is simulated at once, as rows of one batch, on the same demand (common random numbers:
episode ``k`` of every candidate is seeded ``seed + k``), so differences between candidates are
not noise between samples. ``method="grid"`` simulates every combination instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inventory_zoo.core.validation import check_int
from inventory_zoo.policies.base_stock import BaseStock

__all__ = [
    "SearchResult",
    "search_base_stock",
    "simulate_levels",
    "disjoint_training_seed",
    "TRAIN_SEED_OFFSET",
]

#: Distance from the first scored (test) episode's seed to the first training episode's seed.
TRAIN_SEED_OFFSET = 1_000_000


def disjoint_training_seed(test_seed: int, test_episodes: int | None = None) -> int:
    """The first seed of training episodes that never overlap the scored ones.

    A command that tunes a policy (``search``, ``tuned:FAMILY``) and then scores it on episodes
    ``test_seed .. test_seed + test_episodes - 1`` tunes it on episodes from
    ``test_seed + max(TRAIN_SEED_OFFSET, test_episodes)`` upward: after the last scored episode
    by construction when ``test_episodes`` is given, and for any run of fewer than
    :data:`TRAIN_SEED_OFFSET` scored episodes when it is not.

    Raises:
        TypeError, ValueError: a seed that is not an integer >= 0, or a negative count.
    """
    test_seed = check_int("test_seed", test_seed, low=0)
    n = 0 if test_episodes is None else check_int("test_episodes", test_episodes, low=0)
    return test_seed + max(TRAIN_SEED_OFFSET, n)


@dataclass
class SearchResult:
    """Outcome of :func:`search_base_stock`.

    Attributes:
        levels: best installation levels per agent (retailer first).
        cost_per_period: their simulated whole-system cost per period (on the search's episodes).
        evaluations: number of level vectors simulated.
        history: ``(levels, cost)`` of every simulated vector.
        sequential: the :class:`BaseStock` mode the levels were searched for.
    """

    levels: tuple[int, ...]
    cost_per_period: float
    evaluations: int
    history: list[tuple[tuple[int, ...], float]] = field(default_factory=list, repr=False)
    sequential: bool = True

    def policy(self) -> BaseStock:
        """The :class:`BaseStock` policy at the best levels, in the mode they were searched for."""
        return BaseStock(self.levels, sequential=self.sequential)


def simulate_levels(
    env: Any, candidates: np.ndarray, episodes: int, seed: int, max_cycles: int, sequential: bool = True
) -> np.ndarray:
    """Whole-system cost per period of each row of ``candidates`` ``[K, N]`` (one batch).

    Candidate ``k``'s episode ``e`` is seeded ``seed + e``: all candidates see the same demand.
    """
    from inventory_zoo.envs.unwrap import unwrap_env
    from inventory_zoo.envs.vector import VectorEnv

    cand = np.asarray(candidates, np.int64)
    K, N = cand.shape
    venv = VectorEnv(unwrap_env(env), K * episodes, auto_reset=False)
    venv.max_cycles = max_cycles
    policy = BaseStock(np.repeat(cand, episodes, axis=0), sequential=sequential)
    obs, _ = venv.reset(seed=[seed + e for _ in range(K) for e in range(episodes)])
    total = np.zeros(K * episodes)
    for _ in range(max_cycles):
        obs, _, _, _, info = venv.step(policy.act(obs, venv))
        total += info["cost"].sum(1)
    return (total / max_cycles).reshape(K, episodes).mean(1)


def _progress(total: int, enabled: bool, desc: str):
    if enabled:
        try:
            from tqdm.auto import tqdm

            return tqdm(total=total, desc=desc, unit="sweep", leave=False)
        except ImportError:  # tqdm comes with the `train` extra
            pass

    class _Null:
        def update(self, n: int = 1) -> None:
            pass

        def close(self) -> None:
            pass

        def set_postfix_str(self, s: str) -> None:
            pass

    return _Null()


def _initial_guess(env: Any, n: int) -> list[int]:
    """Mean demand through each agent times (lead time + 1): a usual base-stock starting point."""
    from inventory_zoo.envs.unwrap import unwrap_env

    spec = unwrap_env(env).spec
    a = spec.params
    mu = 0.0
    for node in spec.nodes:
        if node.demand is not None:
            m = node.demand.mean
            if m is None:
                m = float(node.demand.sample(np.random.default_rng(0), 16, 64).mean())
            mu += m
    per_node = mu / max(int(a.has_demand.sum()), 1)
    guess = []
    for i in range(n):
        lead = max(
            (spec.edges[e].lead_time.mean + spec.edges[e].order_delay for e in a.in_edges(i)), default=1
        )
        guess.append(int(round(per_node * (lead + 1))))
    return guess


def search_base_stock(
    env: Any,
    ranges: Sequence[tuple[int, int]] | tuple[int, int] | None = None,
    method: str = "coordinate",
    episodes: int = 16,
    seed: int = 0,
    max_cycles: int | None = None,
    start: Sequence[int] | None = None,
    max_rounds: int = 6,
    sequential: bool = True,
    progress: bool = True,
) -> SearchResult:
    """Find the best installation base-stock levels of an env by simulation.

    Args:
        env: any env of this library.
        ranges: inclusive ``(low, high)`` level range per agent, or one for all (default
            ``(0, 2 * guess + max_order)`` around a starting guess).
        method: ``"coordinate"`` (default) or ``"grid"`` (every combination; small problems).
        episodes: episodes per candidate; ``seed``: episode ``k`` is seeded ``seed + k``.
        max_cycles: periods per episode (default: the env's).
        start: starting levels for the coordinate search (default: mean demand x (lead + 1)).
        max_rounds: most coordinate rounds.
        sequential: passed to :class:`BaseStock`.
        progress: show a progress bar (needs tqdm, in the ``train`` extra).

    Returns:
        a :class:`SearchResult`.

    Raises:
        ValueError: bad ranges, method or sizes.
    """
    from inventory_zoo.envs.unwrap import unwrap_env

    penv = unwrap_env(env)
    n = len(penv.possible_agents)
    episodes = check_int("episodes", episodes, low=1)
    max_rounds = check_int("max_rounds", max_rounds, low=1)
    T = penv.max_cycles if max_cycles is None else check_int("max_cycles", max_cycles, low=1)
    guess = list(start) if start is not None else _initial_guess(penv, n)
    if len(guess) != n:
        raise ValueError(f"start must have one level per agent ({n}), got {guess!r}")
    if ranges is None:
        rng_list = [(0, 2 * g + penv.max_order) for g in guess]
    elif len(ranges) == 2 and all(isinstance(x, (int, np.integer)) for x in ranges):
        rng_list = [tuple(ranges)] * n  # type: ignore[list-item]
    else:
        rng_list = [tuple(r) for r in ranges]  # type: ignore[misc]
    if len(rng_list) != n or any(len(r) != 2 or r[0] < 0 or r[1] < r[0] for r in rng_list):
        raise ValueError(
            f"ranges must be (low, high) with 0 <= low <= high, one per agent ({n}); got {ranges!r}"
        )
    history: list[tuple[tuple[int, ...], float]] = []

    if method == "grid":
        grid = np.array(list(itertools.product(*[range(lo, hi + 1) for lo, hi in rng_list])), np.int64)
        bar = _progress(1, progress, "grid search")
        costs = simulate_levels(penv, grid, episodes, seed, T, sequential)
        bar.update()
        bar.close()
        history = [(tuple(map(int, g)), float(c)) for g, c in zip(grid, costs, strict=True)]
        k = int(np.argmin(costs))
        return SearchResult(tuple(map(int, grid[k])), float(costs[k]), len(grid), history, sequential)
    if method != "coordinate":
        raise ValueError(f"method={method!r} is not allowed; use 'coordinate' or 'grid'")

    levels = np.array([min(max(g, lo), hi) for g, (lo, hi) in zip(guess, rng_list, strict=True)], np.int64)
    best_cost = float("inf")
    bar = _progress(max_rounds * n, progress, "base-stock search")
    for _ in range(max_rounds):
        changed = False
        for i in range(n):
            lo, hi = rng_list[i]
            cand = np.repeat(levels[None], hi - lo + 1, axis=0)
            cand[:, i] = np.arange(lo, hi + 1)
            costs = simulate_levels(penv, cand, episodes, seed, T, sequential)
            history += [(tuple(map(int, c)), float(v)) for c, v in zip(cand, costs, strict=True)]
            k = int(np.argmin(costs))
            if costs[k] < best_cost - 1e-12 and cand[k, i] != levels[i]:
                changed = True
            best_cost = min(best_cost, float(costs[k]))
            levels = cand[k].copy()
            bar.update()
            bar.set_postfix_str(f"cost {best_cost:.3f} levels {tuple(map(int, levels))}")
        if not changed:
            break
    bar.close()
    return SearchResult(tuple(map(int, levels)), best_cost, len(history), history, sequential)
