"""Write the episode charts shown on the Evaluation page (needs the ``plot`` extra).

- ``docs/img/episode_snyder_shen.png``: the exact optimal echelon base-stock policy on the
  snyder_shen_6_1 preset, 60 periods, seed 0.
- ``docs/img/episode_liu2022.png``: installation base-stock at the levels found by
  ``search_base_stock`` (defaults: 16 episodes, seed 0) on the liu2022 preset, one 200-period
  episode, seed 0.

    python docs/scripts/make_figures.py
"""

from __future__ import annotations

from pathlib import Path

from inventory_zoo import plot_episode, serial_v0
from inventory_zoo.policies import EchelonBaseStock, optimal_serial_base_stock, search_base_stock

IMG = Path(__file__).resolve().parent.parent / "img"


def main() -> None:
    IMG.mkdir(exist_ok=True)

    env = serial_v0.parallel_env(preset="snyder_shen_6_1", max_cycles=60)
    levels, cost = optimal_serial_base_stock(env)
    path = IMG / "episode_snyder_shen.png"
    plot_episode(env, EchelonBaseStock(levels), path=str(path), seed=0)
    print(f"wrote {path} (echelon levels {levels}, expected cost {cost:.2f} per period)")

    env = serial_v0.parallel_env(preset="liu2022")
    found = search_base_stock(env, episodes=16, seed=0, progress=False)
    path = IMG / "episode_liu2022.png"
    plot_episode(env, found.policy(), path=str(path), seed=0, size=(1000, 600))
    print(f"wrote {path} (installation levels {found.levels}, search cost {found.cost_per_period:.2f})")


if __name__ == "__main__":
    main()
