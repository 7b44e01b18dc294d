"""Command-line names of the heuristic families, for the policy registry.

``ENTRIES`` lists ``(name, "module:attr", args_help, help)``; the registry imports a factory only
when its name is used. Every factory has the registry's signature
``factory(env, args, *, seed=0, budget=None, device="cpu", **_) -> Policy``, where ``args`` is
the text after the first ``:`` of ``NAME:ARGS``. ``ARGS`` is a list of ``key=value`` separated
by ``:``; a value is a number, a comma-separated list with one number per agent (retailer
first), or a word:

    forecast_es                                   defaults (alpha 0.3, no safety stock)
    forecast_es:alpha=0.2:safety=2,6,3            per-agent safety stock
    forecast_ma:window=6:z=1.5:position=echelon
    capped_base_stock:levels=40,40,45:cap=12
    tuned:forecast_es                             tune, then play (budget from --budget)
"""

from __future__ import annotations

from typing import Any

from inventory_zoo.policies.base import Policy

__all__ = ["ENTRIES", "parse_args"]

_FORECAST_KEYS = {"safety": "number(s)", "z": "number(s)", "position": "word", "split": "word"}

ENTRIES: list[tuple[str, str, str, str]] = [
    (
        "forecast_es",
        "inventory_zoo.policies.cli_names:forecast_es",
        "alpha=A:beta=B:safety=S1,S2,..:z=Z:position=installation|echelon:split=first|cheapest",
        "order-up-to (L+1) f + safety on an exponential-smoothing (Holt with beta > 0) forecast",
    ),
    (
        "forecast_ma",
        "inventory_zoo.policies.cli_names:forecast_ma",
        "window=P:safety=S1,S2,..:z=Z:position=installation|echelon:split=first|cheapest",
        "order-up-to (L+1) f + safety on a moving-average forecast of window P",
    ),
    (
        "ss_forecast",
        "inventory_zoo.policies.cli_names:ss_forecast",
        "alpha=A:safety=S1,..:z=Z:cycle=C:split=first|cheapest",
        "(s, S) on an exponential-smoothing forecast: s = (L+1) f + safety, S = s + C f",
    ),
    (
        "rss_forecast",
        "inventory_zoo.policies.cli_names:rss_forecast",
        "review=R:alpha=A:safety=S1,..:z=Z:cycle=C:split=first|cheapest",
        "(R, s, S) on an exponential-smoothing forecast: reviewed every R periods, s = (L+R) f + safety",
    ),
    (
        "capped_base_stock",
        "inventory_zoo.policies.cli_names:capped_base_stock",
        "levels=S1,S2,..:cap=C1,C2,..:split=first|cheapest",
        "capped base-stock min(S - IP, cap) on each agent's own position",
    ),
    (
        "sterman_chain",
        "inventory_zoo.policies.cli_names:sterman_chain",
        "theta=T:alpha_s=A:beta=B:stock=P:offset=O1,O2,..",
        "Sterman's anchor-and-adjust with targets derived from the env (any chain)",
    ),
    (
        "tuned",
        "inventory_zoo.policies.tuning:policy_factory",
        "FAMILY (forecast_es, forecast_ma, ss_forecast, capped_base_stock, ...)",
        "tune a heuristic family on training episodes disjoint from the scored ones (budget: --budget candidates)",
    ),
]


