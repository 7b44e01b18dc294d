"""Shared-parameter PPO (Stable-Baselines3) on the library's envs.

One PPO policy serves every agent: each agent of each env copy is one row of the batch the
policy sees, built by SuperSuit's conversion of the ParallelEnv or (``vector=True``) by the
library's :class:`~inventory_zoo.envs.sb3.SB3VecEnv`. With :mod:`inventory_zoo.envs.sb3`, this
package is the only place of the library that imports Stable-Baselines3.

- :mod:`.config`: :class:`Args`, the settings of a run (the CLI's flags);
- :mod:`.envs`: the envs and vec envs of a run, the action mappings;
- :mod:`.training`: :func:`train` (with resume and Ctrl-C checkpoints);
- :mod:`.models`: :func:`load_policy` and :func:`policy_factory` (``ppo:PATH``), loading
  without unpickling; :mod:`.normalizer`: the VecNormalize statistics as ``.npz``;
- :mod:`.evaluate`: the final table against the baselines; :mod:`.cli`: ``inventory-zoo train ppo``.

Loading a trained model in your own code::

    import inventory_zoo
    from inventory_zoo.agents.ppo import load_policy

    policy = load_policy("runs/serial_v0-liu2022-vector-s0")  # or a .zip; normaliser included
    print(inventory_zoo.evaluate(inventory_zoo.serial_v0.parallel_env(preset="liu2022"), policy))
"""

from __future__ import annotations

from inventory_zoo.agents.ppo.config import Args
from inventory_zoo.agents.ppo.models import (
    PPOPolicy,
    convert_vecnormalize,
    load_policy,
    policy_factory,
    vecnormalize_path,
)


def train(*args, **kwargs):
    """:func:`inventory_zoo.agents.ppo.training.train` (imported on first use: it needs SB3)."""
    from inventory_zoo.agents.ppo.training import train as _train

    return _train(*args, **kwargs)


__all__ = [
    "Args",
    "PPOPolicy",
    "load_policy",
    "policy_factory",
    "convert_vecnormalize",
    "vecnormalize_path",
    "train",
]
