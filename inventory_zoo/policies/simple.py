"""Simple baselines: (s, S), constant orders, random orders, and wrappers for any model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from inventory_zoo.core.validation import check_bool
from inventory_zoo.policies.base import Policy
from inventory_zoo.policies.base_stock import _as_levels, _first_supplier_orders, installation_position

__all__ = ["SS", "ConstantOrder", "RandomPolicy", "CallablePolicy", "ModelPolicy", "as_policy"]


class SS(Policy):
    """(s, S): when an agent's installation position is at or below ``s_i``, order up to ``S_i``.

    Uses only the agent's own observation. The classic policy under fixed ordering costs.

    Args:
        s: reorder points per agent (retailer first) or one for all.
        S: order-up-to levels per agent or one for all, ``S_i >= s_i``.
    """

    def __init__(self, s: Sequence[int] | int, S: Sequence[int] | int) -> None:
        self.s, self.S = s, S

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        pos = installation_position(env)
        n = pos.shape[1]
        s, S = _as_levels(self.s, n, "SS s"), _as_levels(self.S, n, "SS S")
        if np.any(S < s):
            raise ValueError(f"SS: every S must be >= s, got s={self.s!r}, S={self.S!r}")
        q = np.where(pos <= s, np.clip(S - pos, 0, env.max_order), 0)
        return _first_supplier_orders(q, env)

    def __repr__(self) -> str:
        return f"SS(s={self.s!r}, S={self.S!r})"


class ConstantOrder(Policy):
    """Every agent orders the same quantity every period.

    Args:
        quantity: units per period, per agent (retailer first) or one for all.
    """

    def __init__(self, quantity: Sequence[int] | int) -> None:
        self.quantity = quantity

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        B, n = obs.shape[:2]
        q = _as_levels(self.quantity, n, "ConstantOrder")
        if np.any(q > env.max_order):
            raise ValueError(f"ConstantOrder: quantity {self.quantity!r} exceeds max_order {env.max_order}")
        return _first_supplier_orders(np.broadcast_to(q, (B, n)).copy(), env)

    def __repr__(self) -> str:
        return f"ConstantOrder({self.quantity!r})"


class RandomPolicy(Policy):
    """Uniformly random actions from the action space (with its own seeded generator).

    Args:
        seed: seed of the policy's generator; the same seed gives the same actions.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def reset(self, env: Any) -> None:
        self.rng = np.random.default_rng(self.seed)

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        B, n = obs.shape[:2]
        k = env.batch.max_in
        shape = (B, n) if k == 1 else (B, n, k)
        return self.rng.integers(0, env.max_order + 1, size=shape)

    def __repr__(self) -> str:
        return f"RandomPolicy(seed={self.seed!r})"


class CallablePolicy(Policy):
    """Any function ``fn(obs [B, N, obs_dim], env) -> actions [B, N]`` as a policy.

    Args:
        fn: the function.
        needs_state: whether it reads ``env.engine_state``.
    """

    def __init__(self, fn: Callable[[np.ndarray, Any], Any], needs_state: bool = False) -> None:
        if not callable(fn):
            raise TypeError(f"CallablePolicy needs a callable, got {type(fn).__name__}")
        self.fn = fn
        self.needs_state = check_bool("needs_state", needs_state)

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        return np.asarray(self.fn(obs, env))


class ModelPolicy(Policy):
    """A trained model with ``predict(obs, deterministic=...)`` (Stable-Baselines3 style).

    The model sees one row per agent (``[B * N, obs_dim]``), as a shared-parameter policy does,
    and its actions are reshaped to ``[B, N]``.

    Args:
        model: anything with ``predict(observations, deterministic=bool) -> (actions, state)``.
        deterministic: greedy actions.
        obs_transform: optional function applied to the ``[B * N, obs_dim]`` observations first
            (e.g. a saved observation normaliser).
    """

    def __init__(self, model: Any, deterministic: bool = True, obs_transform: Callable | None = None) -> None:
        if not hasattr(model, "predict"):
            raise TypeError(f"ModelPolicy needs an object with predict(), got {type(model).__name__}")
        self.model = model
        self.deterministic = check_bool("deterministic", deterministic)
        self.obs_transform = obs_transform

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        B, n = obs.shape[:2]
        flat = obs.reshape(B * n, *obs.shape[2:])
        if self.obs_transform is not None:
            flat = self.obs_transform(flat)
        actions, _ = self.model.predict(flat, deterministic=self.deterministic)
        actions = np.asarray(actions)
        return actions.reshape((B, n) + actions.shape[1:])


def as_policy(obj: Any) -> Policy:
    """A :class:`Policy` from a policy, a model with ``predict``, or a callable."""
    if isinstance(obj, Policy):
        return obj
    if hasattr(obj, "predict"):
        return ModelPolicy(obj)
    if callable(obj):
        return CallablePolicy(obj)
    raise TypeError(f"cannot make a policy from {type(obj).__name__}: give a Policy, a model or a callable")
