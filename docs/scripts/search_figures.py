"""Reproduce the search_base_stock figures quoted on the Baselines page.

Runs ``search_base_stock`` with its defaults (coordinate search, 16 episodes, seed 0, the env's
own episode length) on the two serial_v0 presets, times it (best of ``--repeat`` runs), and
checks the levels found on snyder_shen_6_1 against the exact optimum on fresh episodes. It
also compares the best base-stock and (s, S) policies of a one-stage example with a fixed
ordering cost.

    python docs/scripts/search_figures.py
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from inventory_zoo import Poisson, evaluate, serial_v0
from inventory_zoo.policies import (
    SS,
    BaseStock,
    EchelonBaseStock,
    optimal_serial_base_stock,
    search_base_stock,
)


def timed_search(env, repeat: int):
    """The search result, and (wall-clock, CPU) seconds of each run."""
    times, res = [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        res = search_base_stock(env, episodes=16, seed=0, progress=False)
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    return res, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per preset (best is reported)")
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )

    for preset in ("snyder_shen_6_1", "liu2022"):
        env = serial_v0.parallel_env(preset=preset)
        res, times = timed_search(env, args.repeat)
        echelon = tuple(int(x) for x in np.cumsum(res.levels))
        print(
            f"\n{preset}: levels {res.levels} (echelon {echelon}), search cost {res.cost_per_period:.2f} "
            f"per period, {res.evaluations} level vectors, {env.max_cycles} periods x 16 episodes, "
            f"wall-clock best {min(w for w, _ in times):.1f} s "
            f"(runs: {', '.join(f'{w:.1f} s wall / {c:.1f} s CPU' for w, c in times)})"
        )
        # Fresh episodes: 1000 periods for the stationary textbook instance, the env's own
        # length for liu2022 (its Merton demand drifts, so longer episodes are another problem).
        periods = 1000 if preset == "snyder_shen_6_1" else env.max_cycles
        fresh = evaluate(env, res.policy(), episodes=100, seed=10_000, max_cycles=periods)
        print(
            f"  fresh episodes (100 x {periods} periods, seeds 10000..10099): {fresh.cost_per_period:.2f}"
            f" +/- {fresh.cost_per_period_ci95:.2f}"
        )
        if preset == "snyder_shen_6_1":
            levels, exact = optimal_serial_base_stock(env)
            best = evaluate(env, EchelonBaseStock(levels), episodes=100, seed=10_000, max_cycles=1000)
            print(
                f"  exact optimum {levels}: {exact:.3f}; simulated on the same episodes {best.cost_per_period:.2f}"
            )
            print(
                f"  gap of the searched levels to the exact cost: {100 * (fresh.cost_per_period / exact - 1):+.2f}%"
            )
            paired = fresh.episode_costs - best.episode_costs
            print(
                f"  paired difference to the optimal policy: {paired.mean():+.3f} per period "
                f"({100 * paired.mean() / best.cost_per_period:+.2f}%), "
                f"+/- {1.96 * paired.std(ddof=1) / np.sqrt(len(paired)):.3f} at 95%"
            )

    # One stage with a fixed ordering cost: (s, S) against the best base-stock level.
    env = serial_v0.parallel_env(
        num_stages=1, demand=Poisson(5), lead_times=1, holding_costs=1.0, backorder_costs=9.0,
        fixed_order_costs=40.0, max_order=60, initial_inventory=10, max_cycles=200,
    )  # fmt: skip
    bs = search_base_stock(env, ranges=(0, 40), method="grid", episodes=16, seed=0, progress=False)
    grid = [(s, S) for s in range(0, 11) for S in range(s, 36)]
    costs = [evaluate(env, SS(s, S), episodes=16, seed=0).cost_per_period for s, S in grid]
    s, S = grid[int(np.argmin(costs))]
    fresh_bs = evaluate(env, BaseStock(bs.levels), episodes=100, seed=10_000).cost_per_period
    fresh_ss = evaluate(env, SS(s, S), episodes=100, seed=10_000).cost_per_period
    print(
        f"\nfixed cost 40, one stage: best base-stock {bs.levels[0]} costs {fresh_bs:.2f}, "
        f"best (s, S) = ({s}, {S}) costs {fresh_ss:.2f} per period (100 fresh episodes)"
    )


if __name__ == "__main__":
    main()
