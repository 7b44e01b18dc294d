"""inventory-zoo: multi-echelon inventory environments for multi-agent reinforcement learning.

Importing the package registers its envs with PettingZoo's registry
(``pettingzoo.make("parallel", "inventory_zoo/serial-v0")``). It never imports torch.
"""

from __future__ import annotations

import pettingzoo as _pz

from inventory_zoo import beer_game_v0, core, network_v0, serial_v0
from inventory_zoo.core.demand import (
    Constant,
    DemandProcess,
    Merton,
    Normal,
    Poisson,
    Step,
    Trace,
    Uniform,
)
from inventory_zoo.core.leadtime import RandomLeadTime
from inventory_zoo.envs.registry import ENVS
from inventory_zoo.evaluation import EvaluationReport, compare, evaluate
from inventory_zoo.render import plot_episode

__version__ = "0.1.0"

__all__ = [
    "Constant",
    "DemandProcess",
    "EvaluationReport",
    "Merton",
    "Normal",
    "Poisson",
    "RandomLeadTime",
    "Step",
    "Trace",
    "Uniform",
    "beer_game_v0",
    "core",
    "compare",
    "evaluate",
    "network_v0",
    "plot_episode",
    "serial_v0",
]

for _e in ENVS.values():
    if _e.pz_id not in _pz.env_registry.registration.parallel_registry:
        _pz.register("parallel", _e.pz_id, entry_point=f"{_e.module}:parallel_env")
        _pz.register("aec", _e.pz_id, entry_point=f"{_e.module}:env")
