"""Shared fixtures: the (module, preset) table every contract test runs through."""

from __future__ import annotations

import pytest

from inventory_zoo import serial_v0

# (module, kwargs) pairs: every env module with its defaults and every preset.
ENV_CASES = [
    pytest.param(serial_v0, {}, id="serial_v0-default"),
    pytest.param(serial_v0, {"preset": "liu2022"}, id="serial_v0-liu2022"),
    pytest.param(
        serial_v0,
        {"preset": "liu2022", "price_discount": True, "fixed_cost": True, "shipping_loss": True},
        id="serial_v0-liu2022-options",
    ),
    pytest.param(serial_v0, {"preset": "snyder_shen_6_1"}, id="serial_v0-snyder_shen_6_1"),
    pytest.param(
        serial_v0,
        {"lost_sales": True, "lead_times": {1: 0.5, 3: 0.5}, "order_delays": 1, "agent_id": True, "normalize_obs": True},
        id="serial_v0-variants",
    ),
]
