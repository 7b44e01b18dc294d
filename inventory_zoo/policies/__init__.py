"""Baseline policies: base-stock, (s, S), Sterman's anchor-and-adjust rule, constant, random,
model wrappers, the exact serial optimum and a simulation search for the best base-stock levels;
the heuristics practitioners run (forecast-driven order-up-to, (s, S) and (R, s, S) on a
forecast, capped base-stock, split rules for multi-sourcing) and ``tune``, which tunes them."""

from inventory_zoo.policies.base import Policy
from inventory_zoo.policies.base_stock import (
    BaseStock,
    EchelonBaseStock,
    echelon_position,
    installation_position,
    orders_up_to,
)
from inventory_zoo.policies.capped import CappedBaseStock
from inventory_zoo.policies.clark_scarf import optimal_serial_base_stock
from inventory_zoo.policies.families import FAMILIES, applicable_families
from inventory_zoo.policies.forecast import ForecastOrderUpTo
from inventory_zoo.policies.search import SearchResult, disjoint_training_seed, search_base_stock
from inventory_zoo.policies.simple import (
    SS,
    CallablePolicy,
    ConstantOrder,
    ModelPolicy,
    RandomPolicy,
    as_policy,
)
from inventory_zoo.policies.split import SPLIT_RULES, split_orders
from inventory_zoo.policies.sterman import Sterman
from inventory_zoo.policies.tuning import TuningReport, tune

__all__ = [
    "FAMILIES",
    "SPLIT_RULES",
    "SS",
    "BaseStock",
    "CallablePolicy",
    "CappedBaseStock",
    "ConstantOrder",
    "EchelonBaseStock",
    "ForecastOrderUpTo",
    "ModelPolicy",
    "Policy",
    "RandomPolicy",
    "SearchResult",
    "Sterman",
    "TuningReport",
    "applicable_families",
    "as_policy",
    "disjoint_training_seed",
    "echelon_position",
    "installation_position",
    "optimal_serial_base_stock",
    "orders_up_to",
    "search_base_stock",
    "split_orders",
    "tune",
]
