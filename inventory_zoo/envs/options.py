"""The env-level options every env of the library takes, validated once, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inventory_zoo.core.validation import (
    MAX_PERIODS,
    MIN_OBS_SCALE,
    check_bool,
    check_int,
    check_quantity,
    check_real,
)
from inventory_zoo.envs.actions import ACTION_TYPES

__all__ = ["EnvOptions", "RENDER_MODES"]

RENDER_MODES = ("ansi", "human", "rgb_array")


@dataclass(frozen=True)
class EnvOptions:
    """How an env presents a supply chain to its agents (the spec says what the chain is).

    Built once per env and checked when built: every field is validated in ``__post_init__``
    with an error naming the argument, so the layers below (the ParallelEnv, the batch, the
    vector env) take it as it is.

    Attributes:
        max_order: the largest order per supplier per period (units, >= 1).
        max_cycles: periods per episode (1..MAX_PERIODS); episodes end by truncation.
        reward_mix: ``m`` in [0, 1]: agent i's reward is ``-((1 - m) cost_i + m mean_j cost_j)``.
        obs_scale: the divisor of observations (> 0), or ``None`` for raw counts.
        demand_visible: agents see the next demand before ordering (else only after serving it).
        agent_id: append a one-hot agent id to each observation.
        render_mode: ``None``, ``"ansi"``, ``"human"`` or ``"rgb_array"``.
        action_type: ``"multidiscrete"`` or ``"discrete"`` (one flat index per agent; matters
            only with several suppliers per node).
    """

    max_order: int
    max_cycles: int = 100
    reward_mix: float = 0.0
    obs_scale: float | None = None
    demand_visible: bool = True
    agent_id: bool = False
    render_mode: str | None = None
    action_type: str = "multidiscrete"

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalised values are written once, here
        set_(self, "max_order", check_quantity("max_order", self.max_order, low=1))
        set_(self, "max_cycles", check_int("max_cycles", self.max_cycles, low=1, high=MAX_PERIODS))
        set_(self, "reward_mix", check_real("reward_mix", self.reward_mix, low=0.0, high=1.0))
        if self.obs_scale is not None:
            set_(self, "obs_scale", check_real("obs_scale", self.obs_scale, low=MIN_OBS_SCALE))
        set_(self, "demand_visible", check_bool("demand_visible", self.demand_visible))
        set_(self, "agent_id", check_bool("agent_id", self.agent_id))
        if self.render_mode is not None and self.render_mode not in RENDER_MODES:
            raise ValueError(f"render_mode={self.render_mode!r} is not allowed; use None or one of {RENDER_MODES}")
        if self.action_type not in ACTION_TYPES:
            raise ValueError(f"action_type={self.action_type!r} is not allowed; use one of {ACTION_TYPES}")

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> EnvOptions:
        """The options of a resolved env configuration (``normalize_obs`` and ``obs_scale``
        become the divisor in use: ``obs_scale``, by default ``max_order``)."""
        normalize = check_bool("normalize_obs", cfg["normalize_obs"])
        scale = cfg["obs_scale"]
        if normalize and scale is None:
            scale = check_quantity("max_order", cfg["max_order"], low=1)
        return cls(
            max_order=cfg["max_order"],
            max_cycles=cfg["max_cycles"],
            reward_mix=cfg["reward_mix"],
            obs_scale=scale if normalize else None,
            demand_visible=cfg["demand_visible"],
            agent_id=cfg["agent_id"],
            render_mode=cfg["render_mode"],
            action_type=cfg.get("action_type", "multidiscrete"),  # network_v0's option
        )
