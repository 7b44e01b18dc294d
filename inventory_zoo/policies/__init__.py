"""Baseline policies: base-stock, (s, S), Sterman's anchor-and-adjust rule, constant, random,
model wrappers, the exact serial optimum and a simulation search for the best base-stock levels."""

from inventory_zoo.policies.base import Policy
from inventory_zoo.policies.base_stock import (
    BaseStock,
    EchelonBaseStock,
    echelon_position,
    installation_position,
    orders_up_to,
)
from inventory_zoo.policies.clark_scarf import optimal_serial_base_stock
from inventory_zoo.policies.search import SearchResult, search_base_stock
from inventory_zoo.policies.simple import (
    SS,
    CallablePolicy,
    ConstantOrder,
    ModelPolicy,
    RandomPolicy,
    as_policy,
)
from inventory_zoo.policies.sterman import Sterman

__all__ = [
    "SS",
    "BaseStock",
    "CallablePolicy",
    "ConstantOrder",
    "EchelonBaseStock",
    "ModelPolicy",
    "Policy",
    "RandomPolicy",
    "SearchResult",
    "Sterman",
    "as_policy",
    "echelon_position",
    "installation_position",
    "optimal_serial_base_stock",
    "orders_up_to",
    "search_base_stock",
]
