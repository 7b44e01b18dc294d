"""Factories of the built-in policy names (``NAME[:ARGS]``, see :mod:`inventory_zoo.policies.registry`).

Each has the registry's factory signature ``factory(env, args, *, seed, budget, device, **_)``
and raises ``ValueError`` on bad ``args``, naming the policy and showing the expected form.
Levels and quantities are one integer for all agents or a comma-separated list, retailer first.
"""

from __future__ import annotations

from typing import Any

from inventory_zoo.policies.base import Policy

__all__ = [
    "base_stock",
    "constant",
    "echelon",
    "local_base_stock",
    "optimal",
    "random",
    "search",
    "ss",
    "sterman",
]

#: Episodes per candidate of the ``search`` policy when no budget is given.
SEARCH_EPISODES = 8


def _no_args(name: str, args: str) -> None:
    if args:
        raise ValueError(f"policy {name!r} takes no arguments, got {name}:{args}")


def _ints(name: str, args: str, example: str, what: str = "levels") -> int | list[int]:
    """One integer, or a list of them, from ``"9,6,11"``."""
    if not args.strip():
        raise ValueError(f"policy {name!r}: give {what}, e.g. {example}")
    parts = [p.strip() for p in args.split(",")]
    if any(p == "" for p in parts):
        raise ValueError(f"policy {name!r}: expected comma-separated integers, e.g. {example}; got {args!r}")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise ValueError(
            f"policy {name!r}: expected comma-separated integers, e.g. {example}; got {args!r}"
        ) from None
    return values[0] if len(values) == 1 else values


def optimal(env: Any, args: str, **_: Any) -> Policy:
    """Echelon base-stock at the exact Clark-Scarf levels (serial envs inside the model)."""
    from inventory_zoo.policies.base_stock import EchelonBaseStock
    from inventory_zoo.policies.clark_scarf import optimal_serial_base_stock

    _no_args("optimal", args)
    levels, _ = optimal_serial_base_stock(env)
    return EchelonBaseStock(levels)


def search(env: Any, args: str, *, seed: int = 0, budget: int | None = None, **_: Any) -> Policy:
    """Installation base-stock at the levels ``search_base_stock`` finds (``budget``: episodes
    per candidate, default 8), tuned on episodes from ``disjoint_training_seed(seed)``: never
    the ones it is then scored on."""
    from inventory_zoo.policies.search import disjoint_training_seed, search_base_stock

    _no_args("search", args)
    episodes = SEARCH_EPISODES if budget is None else budget
    tuned = search_base_stock(env, episodes=episodes, seed=disjoint_training_seed(seed), progress=False)
    return tuned.policy()


def base_stock(env: Any, args: str, **_: Any) -> Policy:
    """Installation base-stock at the given levels, sequential form."""
    from inventory_zoo.policies.base_stock import BaseStock

    return BaseStock(_ints("base_stock", args, "base_stock:20 or base_stock:9,6,11"), sequential=True)


def local_base_stock(env: Any, args: str, **_: Any) -> Policy:
    """Installation base-stock, each agent using only its own observation."""
    from inventory_zoo.policies.base_stock import BaseStock

    levels = _ints("local_base_stock", args, "local_base_stock:20 or local_base_stock:9,6,11")
    return BaseStock(levels, sequential=False)


def echelon(env: Any, args: str, **_: Any) -> Policy:
    """Echelon base-stock at the given levels (serial chains)."""
    from inventory_zoo.policies.base_stock import EchelonBaseStock

    return EchelonBaseStock(_ints("echelon", args, "echelon:9,15,26"))


def ss(env: Any, args: str, **_: Any) -> Policy:
    """(s, S): reorder points before the slash, order-up-to levels after it."""
    from inventory_zoo.policies.simple import SS

    example = "ss:5/20 or ss:5,5,5/20,25,30"
    low, slash, high = args.partition("/")
    if not slash:
        raise ValueError(
            f"policy 'ss' needs reorder points and order-up-to levels as s/S, e.g. {example}; got ss:{args}"
        )
    return SS(_ints("ss", low, example), _ints("ss", high, example))


def constant(env: Any, args: str, **_: Any) -> Policy:
    """Every agent orders the given quantity per period."""
    from inventory_zoo.policies.simple import ConstantOrder

    return ConstantOrder(_ints("constant", args, "constant:10 or constant:4,4,6", "quantities"))


def random(env: Any, args: str, *, seed: int = 0, **_: Any) -> Policy:
    """Uniformly random orders, seeded with ``seed``."""
    from inventory_zoo.policies.simple import RandomPolicy

    _no_args("random", args)
    return RandomPolicy(seed)


def sterman(env: Any, args: str, **_: Any) -> Policy:
    """Sterman's anchor-and-adjust rule at its benchmark parameters (the beer game's 4 positions)."""
    from inventory_zoo.policies.sterman import Sterman

    _no_args("sterman", args)
    return Sterman.benchmark(env)
