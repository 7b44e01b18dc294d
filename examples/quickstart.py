"""A first tour: the textbook serial chain, its exact optimum, and simulation agreeing with it.

Run: python examples/quickstart.py
"""

from __future__ import annotations

import numpy as np

import inventory_zoo
from inventory_zoo import serial_v0
from inventory_zoo.policies import BaseStock, EchelonBaseStock, optimal_serial_base_stock


def main() -> None:
    # 1. The Clark-Scarf instance of Snyder & Shen's Example 6.1.
    env = serial_v0.parallel_env(preset="snyder_shen_6_1", render_mode="ansi")
    levels, cost = optimal_serial_base_stock(env)
    print(f"snyder_shen_6_1: optimal echelon levels {levels}, expected cost {cost:.2f} per period")

    # 2. Play three periods by hand with the optimal policy and look at the state.
    policy = EchelonBaseStock(levels)
    obs, _ = env.reset(seed=0)
    for _ in range(3):
        obs, rewards, terms, truncs, infos = env.step(policy(obs, env))
    print(env.render())

    # 3. Evaluate it on 32 long episodes at once (the vector env underneath).
    rep = inventory_zoo.evaluate(env, policy, episodes=32, seed=0, max_cycles=1000)
    print(
        f"simulated: {rep.cost_per_period:.2f} +/- {rep.cost_per_period_ci95:.2f} per period "
        f"(exact {cost:.2f})"
    )

    # 4. The origin paper's serial env, with a simple installation base-stock baseline.
    liu = serial_v0.parallel_env(preset="liu2022")
    for S in (20, 40, 60):
        r = inventory_zoo.evaluate(liu, BaseStock(S), episodes=20, seed=0)
        print(f"liu2022, BaseStock({S}): {r.cost_per_period / 3:.2f} per agent per period")
    obs, _ = liu.reset(seed=1)
    print("liu2022 observation of stage_0:", np.round(obs["stage_0"], 2))


if __name__ == "__main__":
    main()
