"""What every env module's ``parallel_env``/``raw_env``/``env`` trio builds: a spec and its
options made into a ParallelEnv, and its AEC forms."""

from __future__ import annotations

from typing import Any

from inventory_zoo.core.spec import SupplyChain
from inventory_zoo.envs.options import EnvOptions
from inventory_zoo.envs.parallel import SupplyChainParallelEnv, to_aec

__all__ = ["make_parallel", "make_raw_aec", "make_aec"]


def make_parallel(name: str, spec: SupplyChain, cfg: dict[str, Any]) -> SupplyChainParallelEnv:
    """The ParallelEnv named ``name`` of ``spec`` with the env options of the resolved
    configuration ``cfg`` (kept as ``env.config``)."""
    return SupplyChainParallelEnv(spec, EnvOptions.from_config(cfg), name=name, config=cfg)


def make_raw_aec(par_env: SupplyChainParallelEnv):
    """The AEC form without PettingZoo's safety wrappers."""
    from pettingzoo.utils import parallel_to_aec

    return parallel_to_aec(par_env)


def make_aec(par_env: SupplyChainParallelEnv):
    """The AEC form with per-agent action checks and PettingZoo's order enforcing."""
    return to_aec(par_env)
