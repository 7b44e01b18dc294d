"""Forecast-driven order-up-to, (s, S) and (R, s, S) policies: what practitioners run.

Each agent forecasts the demand it sees: its customers' demand at a retailer, the orders that
reached it from downstream elsewhere (:func:`~inventory_zoo.core.quantities.orders_seen`; with
``demand_visible=False`` a retailer sees the demand it served last period). Per agent ``i`` and
period ``t``, with ``d_t`` the latest demand seen:

- moving average (``forecast="ma"``, window ``p``): ``f_t = (d_t + ... + d_{t-p+1}) / p``;
- exponential smoothing (``forecast="es"``): level ``l_t = alpha d_t + (1 - alpha)(l_{t-1} +
  b_{t-1})``, trend ``b_t = beta (l_t - l_{t-1}) + (1 - beta) b_{t-1}`` (Holt's method; ``beta
  = 0`` and ``b_0 = 0`` give simple exponential smoothing, ``f_t = l_t``).

Forecasts start at ``prior`` (default: the mean customer demand per demand node) and are updated
once per period with the demand seen: from period 1 on, and at reset with the customer demand
just revealed when the env shows it (``demand_visible=True``). The forecast of the demand ``k``
periods ahead is ``l_t + k b_t`` (``f_t`` for the moving
average). The policy covers ``C_i = L_i + R`` periods: ``L_i`` the agent's replenishment lead
time (shipping lead time plus order delay, the longest over its suppliers) and ``R`` the review
period (1: every period). That is ``L + 1 + review`` with ``review = R - 1`` periods skipped
between reviews. Its level and reorder point are

    S_t = sum_{k=1..C} (l_t + k b_t) + safety_t      (= C f_t + safety_t without trend)
    safety_t = safety + z * sigma_t * sqrt(C)
    sigma_t^2 = (1 - w) sigma_{t-1}^2 + w (d_t - f_{t-1})^2      (running one-step error)

and every ``R`` periods (periods ``t`` with ``t mod R = 0``) the agent compares its inventory
position ``IP`` with ``s_t = S_t`` and, when ``IP <= s_t``, orders up to ``S_t + Q_t`` with
``Q_t = cycle * f_t`` (``f_t`` the one-period forecast):

- ``cycle = 0``, ``R = 1``: forecast-driven order-up-to, ``q = max(S_t - IP, 0)``;
- ``cycle > 0``: (s, S) on a forecast, ``s = S_t``, ``S = S_t + cycle * f_t`` (an order of
  about ``cycle`` periods of demand each time the position falls to the reorder point);
- ``R > 1``: the periodic-review (R, s, S) form.

``position="installation"`` uses each agent's installation position (its own observation);
``position="echelon"`` (serial chains) uses echelon positions, the retailer's customer-demand
forecast for every stage and the echelon cover ``C_i = L_1 + ... + L_i + R``. Levels are rounded
to integers and at least 0; orders are capped at ``max_order`` per supplier and divided among
several suppliers by a :mod:`split rule <inventory_zoo.policies.split>`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from inventory_zoo.core import quantities
from inventory_zoo.core.validation import check_real
from inventory_zoo.policies.base import Policy
from inventory_zoo.policies.base_stock import echelon_position, installation_position
from inventory_zoo.policies.batched import (
    batch_param,
    check_param,
    mean_customer_demand,
    replenishment_lead_times,
)
from inventory_zoo.policies.split import check_split, split_orders

__all__ = ["ForecastOrderUpTo", "demand_seen", "FORECASTS", "POSITIONS"]

FORECASTS = ("es", "ma")
POSITIONS = ("installation", "echelon")
#: Longest moving-average window.
MAX_WINDOW = 64


def demand_seen(env: Any) -> np.ndarray:
    """``[B, N]`` the latest demand each agent has seen: its customers' demand (the demand just
    revealed, or the demand served last period when the env does not show it before ordering)
    plus the orders from downstream that reached it last period."""
    s = env.engine_state
    return quantities.orders_seen(env.spec, s, s.demand if env.batch.demand_visible else s.last_demand)


class ForecastOrderUpTo(Policy):
    """Order-up-to (or (s, S), (R, s, S)) on a moving-average or exponential-smoothing forecast.

    The formulas are in the module docstring. Every numeric parameter takes one number for all
    agents, one per agent (retailer first), or a ``[B, N]`` array (one row per batch member).

    Args:
        forecast: ``"es"`` (exponential smoothing, Holt's with ``beta > 0``) or ``"ma"``.
        alpha: smoothing weight of the level, in (0, 1] (``"es"``).
        beta: smoothing weight of the trend, in [0, 1] (``"es"``; 0: no trend).
        window: moving-average window ``p``, 1..64 periods (``"ma"``).
        safety: additive safety stock, units (may be negative).
        z: safety factor on the running forecast error, >= 0 (0: additive safety only).
        cycle: periods of forecast demand added to the level when ordering, >= 0 (0: order-up-to;
            > 0: (s, S)).
        review: review period ``R`` >= 1 (1: every period).
        position: ``"installation"`` (own observation) or ``"echelon"`` (serial chains; reads the
            full state).
        sequential: installation form only: count the orders customers place in the same period
            on links without order delay (as :class:`BaseStock` does by default; reads its
            customers' orders, so ``needs_state`` becomes True). Default False: own observation.
        split: ``"first"``, ``"fractions"`` or ``"cheapest"`` for nodes with several suppliers.
        fractions: the weights of ``split="fractions"``, one per supplier slot.
        prior: forecast before any demand is seen (default: the env's mean customer demand per
            demand node; the echelon form uses it for the retailer).
        error_weight: ``w`` of the running forecast error, in (0, 1].

    Raises:
        ValueError / TypeError: a parameter outside its range, naming it.
    """

    def __init__(
        self,
        forecast: str = "es",
        *,
        alpha: Any = 0.3,
        beta: Any = 0.0,
        window: Any = 4,
        safety: Any = 0.0,
        z: Any = 0.0,
        cycle: Any = 0.0,
        review: Any = 1,
        position: str = "installation",
        sequential: bool = False,
        split: str = "first",
        fractions: Any = None,
        prior: float | None = None,
        error_weight: float = 0.1,
    ) -> None:
        if forecast not in FORECASTS:
            raise ValueError(f"forecast={forecast!r} is not allowed; use one of {FORECASTS}")
        if position not in POSITIONS:
            raise ValueError(f"position={position!r} is not allowed; use one of {POSITIONS}")
        if not isinstance(sequential, (bool, np.bool_)):
            raise TypeError(f"sequential must be True or False, got {sequential!r}")
        self.forecast = forecast
        self.alpha = check_param("alpha", alpha, low=1e-9, high=1.0)
        self.beta = check_param("beta", beta, low=0.0, high=1.0)
        self.window = check_param("window", window, low=1, high=MAX_WINDOW, integer=True)
        self.safety = check_param("safety", safety)
        self.z = check_param("z", z, low=0.0)
        self.cycle = check_param("cycle", cycle, low=0.0)
        self.review = check_param("review", review, low=1, integer=True)
        self.position = position
        self.sequential = bool(sequential) and position == "installation"
        self.split, self.fractions = check_split(split, fractions)
        self.prior = None if prior is None else check_real("prior", prior, low=0.0)
        self.error_weight = check_real("error_weight", error_weight, low=1e-9, high=1.0)
        self.needs_state = position == "echelon" or self.sequential or split == "cheapest"
        self._state: dict[str, Any] | None = None

    def __repr__(self) -> str:
        keys = ("alpha", "beta") if self.forecast == "es" else ("window",)
        keys += ("safety", "z", "cycle", "review")
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in keys)
        return (
            f"ForecastOrderUpTo({self.forecast!r}, {args}, position={self.position!r}, split={self.split!r})"
        )

    def reset(self, env: Any) -> None:
        self._state = None

    # -- forecast state ---------------------------------------------------------------------

    def _start(self, env: Any, B: int, N: int) -> dict[str, Any]:
        prior = mean_customer_demand(env.spec) if self.prior is None else self.prior
        lead = replenishment_lead_times(env.spec)
        if self.position == "echelon":
            if not env.spec.is_serial:
                raise ValueError("ForecastOrderUpTo: position='echelon' needs a serial chain")
            lead = np.cumsum(lead)
        st: dict[str, Any] = {
            "t": -1,
            "level": np.full((B, N), prior),
            "trend": np.zeros((B, N)),
            "var": np.full((B, N), max(prior, 1.0)),
            "lead": lead,
        }
        if self.forecast == "ma":
            w = batch_param("window", self.window, B, N).astype(np.int64)
            st["window"] = w
            st["hist"] = np.full((B, N, int(w.max())), prior)
            st["age"] = np.arange(int(w.max()))  # slot j holds the demand seen j periods ago
        return st

    def _observe(self, st: dict[str, Any], d: np.ndarray, only: Any) -> None:
        """Update the forecasts with the demand ``d`` ``[B, N]`` (only the agents ``only``, a
        ``[N]`` mask or a bool, when given)."""
        B, N = d.shape
        new: dict[str, np.ndarray] = {}
        one_step = st["level"] + st["trend"]
        err = d - one_step
        new["var"] = (1 - self.error_weight) * st["var"] + self.error_weight * err * err
        if self.forecast == "ma":
            hist = np.roll(st["hist"], 1, axis=2)
            hist[..., 0] = d
            w = st["window"]
            mask = np.arange(hist.shape[2]) < w[..., None]
            new["hist"] = hist
            new["level"] = (hist * mask).sum(2) / w
        else:
            a = batch_param("alpha", self.alpha, B, N)
            b = batch_param("beta", self.beta, B, N)
            new["level"] = a * d + (1 - a) * one_step
            new["trend"] = b * (new["level"] - st["level"]) + (1 - b) * st["trend"]
        for k, v in new.items():
            if only is None:
                st[k] = v
            else:
                m = np.asarray(only, bool)
                st[k] = np.where(m[:, None] if v.ndim == 3 else m, v, st[k])

    def levels(self, env: Any) -> tuple[np.ndarray, np.ndarray]:
        """``([B, N], [B, N])``: this period's reorder levels ``S_t`` and one-period forecasts.

        Updates the forecasts with the demand seen since the last call (once per period; they
        restart when the env's clock is back at 0)."""
        s = env.engine_state
        B, N = s.on_hand.shape
        st = self._state
        if st is None or st["level"].shape != (B, N) or s.t == 0 or s.t < st["t"]:
            st = self._state = self._start(env, B, N)
        if s.t > st["t"]:
            d = demand_seen(env).astype(np.float64)
            if self.position == "echelon":
                d = np.repeat(d[:, :1], N, axis=1)  # every echelon faces the customer demand
            if s.t > 0:
                self._observe(st, d, None)
            elif env.batch.demand_visible:
                # At reset only the customer demand just revealed has been seen (no orders yet).
                has = env.spec.params.has_demand
                self._observe(st, d, np.full(N, has[0]) if self.position == "echelon" else has)
            st["t"] = s.t
        R = batch_param("review", self.review, B, N)
        C = st["lead"][None, :] + R
        f = st["level"]
        S = C * f + st["trend"] * C * (C + 1) / 2
        S = S + batch_param("safety", self.safety, B, N)
        S = S + batch_param("z", self.z, B, N) * np.sqrt(st["var"] * C)
        return S, f + st["trend"]

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        S, f = self.levels(env)
        B, N = S.shape
        reorder = np.maximum(np.rint(S), 0)
        up_to = np.maximum(np.rint(S + batch_param("cycle", self.cycle, B, N) * np.maximum(f, 0)), reorder)
        due = (env.engine_state.t % batch_param("review", self.review, B, N).astype(np.int64)) == 0
        cap = env.max_order * (env.spec.params.in_degree[None, :] if self.split != "first" else 1)
        cap = np.broadcast_to(cap, (B, N))
        if self.position == "echelon":
            ip = echelon_position(env)
        else:
            ip = installation_position(env)
        if not self.sequential:
            q = np.where(due & (ip <= reorder), np.clip(up_to - ip, 0, cap), 0).astype(np.int64)
            return split_orders(q, env, self.split, self.fractions)
        return self._sequential(env, ip, reorder, up_to, due, cap)

    def _sequential(self, env: Any, ip, reorder, up_to, due, cap) -> np.ndarray:
        # Customers first, as BaseStock(sequential=True): a supplier also subtracts the orders
        # its customers place now on links without order delay, which reach it this period.
        p = env.spec.params
        q = np.zeros(ip.shape, np.int64)
        pending = np.zeros(ip.shape, np.int64)
        for n in p.upstream_first[::-1]:
            pos = ip[:, n] - pending[:, n]
            q[:, n] = np.where(
                due[:, n] & (pos <= reorder[:, n]), np.clip(up_to[:, n] - pos, 0, cap[:, n]), 0
            )
            e = p.in_edges(n)[0]
            if p.supplier[e] >= 0 and p.order_delay[e] == 0 and p.in_degree[n] == 1:
                pending[:, p.supplier[e]] += q[:, n]
        return split_orders(q, env, self.split, self.fractions)
