"""The exact optimum of a Clark-Scarf serial system (Chen & Zheng 1994).

For a serial chain with backlog, a stockout cost at the retailer only, linear holding costs,
deterministic lead times and i.i.d. demand, an echelon base-stock policy is optimal. Its levels
and its expected cost per period follow from the recursion (stages ``j = 1..N``, retailer 1;
``h'_j`` local holding cost, ``h_j = h'_j - h'_{j+1}`` echelon holding cost, ``p`` the
stockout cost, ``D_j`` the demand over ``L_j`` periods):

    C_0(x) = (p + h'_1) * max(-x, 0)
    Chat_j(x) = h_j * x + Cbar_{j-1}(x)
    C_j(y) = E[Chat_j(y - D_j)]
    S*_j = argmin_y C_j(y),   Cbar_j(x) = C_j(min(S*_j, x))
    optimal cost = C_N(S*_N)

(Snyder & Shen, Fundamentals of Supply Chain Theory, section 6.2; Chen & Zheng, Management
Science 40(11), 1994.) This cost counts units in transit into stage j at the shipping stage's
holding rate ``h'_{j+1}``; the env's own in-transit and per-unit ordering costs, which do not
depend on the policy in the long run, are added as constants (``(pc_j - h'_{j+1}) * L_j * mu``
and ``c_j * mu``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from inventory_zoo.core.spec import SupplyChain
from inventory_zoo.envs.unwrap import unwrap_env

__all__ = ["optimal_serial_base_stock", "chen_zheng"]


def chen_zheng(
    local_holding: list[float], stockout: float, lead_times: list[int], pmf: np.ndarray
) -> tuple[tuple[int, ...], float]:
    """Optimal echelon base-stock levels and cost per period of a Clark-Scarf system.

    Args:
        local_holding: ``h'_j`` per stage, retailer first (non-increasing upstream).
        stockout: ``p``, cost per unit backlogged per period at the retailer.
        lead_times: ``L_j`` per stage, periods >= 1.
        pmf: per-period demand probabilities on 0, 1, 2, ...

    Returns:
        (levels ``S*_j`` retailer first, optimal expected cost per period).
    """
    n = len(local_holding)
    hp = list(local_holding) + [0.0]
    h = [hp[j] - hp[j + 1] for j in range(n)]
    pmf = np.asarray(pmf, float)
    # Lead-time demand distributions, trimmed of negligible tails.
    lt_pmfs = []
    for L in lead_times:
        d = np.array([1.0])
        for _ in range(L):
            d = np.convolve(d, pmf)
        nz = np.flatnonzero(d > 1e-15)
        lt_pmfs.append(d[: nz[-1] + 1])
    width = sum(len(d) - 1 for d in lt_pmfs)
    lo, hi = -width - 10, width + 10
    x = np.arange(lo - width, hi + 1)  # grid wide enough to lose width points at the low end
    cbar = (stockout + hp[0]) * np.maximum(-x, 0.0)
    levels = []
    cost = 0.0
    for j in range(n):
        chat = h[j] * x + cbar
        d = lt_pmfs[j]
        m = len(d) - 1
        # C_j(y) for y = x[m:], as E[Chat_j(y - D)].
        c = np.convolve(chat, d)[m : len(x)]
        x = x[m:]
        k = int(np.argmin(c))
        levels.append(int(x[k]))
        cost = float(c[k])
        cbar = np.where(x < x[k], c, c[k])
    return tuple(levels), cost


def optimal_serial_base_stock(env: Any) -> tuple[tuple[int, ...], float]:
    """The exact optimal echelon base-stock levels and cost per period of a serial env.

    Args:
        env: a serial_v0 env (ParallelEnv, AEC env or VectorEnv) inside the Clark-Scarf model.

    Returns:
        ``(levels, cost_per_period)``: echelon levels retailer first, and the expected cost per
        period of the whole system under them (the env's cost definition).

    Raises:
        ValueError: the env is outside the model (not serial, lost sales, a backorder cost above
            the retailer, holding costs rising upstream, random lead times, order delays,
            capacities, fixed costs, quantity discounts, shipping loss, non-i.i.d. demand, or
            demand not seen before ordering); the message names the reason.
    """
    penv = env if isinstance(getattr(env, "spec", None), SupplyChain) else None  # VectorEnv, ParallelEnv
    if penv is None:
        try:
            penv = unwrap_env(env)
        except TypeError:
            penv = None
    spec = getattr(penv, "spec", None)
    if spec is None:
        raise ValueError(f"optimal_serial_base_stock needs an inventory_zoo env, got {type(env).__name__}")
    a = spec.params
    reasons = []
    if not a.is_serial:
        reasons.append("the network is not a serial chain")
    if a.lost_sales.any():
        reasons.append("lost sales (the model needs backlogging)")
    if np.any(a.backorder_cost[1:] > 0):
        reasons.append(
            f"backorder costs above the retailer ({a.backorder_cost[1:].tolist()}); the model charges the retailer only"
        )
    if np.any(np.diff(a.holding_cost) > 0):
        reasons.append(f"holding costs rise upstream ({a.holding_cost.tolist()}); echelon holding costs must be >= 0")
    if a.random_lead_time.any():
        reasons.append("random lead times")
    if a.max_order_delay > 0:
        reasons.append("order delays")
    if any(e.capacity is not None for e in spec.edges):
        reasons.append("capacities")
    if np.any(a.fixed_cost > 0):
        reasons.append("fixed ordering costs (base-stock is not optimal with them)")
    if spec.quantity_discounts:
        reasons.append("quantity discounts")
    if spec.shipping_loss > 0:
        reasons.append("random shipping loss")
    demand = spec.nodes[0].demand
    pmf = demand.pmf() if demand is not None else None
    if pmf is None:
        reasons.append(f"demand {demand!r} is not i.i.d. with a known distribution")
    if not penv.batch.demand_visible:
        reasons.append("demand_visible=False (the model orders after seeing the period's demand)")
    if reasons:
        raise ValueError(
            "optimal_serial_base_stock: the env is outside the Clark-Scarf model: " + "; ".join(reasons)
        )
    h = a.holding_cost.tolist()
    L = a.lead_time.tolist()
    levels, cost = chen_zheng(h, float(a.backorder_cost[0]), L, pmf)
    mu = float(np.arange(len(pmf)) @ pmf)
    hp_next = h[1:] + [0.0]
    cost += sum((a.pipeline_holding_cost[j] - hp_next[j]) * L[j] * mu for j in range(len(h)))
    cost += float(a.unit_cost.sum()) * mu
    return levels, cost
