"""Shipping lead times: a fixed number of periods, or a discrete random distribution.

Convention (Snyder & Shen; Zipkin): a shipment sent in period ``t`` with lead time ``L`` is
received in period ``t + L``, before that period's shipping, so ``L >= 1``.

Random lead times are drawn independently for every shipment (every edge, every period), so a
later shipment with a short lead time can overtake an earlier one with a long lead time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from inventory_zoo.core.validation import MAX_DELAY, check_int, check_real

__all__ = ["LeadTime", "RandomLeadTime", "as_lead_time"]


@dataclass(frozen=True)
class LeadTime:
    """A discrete lead-time law: ``values[k]`` periods with probability ``probs[k]``.

    A fixed lead time is the law with one value. Build random ones with
    :func:`RandomLeadTime`.
    """

    values: tuple[int, ...]
    probs: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.values) == 0 or len(self.values) != len(self.probs):
            raise ValueError("lead time: values and probs must be non-empty and of equal length")
        for v in self.values:
            check_int("lead time", v, low=1, high=MAX_DELAY)
        for p in self.probs:
            check_real("lead time probability", p, low=0.0, high=1.0)
        if abs(sum(self.probs) - 1.0) > 1e-9:
            raise ValueError(f"lead time probabilities must sum to 1, got {sum(self.probs)}")
        if len(set(self.values)) != len(self.values):
            raise ValueError(f"lead time values must be distinct, got {self.values}")

    @property
    def is_fixed(self) -> bool:
        """True when the lead time is deterministic."""
        return len(self.values) == 1

    @property
    def max(self) -> int:
        """Longest possible lead time, periods."""
        return max(self.values)

    @property
    def mean(self) -> float:
        """Expected lead time, periods."""
        return float(np.dot(self.values, self.probs))

    def sample(self, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
        """Draw lead times, ``int64`` array of shape ``size``."""
        if self.is_fixed:
            return np.full(size, self.values[0], dtype=np.int64)
        return rng.choice(np.asarray(self.values, dtype=np.int64), size=size, p=self.probs)

    def __repr__(self) -> str:
        if self.is_fixed:
            return str(self.values[0])
        inner = ", ".join(f"{v}: {p:g}" for v, p in zip(self.values, self.probs, strict=True))
        return f"RandomLeadTime({{{inner}}})"


def RandomLeadTime(dist: Mapping[int, float]) -> LeadTime:  # noqa: N802 (reads as a type)
    """A random lead time from ``{periods: probability}``, e.g. ``RandomLeadTime({1: .5, 3: .5})``.

    Raises:
        ValueError: lead times below 1, probabilities outside [0, 1] or not summing to 1.
    """
    if not isinstance(dist, Mapping) or not dist:
        raise TypeError(f"RandomLeadTime needs a non-empty {{periods: probability}} dict, got {dist!r}")
    for k, p in dist.items():
        check_int("lead time", k, low=1, high=MAX_DELAY)
        check_real(f"probability of lead time {k}", p, low=0.0, high=1.0)
    items = sorted(dist.items())
    return LeadTime(tuple(int(k) for k, _ in items), tuple(float(p) for _, p in items))


def as_lead_time(value: Any, name: str = "lead_times") -> LeadTime:
    """Accept an integer >= 1, a ``{periods: probability}`` dict, or a :class:`LeadTime`."""
    if isinstance(value, LeadTime):
        return value
    if isinstance(value, Mapping):
        try:
            return RandomLeadTime(value)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{name}: {e}") from None
    v = check_int(name, value, low=1, high=MAX_DELAY)
    return LeadTime((v,), (1.0,))
