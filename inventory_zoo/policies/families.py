"""The heuristic families :func:`~inventory_zoo.policies.tune` can tune: each a parameter space
derived from the env and a builder that turns parameter values into a batched policy.

A parameter is ``shared`` (one value for all agents) or per agent (one value per agent, named
``name[i]``). The builder receives every parameter as a ``[B, N]`` array (one row per candidate
and episode) when tuning, or as a number / per-agent list for the final policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from inventory_zoo.policies.base import Policy
from inventory_zoo.policies.base_stock import BaseStock, EchelonBaseStock
from inventory_zoo.policies.batched import mean_customer_demand, replenishment_lead_times
from inventory_zoo.policies.capped import CappedBaseStock
from inventory_zoo.policies.forecast import ForecastOrderUpTo
from inventory_zoo.policies.sterman import Sterman

__all__ = ["Param", "Family", "FAMILIES", "family", "applicable_families"]


@dataclass(frozen=True)
class Param:
    """One tuned parameter.

    Attributes:
        name: keyword of the family's builder.
        low, high: inclusive bounds.
        integer: rounded to integers.
        per_agent: one value per agent (else one shared value).
        start: the value of the first candidate (a sensible default).
    """

    name: str
    low: float
    high: float
    integer: bool = False
    per_agent: bool = False
    start: float | tuple[float, ...] = 0.0


@dataclass(frozen=True)
class Family:
    """A tunable heuristic family.

    Attributes:
        name: the family's name (``tune(env, name)``, ``tuned:name`` on the command line).
        summary: one line: the rule and what it tunes.
        space: ``space(env) -> list[Param]``.
        build: ``build(env, **values) -> Policy``.
        needs: ``"serial"`` when the family needs a serial chain, else ``""``.
    """

    name: str
    summary: str
    space: Callable[[Any], list[Param]]
    build: Callable[..., Policy]
    needs: str = ""

    def applies(self, env: Any) -> str | None:
        """``None`` when the family applies to ``env``, else the reason it does not."""
        if self.needs == "serial" and not _spec(env).is_serial:
            return f"{self.name} needs a serial chain"
        return None


def _spec(env: Any) -> Any:
    from inventory_zoo.envs.unwrap import unwrap_env

    return env.spec if hasattr(env, "batch") and hasattr(env, "spec") else unwrap_env(env).spec


def _scale(env: Any) -> tuple[float, np.ndarray, int, int]:
    """(mean demand, lead times [N], max_order, suppliers per node at most)."""
    spec = _spec(env)
    return (
        mean_customer_demand(spec),
        replenishment_lead_times(spec),
        _max_order(env),
        int(spec.params.in_degree.max()),
    )


def _max_order(env: Any) -> int:
    from inventory_zoo.envs.unwrap import unwrap_env

    return int(env.max_order if hasattr(env, "batch") and hasattr(env, "spec") else unwrap_env(env).max_order)


def _split(env: Any) -> list[Param]:
    """A multi-sourcing env also tunes the share of the first supplier (``split="fractions"``)."""
    return [Param("share0", 0.0, 1.0, start=1.0)] if _scale(env)[3] > 1 else []


def _split_kwargs(env: Any, share0: Any = None) -> dict[str, Any]:
    k = _scale(env)[3]
    if k == 1 or share0 is None:
        return {}
    s = np.asarray(share0, np.float64)
    s = s[:, 0] if s.ndim == 2 else s.reshape(-1)[:1]  # one share per batch row, or one for all
    w = np.concatenate([s[:, None], np.repeat(((1 - s) / (k - 1))[:, None], k - 1, axis=1)], axis=1)
    return {"split": "fractions", "fractions": w if np.ndim(share0) == 2 else w[0]}


def _safety(env: Any, echelon: bool = False) -> Param:
    mu, lead, max_order, _ = _scale(env)
    cover = np.cumsum(lead) if echelon else lead
    bound = float(np.ceil((cover.max() + 1) * mu + max_order))
    return Param("safety", -bound, bound, per_agent=True, start=0.0)


def _guess(env: Any) -> tuple[float, ...]:
    mu, lead, _, _ = _scale(env)
    return tuple(float(round(mu * (x + 1))) for x in lead)


def _levels(env: Any) -> Param:
    g = _guess(env)
    return Param("levels", 0, 2 * max(g) + _max_order(env), integer=True, per_agent=True, start=g)


def _forecast(kind: str, position: str = "installation", **fixed: Any) -> Callable[..., Policy]:
    def build(env: Any, share0: Any = None, **values: Any) -> Policy:
        return ForecastOrderUpTo(kind, position=position, **fixed, **values, **_split_kwargs(env, share0))

    return build


def _build_capped(env: Any, levels: Any, cap: Any, share0: Any = None) -> Policy:
    return CappedBaseStock(levels, cap, **_split_kwargs(env, share0))


def _build_sterman(env: Any, theta: Any, alpha_s: Any, beta: Any, offset: Any) -> Policy:
    return Sterman.from_env(env, theta=theta, alpha_s=alpha_s, beta=beta, offset=offset)


def _int_levels(x: Any) -> Any:
    return np.asarray(np.rint(x), np.int64) if np.ndim(x) else int(round(x))


ALPHA = Param("alpha", 0.02, 1.0, start=0.3)

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "base_stock",
            "installation base-stock (customers first, as BaseStock): levels S_i",
            lambda env: [_levels(env)],
            lambda env, levels: BaseStock(_int_levels(levels)),
        ),
        Family(
            "echelon_base_stock",
            "echelon base-stock: echelon levels S_i (serial chains)",
            lambda env: [
                Param(
                    "levels",
                    0,
                    float(np.cumsum(_guess(env))[-1] * 2 + _max_order(env)),
                    integer=True,
                    per_agent=True,
                    start=tuple(np.cumsum(_guess(env))),
                )
            ],
            lambda env, levels: EchelonBaseStock(_int_levels(levels)),
            needs="serial",
        ),
        Family(
            "capped_base_stock",
            "capped base-stock min(S_i - IP, cap_i), own observation: S_i, cap_i",
            lambda env: [
                _levels(env),
                Param("cap", 0, _max_order(env), integer=True, per_agent=True, start=_max_order(env)),
                *_split(env),
            ],
            _build_capped,
        ),
        Family(
            "forecast_es",
            "order-up-to (L+1) f + safety on an exponential-smoothing forecast: alpha, safety_i",
            lambda env: [ALPHA, _safety(env), *_split(env)],
            _forecast("es"),
        ),
        Family(
            "forecast_holt",
            "order-up-to on Holt's trend forecast: alpha, beta, safety_i",
            lambda env: [ALPHA, Param("beta", 0.0, 0.5, start=0.05), _safety(env), *_split(env)],
            _forecast("es"),
        ),
        Family(
            "forecast_es_z",
            "order-up-to (L+1) f + z sigma sqrt(L+1) on an exponential-smoothing forecast: alpha, z_i",
            lambda env: [ALPHA, Param("z", 0.0, 4.0, per_agent=True, start=1.0), *_split(env)],
            _forecast("es"),
        ),
        Family(
            "forecast_ma",
            "order-up-to (L+1) f + safety on a moving-average forecast: window p, safety_i",
            lambda env: [Param("window", 1, 16, integer=True, start=4), _safety(env), *_split(env)],
            _forecast("ma"),
        ),
        Family(
            "forecast_es_echelon",
            "echelon order-up-to on the customer-demand forecast (serial chains): alpha, safety_i",
            lambda env: [ALPHA, _safety(env, echelon=True)],
            _forecast("es", position="echelon"),
            needs="serial",
        ),
        Family(
            "ss_forecast",
            "(s, S) on an exponential-smoothing forecast, S = s + cycle f: alpha, safety_i, cycle",
            lambda env: [ALPHA, _safety(env), Param("cycle", 0.0, 4.0, start=1.0), *_split(env)],
            _forecast("es"),
        ),
        Family(
            "rss_forecast",
            "(R, s, S) on an exponential-smoothing forecast: alpha, safety_i, cycle, review R",
            lambda env: [
                ALPHA,
                _safety(env),
                Param("cycle", 0.0, 4.0, start=0.0),
                Param("review", 1, 4, integer=True, start=2),
                *_split(env),
            ],
            _forecast("es"),
        ),
        Family(
            "sterman_chain",
            "Sterman's anchor-and-adjust with targets from the env: theta, alpha_s, beta, offset_i",
            lambda env: [
                Param("theta", 0.0, 1.0, start=0.25),
                Param("alpha_s", 0.0, 1.0, start=0.5),
                Param("beta", 0.0, 1.0, start=1.0),
                Param("offset", _safety(env).low, _safety(env).high, per_agent=True, start=0.0),
            ],
            _build_sterman,
            needs="serial",
        ),
    )
}


def family(name: str) -> Family:
    """The family ``name``.

    Raises:
        ValueError: an unknown name, listing the known ones.
    """
    if not isinstance(name, str) or name not in FAMILIES:
        raise ValueError(f"unknown heuristic family {name!r}; families are {sorted(FAMILIES)}")
    return FAMILIES[name]


def applicable_families(env: Any) -> list[str]:
    """Names of the families that apply to ``env``, in table order."""
    return [n for n, f in FAMILIES.items() if f.applies(env) is None]
