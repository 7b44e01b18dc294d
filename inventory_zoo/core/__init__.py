"""The simulation core: spec, demand processes, lead times and the batched engine."""

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
from inventory_zoo.core.leadtime import LeadTime, RandomLeadTime
from inventory_zoo.core.spec import Edge, Node, SupplyChain

__all__ = [
    "Constant",
    "DemandProcess",
    "Edge",
    "LeadTime",
    "Merton",
    "Node",
    "Normal",
    "Poisson",
    "RandomLeadTime",
    "Step",
    "SupplyChain",
    "Trace",
    "Uniform",
]
