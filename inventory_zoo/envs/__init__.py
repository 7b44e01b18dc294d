"""PettingZoo faces over the engine: the ParallelEnv and the vector env."""

from inventory_zoo.envs.parallel import SupplyChainParallelEnv
from inventory_zoo.envs.vector import VectorEnv

__all__ = ["SupplyChainParallelEnv", "VectorEnv"]
