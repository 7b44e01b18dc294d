"""Baseline policies: base-stock (installation and echelon) and the exact serial optimum."""

from inventory_zoo.policies.base import Policy
from inventory_zoo.policies.base_stock import BaseStock, EchelonBaseStock
from inventory_zoo.policies.clark_scarf import optimal_serial_base_stock

__all__ = ["BaseStock", "EchelonBaseStock", "Policy", "optimal_serial_base_stock"]