def _number(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None


def parse_args(name: str, args: str, allowed: dict[str, str]) -> dict[str, Any]:
    """``key=value:key=value`` -> keywords; a comma-separated value becomes a per-agent list.

    Raises:
        ValueError: a malformed pair, an unknown or repeated key, or a value that is not a
            number (for a number key) — naming the policy, the key and what is allowed.
    """
    out: dict[str, Any] = {}
    if not args.strip():
        return out
    for pair in args.split(":"):
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise ValueError(f"{name}: expected key=value pairs separated by ':', got {pair!r} in {args!r}")
        if key not in allowed:
            raise ValueError(f"{name}: unknown key {key!r}; allowed: {sorted(allowed)}")
        if key in out:
            raise ValueError(f"{name}: {key} given twice in {args!r}")
        if allowed[key] == "word":
            out[key] = value
        elif "," in value:
            if allowed[key] != "number(s)":
                raise ValueError(f"{name}: {key} takes one number, got {value!r}")
            out[key] = [_number(f"{name}: {key}", v) for v in value.split(",")]
        else:
            out[key] = _number(f"{name}: {key}", value)
    return out


def _ints(name: str, kw: dict[str, Any], keys: tuple[str, ...]) -> None:
    for k in keys:
        if k in kw:
            vals = kw[k] if isinstance(kw[k], list) else [kw[k]]
            if any(v != int(v) for v in vals):
                raise ValueError(f"{name}: {k} must be whole numbers, got {kw[k]!r}")
            kw[k] = [int(v) for v in vals] if isinstance(kw[k], list) else int(kw[k])


def _forecast(name: str, kind: str, args: str, extra: dict[str, str], defaults: dict[str, Any]) -> Policy:
    from inventory_zoo.policies.forecast import ForecastOrderUpTo

    kw = {**defaults, **parse_args(name, args, {**_FORECAST_KEYS, **extra})}
    _ints(name, kw, ("window", "review"))
    return ForecastOrderUpTo(kind, **kw)


def forecast_es(
    env: Any, args: str, *, seed: int = 0, budget: int | None = None, device: str = "cpu", **_: Any
) -> Policy:
    """``forecast_es[:alpha=A:beta=B:safety=..:z=Z:position=..:split=..]``."""
    return _forecast("forecast_es", "es", args, {"alpha": "number", "beta": "number"}, {})


def forecast_ma(
    env: Any, args: str, *, seed: int = 0, budget: int | None = None, device: str = "cpu", **_: Any
) -> Policy:
    """``forecast_ma[:window=P:safety=..:z=Z:position=..:split=..]``."""
    return _forecast("forecast_ma", "ma", args, {"window": "number"}, {})


def ss_forecast(
    env: Any, args: str, *, seed: int = 0, budget: int | None = None, device: str = "cpu", **_: Any
) -> Policy:
    """``ss_forecast[:alpha=A:safety=..:z=Z:cycle=C:split=..]`` (default cycle 1)."""
    return _forecast("ss_forecast", "es", args, {"alpha": "number", "cycle": "number"}, {"cycle": 1.0})


def rss_forecast(
    env: Any, args: str, *, seed: int = 0, budget: int | None = None, device: str = "cpu", **_: Any
) -> Policy:
    """``rss_forecast[:review=R:alpha=A:safety=..:z=Z:cycle=C:split=..]`` (default review 2)."""
    extra = {"alpha": "number", "cycle": "number", "review": "number"}
    return _forecast("rss_forecast", "es", args, extra, {"review": 2})


def capped_base_stock(
    env: Any, args: str, *, seed: int = 0, budget: int | None = None, device: str = "cpu", **_: Any
) -> Policy:
    """``capped_base_stock:levels=S1,..:cap=C1,..[:split=..]`` (levels and cap required)."""
    from inventory_zoo.policies.capped import CappedBaseStock

    name = "capped_base_stock"
    kw = parse_args(name, args, {"levels": "number(s)", "cap": "number(s)", "split": "word"})
    missing = [k for k in ("levels", "cap") if k not in kw]
    if missing:
        raise ValueError(f"{name}: give {' and '.join(missing)}, e.g. {name}:levels=40,40,45:cap=12")
    _ints(name, kw, ("levels", "cap"))
    return CappedBaseStock(kw.pop("levels"), kw.pop("cap"), **kw)


def sterman_chain(
    env: Any, args: str, *, seed: int = 0, budget: int | None = None, device: str = "cpu", **_: Any
) -> Policy:
    """``sterman_chain[:theta=T:alpha_s=A:beta=B:stock=P:offset=O1,..]``: :meth:`Sterman.from_env`."""
    from inventory_zoo.policies.sterman import Sterman

    allowed = {
        "theta": "number",
        "alpha_s": "number",
        "beta": "number",
        "stock": "number",
        "offset": "number(s)",
    }
    kw = parse_args("sterman_chain", args, allowed)
    if "stock" in kw:
        kw["stock_periods"] = kw.pop("stock")
    return Sterman.from_env(env, **kw)
