"""Capped base-stock: order up to a level, but never more than a cap per period.

    q_i = min(max(S_i - IP_i, 0), cap_i)

with ``IP_i`` the agent's installation position. Known to be near-optimal for lost-sales
systems with long lead times (Xin 2021, "Understanding the performance of capped base-stock
policies in lost-sales inventory models", Operations Research 69(1)), where the cap damps the
large orders base-stock places after a run of lost sales. With ``cap >= max_order`` it is
:class:`~inventory_zoo.policies.BaseStock` (``sequential=False``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from inventory_zoo.policies.base import Policy
from inventory_zoo.policies.base_stock import installation_position
from inventory_zoo.policies.batched import batch_param, check_param
from inventory_zoo.policies.split import check_split, split_orders

__all__ = ["CappedBaseStock"]


class CappedBaseStock(Policy):
    """Capped base-stock from each agent's own observation.

    Args:
        levels: order-up-to levels ``S_i`` (units), one for all, one per agent or ``[B, N]``.
        cap: most units ordered per period ``cap_i`` >= 0, in the same forms.
        split: rule for nodes with several suppliers (``"first"``, ``"fractions"``,
            ``"cheapest"``; see :mod:`inventory_zoo.policies.split`).
        fractions: weights of ``split="fractions"``.
    """

    def __init__(self, levels: Any, cap: Any, *, split: str = "first", fractions: Any = None) -> None:
        self.levels = check_param("CappedBaseStock levels", levels)
        self.cap = check_param("CappedBaseStock cap", cap, low=0.0)
        self.split, self.fractions = check_split(split, fractions)
        self.needs_state = split == "cheapest"

    def __repr__(self) -> str:
        return f"CappedBaseStock(levels={self.levels!r}, cap={self.cap!r}, split={self.split!r})"

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        ip = installation_position(env)
        B, N = ip.shape
        S = np.rint(batch_param("levels", self.levels, B, N))
        cap = np.rint(batch_param("cap", self.cap, B, N))
        room = env.max_order * (env.spec.params.in_degree[None, :] if self.split != "first" else 1)
        q = np.minimum(np.clip(S - ip, 0, cap), room).astype(np.int64)
        return split_orders(q, env, self.split, self.fractions)
