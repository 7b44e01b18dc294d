"""Sterman's anchor-and-adjust ordering rule (Sterman 1989, the beer game).

Every week each player anchors on the orders it expects and adjusts for the gap between a
target and its stock plus its supply line:

    O_t = max(0, L_t + alpha_S * (S' - S_t - beta * SL_t))
    L_t = theta * incoming_t + (1 - theta) * L_{t-1}

with ``S_t`` the effective inventory (on hand minus backlog), ``SL_t`` the supply line (all it
has ordered and not yet received: orders still travelling to its supplier, what the supplier
owes it, and units in transit) and ``incoming_t`` the latest order it received (customer
demand at the retailer). Orders are whole cases, so ``O_t`` is rounded.

With ``theta = 0``, ``alpha_S = 1``, ``beta = 1`` and ``S' = (28, 28, 28, 20)``, played on
``beer_game_v0`` (preset ``"classic"``, the board game) under the board protocol in which
every player orders 4 in the first weeks, the costs over 36 weeks are 46, 50, 54 and 54 per
position, 204 for the team: Sterman's benchmark, reproduced by Edali & Yasarcan (JASSS 17(4)
2, 2014). See ``docs/envs/beer_game_v0.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from inventory_zoo.core import quantities
from inventory_zoo.core.validation import check_int, check_real, per_node
from inventory_zoo.policies.base import Policy

__all__ = ["Sterman", "ROUNDINGS"]

#: How a fractional order becomes whole cases.
ROUNDINGS = ("half_up", "half_even", "floor", "ceil")


def _round(x: np.ndarray, how: str) -> np.ndarray:
    if how == "half_up":
        return np.floor(x + 0.5)
    if how == "half_even":
        return np.rint(x)
    if how == "floor":
        return np.floor(x)
    return np.ceil(x)


def stock_and_supply_line(env: Any) -> tuple[np.ndarray, np.ndarray]:
    """``([B, N], [B, N])``: Sterman's ``S`` (effective inventory) and ``SL`` (supply line).

    ``S`` = on hand - customer backlog - orders owed downstream - the customer demand just
    revealed (when the env shows it before ordering). ``SL`` = units in transit to the node +
    what its suppliers owe it + its orders still on their way to the suppliers.
    """
    s, spec = env.engine_state, env.spec
    visible = s.demand if env.batch.demand_visible else 0
    return s.on_hand - quantities.owes(spec, s) - visible, quantities.on_order(spec, s)


def incoming_orders(env: Any) -> np.ndarray:
    """``[B, N]`` the latest orders each node has seen: orders from downstream that reached it
    last period plus its customer demand (the one just revealed, or the one served last period
    when demand is not shown before ordering)."""
    s = env.engine_state
    return quantities.orders_seen(env.spec, s, s.demand if env.batch.demand_visible else s.last_demand)


class Sterman(Policy):
    """Sterman's anchor-and-adjust rule, for every agent of a batch.

    Args:
        theta: ``θ`` in [0, 1], weight of the latest incoming order in the expectation ``L``
            (0: the expectation never moves from ``expected``).
        alpha_s: ``α_S`` >= 0, fraction of the stock gap ordered each week.
        beta: ``β`` >= 0, weight of the supply line in the gap.
        s_prime: ``S'``, the target for stock plus ``β`` times the supply line; one number or
            one per agent (retailer first).
        expected: ``L_0``, the expectation before the first week (4 cases on the board).
        warmup: the first ``warmup`` decisions of an episode order ``warmup_order`` instead of
            applying the rule. The default 5 is the board protocol on ``beer_game_v0``: the
            order slips on the board at setup (the first action) and the orders of weeks 1-4.
            Pass 0 to apply the rule from the first decision. The expectation is updated
            during the warm-up all the same.
        warmup_order: the warm-up order (default: ``expected`` rounded).
        rounding: ``"half_up"`` (default: x.5 goes up, as a player rounds), ``"half_even"``
            (numpy's, Python's and R's ``round``), ``"floor"`` or ``"ceil"``.

    The rule reads the engine state (``needs_state``): ``S`` and ``SL`` are what a board player
    sees on the board, including what the supplier still owes. Call :meth:`reset` (done by
    :func:`inventory_zoo.evaluate`) or simply start a new episode: the expectation restarts
    when the env's clock is back at 0.
    """

    needs_state = True

    def __init__(
        self,
        theta: float | Sequence[float],
        alpha_s: float | Sequence[float],
        beta: float | Sequence[float],
        s_prime: float | Sequence[float],
        *,
        expected: float = 4.0,
        warmup: int = 5,
        warmup_order: int | None = None,
        rounding: str = "half_up",
    ) -> None:
        self.theta = theta
        self.alpha_s = alpha_s
        self.beta = beta
        self.s_prime = s_prime
        # Check what can be checked without knowing the number of agents.
        for name, value, high in (("theta", theta, 1.0), ("alpha_s", alpha_s, None), ("beta", beta, None)):
            for v in np.atleast_1d(np.asarray(value, dtype=object)).ravel().tolist():
                check_real(f"Sterman: {name}", v, low=0.0, high=high)
        for v in np.atleast_1d(np.asarray(s_prime, dtype=object)).ravel().tolist():
            check_real("Sterman: s_prime", v)
        self.expected = check_real("Sterman: expected", expected, low=0.0)
        self.warmup = check_int("Sterman: warmup", warmup, low=0)
        if warmup_order is None:
            warmup_order = int(_round(np.array(self.expected), "half_up"))
        self.warmup_order = check_int("Sterman: warmup_order", warmup_order, low=0)
        if rounding not in ROUNDINGS:
            raise ValueError(f"Sterman: rounding={rounding!r} is not allowed; use one of {ROUNDINGS}")
        self.rounding = rounding
        self._L: np.ndarray | None = None
        self._t = -1

    def __repr__(self) -> str:
        return (
            f"Sterman(theta={self.theta!r}, alpha_s={self.alpha_s!r}, beta={self.beta!r}, "
            f"s_prime={self.s_prime!r}, expected={self.expected!r}, warmup={self.warmup!r}, "
            f"rounding={self.rounding!r})"
        )

    @classmethod
    def benchmark(cls, env: Any = None) -> Sterman:
        """Sterman's benchmark parameters: ``theta=0, alpha_s=1, beta=1, s_prime=(28, 28, 28, 20)``.

        On the classic beer game (``beer_game_v0``, preset ``"classic"``) they cost 46, 50, 54
        and 54 over 36 weeks. ``env``, if given, must have the beer game's four positions.

        Raises:
            ValueError: ``env`` does not have four agents.
        """
        if env is not None:
            n = len(getattr(env, "possible_agents", getattr(env, "agents", ())))
            if n != 4:
                raise ValueError(
                    f"Sterman.benchmark: the benchmark targets S' = (28, 28, 28, 20) are for the "
                    f"beer game's 4 positions; this env has {n} agents (build Sterman(...) yourself)"
                )
        return cls(theta=0.0, alpha_s=1.0, beta=1.0, s_prime=(28, 28, 28, 20))

    @classmethod
    def from_env(
        cls,
        env: Any,
        theta: float | Sequence[float] = 0.25,
        alpha_s: float | Sequence[float] = 0.5,
        beta: float | Sequence[float] = 1.0,
        stock_periods: float = 1.0,
        offset: float | Sequence[float] | np.ndarray = 0.0,
    ) -> Sterman:
        """The rule with targets derived from any env, not only the beer game's four positions.

        With ``mu`` the mean customer demand per demand node and ``L_i`` agent ``i``'s
        replenishment lead time (shipping lead time plus order delay), the target is the stock
        the agent wants plus ``beta`` times the supply line that keeps ``mu`` flowing:

            s_prime_i = stock_periods * mu + beta * L_i * mu + offset_i

        The expectation starts at ``mu`` and the rule applies from the first decision
        (``warmup=0``). ``offset`` (one number, one per agent, or ``[B, N]``) is what
        :func:`~inventory_zoo.policies.tune` adjusts.

        Args:
            env: an env of this library (ParallelEnv, AEC env or VectorEnv).
            theta, alpha_s, beta: as in :class:`Sterman`.
            stock_periods: periods of mean demand held as stock, >= 0.
            offset: units added to every target.
        """
        from inventory_zoo.envs.unwrap import unwrap_env
        from inventory_zoo.policies.batched import mean_customer_demand, replenishment_lead_times

        spec = env.spec if hasattr(env, "batch") and hasattr(env, "spec") else unwrap_env(env).spec
        stock_periods = check_real("Sterman.from_env: stock_periods", stock_periods, low=0.0)
        mu = mean_customer_demand(spec)
        lead = replenishment_lead_times(spec)
        b = np.asarray(beta, float)
        s_prime = stock_periods * mu + b * lead * mu + np.asarray(offset, float)
        return cls(theta, alpha_s, beta, s_prime, expected=mu, warmup=0, warmup_order=int(round(mu)))

    def _param(self, name: str, n: int, **kw: Any) -> np.ndarray:
        value = getattr(self, name)
        if np.ndim(value) == 2:  # one row per batch member (checked in __init__)
            return np.asarray(value, float)
        return np.asarray(per_node(f"Sterman: {name}", value, n, **kw), float)

    def reset(self, env: Any) -> None:
        self._L = None
        self._t = -1

    def expectation(self) -> np.ndarray | None:
        """The current expectations ``L`` ``[B, N]`` (``None`` before the first decision)."""
        return None if self._L is None else self._L.copy()

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        s = env.engine_state
        B, N = s.on_hand.shape
        t = s.t
        if self._L is None or self._L.shape != (B, N) or t == 0 or t < self._t:
            self._L = np.full((B, N), self.expected)
            self._t = 0
        if t > self._t:
            # One update per period: the latest incoming orders enter the expectation.
            theta = self._param("theta", N, low=0.0, high=1.0)
            self._L = theta * incoming_orders(env) + (1.0 - theta) * self._L
            self._t = t
        if t < self.warmup:
            q = np.full((B, N), self.warmup_order, np.int64)
        else:
            alpha = self._param("alpha_s", N, low=0.0)
            beta = self._param("beta", N, low=0.0)
            target = self._param("s_prime", N, low=None)
            S, SL = stock_and_supply_line(env)
            x = self._L + alpha * (target - S - beta * SL)
            q = np.maximum(_round(x, self.rounding), 0).astype(np.int64)
        q = np.minimum(q, env.max_order)
        b = env.batch
        if b.max_in == 1:
            return q
        out = np.zeros((B, N, b.max_in), np.int64)
        out[..., 0] = q  # several suppliers: everything from the first one
        return out
