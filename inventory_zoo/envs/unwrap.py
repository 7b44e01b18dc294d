"""The one way to find the library's ParallelEnv inside wrappers."""

from __future__ import annotations

from typing import Any

from inventory_zoo.envs.parallel import SupplyChainParallelEnv

__all__ = ["unwrap_env"]

#: How many wrapper layers to look through before giving up (a wrapper cycle must not hang).
_MAX_DEPTH = 16


def unwrap_env(env: Any) -> SupplyChainParallelEnv:
    """The library's ``ParallelEnv`` inside ``env``: itself, its AEC wrapper, or PettingZoo and
    SuperSuit wrappers around either. It exposes ``spec``, ``batch`` and ``engine_state``.

    Each layer is followed through ``unwrapped``, then ``env``, then ``aec_env`` (the attribute
    PettingZoo's ``aec_to_parallel`` keeps).

    Raises:
        TypeError: ``env`` holds no inventory_zoo env.
    """
    inner = env
    for _ in range(_MAX_DEPTH):
        if isinstance(inner, SupplyChainParallelEnv):
            return inner
        nxt = getattr(inner, "unwrapped", None)
        if nxt is None or nxt is inner:
            nxt = getattr(inner, "env", None) or getattr(inner, "aec_env", None)
        if nxt is None:
            break
        inner = nxt
    raise TypeError(
        f"expected an inventory_zoo env (ParallelEnv or its AEC wrapper), got {type(env).__name__}"
    )
