"""Customer demand processes.

A demand process produces whole demand paths: ``sample(rng, batch, periods)`` returns an
``int64`` array of shape ``[batch, periods]`` of non-negative units per period. Envs draw the
path of an episode at ``reset`` from their own :class:`numpy.random.Generator`, so demand does
not depend on the actions taken: two policies run with the same seed see the same demand
(common random numbers).

Write your own process by subclassing :class:`DemandProcess` and implementing ``sample``
(and, if demand is i.i.d. over periods, ``pmf`` so that the exact serial optimum can use it)::

    class Weekday(DemandProcess):
        def sample(self, rng, batch, periods):
            base = np.where(np.arange(periods) % 7 < 5, 10, 4)
            return rng.poisson(base, size=(batch, periods))
"""

from __future__ import annotations

import csv
import math
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from inventory_zoo.core.validation import MAX_QUANTITY, check_int, check_quantity, check_real

__all__ = [
    "DemandProcess",
    "Constant",
    "Poisson",
    "Normal",
    "Uniform",
    "Step",
    "Merton",
    "Trace",
    "as_demand",
]


class DemandProcess(ABC):
    """Base class of every demand process.

    Subclasses implement :meth:`sample`. Processes whose per-period demand is i.i.d. also
    implement :meth:`pmf`, which the exact serial optimum
    (:func:`inventory_zoo.policies.optimal_serial_base_stock`) needs.
    """

    @abstractmethod
    def sample(self, rng: np.random.Generator, batch: int, periods: int) -> np.ndarray:
        """Draw ``batch`` independent demand paths.

        Args:
            rng: the env's random generator; every draw must come from it.
            batch: number of paths.
            periods: length of each path; index 0 is the demand revealed at ``reset``.

        Returns:
            ``int64`` array ``[batch, periods]`` of units demanded per period, all >= 0.
        """

    def pmf(self, tol: float = 1e-12) -> np.ndarray | None:
        """Per-period probability mass on 0, 1, 2, ... units, if demand is i.i.d.

        Returns ``None`` when demand is not i.i.d. over periods (or its law is unknown). The
        tail beyond the returned support has probability below ``tol``.
        """
        return None

    @property
    def mean(self) -> float | None:
        """Mean demand per period in units, where it is one number; else ``None``."""
        p = self.pmf()
        return None if p is None else float(np.arange(len(p)) @ p)

    @property
    def max_demand(self) -> int | None:
        """Largest demand per period the process can produce, if bounded; else ``None``."""
        return None

    @property
    def upper_bound(self) -> int | None:
        """Demand per period that the process never exceeds in practice, units: ``max_demand``
        where it is bounded; Poisson and normal demand: mean plus ten standard deviations
        (plus 10); ``None`` when unknown (a custom process). Envs use it to check that no
        count of an episode can reach ``MAX_UNITS``."""
        return self.max_demand

    def _check_bound(self) -> None:
        bound = self.upper_bound
        if bound is not None and bound > MAX_QUANTITY:
            raise ValueError(
                f"{self!r}: demand per period could reach {bound:.4g} units; the largest allowed is "
                f"MAX_QUANTITY = {MAX_QUANTITY:,}"
            )


@dataclass(frozen=True)
class Constant(DemandProcess):
    """The same demand every period.

    Args:
        value: units per period, an integer >= 0.
    """

    value: int

    def __post_init__(self) -> None:
        check_quantity("value", self.value)

    def sample(self, rng: np.random.Generator, batch: int, periods: int) -> np.ndarray:
        return np.full((batch, periods), self.value, dtype=np.int64)

    def pmf(self, tol: float = 1e-12) -> np.ndarray:
        p = np.zeros(self.value + 1)
        p[-1] = 1.0
        return p

    @property
    def max_demand(self) -> int:
        return int(self.value)


@dataclass(frozen=True)
class Poisson(DemandProcess):
    """I.i.d. Poisson demand.

    Args:
        rate: the Poisson rate (mean demand), units per period, > 0.
    """

    rate: float

    def __post_init__(self) -> None:
        check_real("rate", self.rate, low=0.0, low_open=True, high=MAX_QUANTITY)
        self._check_bound()

    def sample(self, rng: np.random.Generator, batch: int, periods: int) -> np.ndarray:
        return rng.poisson(self.rate, size=(batch, periods)).astype(np.int64)

    def pmf(self, tol: float = 1e-12) -> np.ndarray:
        lam = float(self.rate)
        probs = [math.exp(-lam)]
        cdf = probs[0]
        k = 0
        while 1.0 - cdf > tol or k < lam:
            k += 1
            probs.append(probs[-1] * lam / k)
            cdf += probs[-1]
        p = np.asarray(probs)
        return p / p.sum()

    @property
    def upper_bound(self) -> int:
        return int(math.ceil(self.rate + 10 * math.sqrt(self.rate) + 10))


@dataclass(frozen=True)
class Normal(DemandProcess):
    """I.i.d. normal demand, rounded to the nearest integer and truncated at 0.

    Args:
        mu: mean of the underlying normal, units per period.
        sigma: its standard deviation, >= 0.
    """

    mu: float
    sigma: float

    def __post_init__(self) -> None:
        check_real("mu", self.mu, low=-MAX_QUANTITY, high=MAX_QUANTITY)
        check_real("sigma", self.sigma, low=0.0, high=MAX_QUANTITY)
        self._check_bound()

    def sample(self, rng: np.random.Generator, batch: int, periods: int) -> np.ndarray:
        x = rng.normal(self.mu, self.sigma, size=(batch, periods))
        return np.maximum(np.rint(x), 0).astype(np.int64)

    def pmf(self, tol: float = 1e-12) -> np.ndarray:
        mu, sd = float(self.mu), float(self.sigma)
        if sd == 0:
            return Constant(max(int(round(mu)), 0)).pmf()
        hi = max(int(math.ceil(mu + 10 * sd)) + 1, 1)
        k = np.arange(hi + 1)
        cdf = 0.5 * (1 + np.vectorize(math.erf)((k + 0.5 - mu) / (sd * math.sqrt(2))))
        p = np.diff(np.concatenate([[0.0], cdf]))
        p[-1] += 1.0 - cdf[-1]
        return p

    @property
    def upper_bound(self) -> int:
        return max(int(math.ceil(self.mu + 10 * self.sigma + 10)), 0)


@dataclass(frozen=True)
class Uniform(DemandProcess):
    """I.i.d. integer demand, uniform on ``low..high`` inclusive.

    Args:
        low: smallest demand, an integer >= 0.
        high: largest demand, an integer >= low.
    """

    low: int
    high: int

    def __post_init__(self) -> None:
        check_quantity("low", self.low)
        check_quantity("high", self.high, low=int(self.low))

    def sample(self, rng: np.random.Generator, batch: int, periods: int) -> np.ndarray:
        return rng.integers(self.low, self.high, size=(batch, periods), endpoint=True).astype(np.int64)

    def pmf(self, tol: float = 1e-12) -> np.ndarray:
        p = np.zeros(self.high + 1)
        p[self.low :] = 1.0 / (self.high - self.low + 1)
        return p

    @property
    def max_demand(self) -> int:
        return int(self.high)


@dataclass(frozen=True)
class Step(DemandProcess):
    """Deterministic demand that steps from ``before`` to ``after`` in period ``start``.

    Periods are counted from 1, as the beer game counts weeks: ``Step(4, 8, 5)`` gives 4 in
    periods 1-4 and 8 from period 5 on. Period 1 is the demand revealed at ``reset`` and served
    in the first step.

    Args:
        before: units per period before ``start``, >= 0.
        after: units per period from ``start`` on, >= 0.
        start: first period (1-based) with demand ``after``, >= 1.
    """

    before: int
    after: int
    start: int

    def __post_init__(self) -> None:
        check_quantity("before", self.before)
        check_quantity("after", self.after)
        check_int("start", self.start, low=1)

    def sample(self, rng: np.random.Generator, batch: int, periods: int) -> np.ndarray:
        row = np.where(np.arange(1, periods + 1) >= self.start, self.after, self.before)
        return np.broadcast_to(row.astype(np.int64), (batch, periods)).copy()

    @property
    def max_demand(self) -> int:
        return int(max(self.before, self.after))


@dataclass(frozen=True)
class Merton(DemandProcess):
    """Jump-diffusion demand of Liu et al. (2022), the origin paper's serial and 2x3 envs.

    The log-demand follows ``X_0 = 0``, ``X_{t+1} = X_t + sigma * sqrt(dt) * Z + M`` with
    ``Z ~ N(0, 1)`` and a jump ``M = jump_scale * sqrt(N) * Z2``, ``N ~ Poisson(jump_rate)``,
    ``Z2 ~ N(0, jump_std**2)``. Demand is ``floor(base * exp(X_t))`` with ``base =
    max_demand // 2``. A path whose mean is not strictly between 0 and ``max_demand`` is drawn
    again (as the paper's generator does); accepted paths are clipped at ``max_demand``.

    Args:
        max_demand: cap on demand per period (20 in the serial env, 4 in the 2x3 network).
        sigma: diffusion volatility per unit time (0.01).
        dt: time step of the diffusion (15).
        jump_rate: Poisson rate of jumps per period (15).
        jump_scale: jump size multiplier (0.01).
        jump_std: standard deviation of the jump's normal factor (2).
    """

    max_demand: int = 20
    sigma: float = 0.01
    dt: float = 15.0
    jump_rate: float = 15.0
    jump_scale: float = 0.01
    jump_std: float = 2.0

    def __post_init__(self) -> None:
        check_quantity("max_demand", self.max_demand, low=2)
        for name in ("sigma", "dt", "jump_rate", "jump_scale", "jump_std"):
            check_real(name, getattr(self, name), low=0.0)

    def _paths(self, rng: np.random.Generator, n: int, periods: int) -> np.ndarray:
        z = rng.normal(0.0, 1.0, size=(n, periods - 1))
        jumps = rng.poisson(self.jump_rate, size=(n, periods - 1))
        z2 = rng.normal(0.0, self.jump_std, size=(n, periods - 1))
        steps = self.sigma * math.sqrt(self.dt) * z + self.jump_scale * np.sqrt(jumps) * z2
        x = np.concatenate([np.zeros((n, 1)), np.cumsum(steps, axis=1)], axis=1)
        base = self.max_demand // 2
        # exp can overflow on extreme paths; those are rejected anyway.
        with np.errstate(over="ignore"):
            d = np.floor(np.exp(x) * base)
        return d

    def sample(self, rng: np.random.Generator, batch: int, periods: int) -> np.ndarray:
        out = np.empty((batch, periods), dtype=np.int64)
        todo = np.arange(batch)
        while todo.size:
            d = self._paths(rng, todo.size, periods)
            m = d.mean(axis=1)
            ok = (m > 0) & (m < self.max_demand)
            out[todo[ok]] = np.minimum(d[ok], self.max_demand).astype(np.int64)
            todo = todo[~ok]
        return out


@dataclass(frozen=True)
class Trace(DemandProcess):
    """Demand read from recorded data: one path, or several of which each episode draws one.

    Args:
        data: a 1-D sequence of demands (one path), a 2-D array ``[n_paths, length]`` (each
            episode draws one row uniformly at random), or the path of a CSV file with one
            path per column (a header row is allowed and skipped).
        when_short: what happens when the episode needs more periods than a path holds:
            ``"cycle"`` (default) starts the path again from its first period, ``"hold"``
            repeats its last value, ``"error"`` raises ``ValueError`` at reset.
    """

    data: np.ndarray = field(repr=False)
    when_short: Literal["cycle", "hold", "error"] = "cycle"

    def __init__(
        self,
        data: np.ndarray | list | str | os.PathLike,
        when_short: Literal["cycle", "hold", "error"] = "cycle",
    ) -> None:
        if isinstance(data, (str, os.PathLike)):
            arr = _read_csv_paths(os.fspath(data))
        else:
            try:
                arr = np.asarray(data, dtype=float)
            except (TypeError, ValueError):
                raise TypeError(
                    f"Trace: data must be numbers, a 2-D array or a CSV path, got {data!r}"
                ) from None
            if arr.ndim == 1:
                arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] == 0 or arr.shape[0] == 0:
            raise ValueError(
                f"Trace: data must be a non-empty 1-D path or 2-D [paths, periods] array, "
                f"got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
            raise ValueError("Trace: demands must be finite integers >= 0")
        if arr.max() > MAX_QUANTITY:
            raise ValueError(
                f"Trace: demands must be at most MAX_QUANTITY = {MAX_QUANTITY:,} units per period, "
                f"got {arr.max():.4g}"
            )
        if when_short not in ("cycle", "hold", "error"):
            raise ValueError(
                f"Trace: when_short={when_short!r} is not allowed; use 'cycle', 'hold' or 'error'"
            )
        arr = arr.astype(np.int64)
        arr.setflags(write=False)
        object.__setattr__(self, "data", arr)
        object.__setattr__(self, "when_short", when_short)

    def __repr__(self) -> str:
        return f"Trace(paths={self.data.shape[0]}, length={self.data.shape[1]})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Trace)
            and self.when_short == other.when_short
            and np.array_equal(self.data, other.data)
        )

    def __hash__(self) -> int:
        return hash((self.data.shape, self.when_short))

    @property
    def max_demand(self) -> int:
        return int(self.data.max())

    def sample(self, rng: np.random.Generator, batch: int, periods: int) -> np.ndarray:
        n_paths, length = self.data.shape
        rows = rng.integers(0, n_paths, size=batch) if n_paths > 1 else np.zeros(batch, int)
        if periods <= length:
            idx = np.arange(periods)
        elif self.when_short == "cycle":
            idx = np.arange(periods) % length
        elif self.when_short == "hold":
            idx = np.minimum(np.arange(periods), length - 1)
        else:
            raise ValueError(
                f"Trace: the episode needs {periods} periods of demand (max_cycles + 1) but "
                f"the trace holds {length}; pass when_short='cycle' or 'hold', or a longer trace"
            )
        return self.data[rows][:, idx].copy()


def _read_csv_paths(path: str) -> np.ndarray:
    try:
        with open(path, newline="") as f:
            rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except OSError as e:
        raise ValueError(f"Trace: cannot read CSV file {path!r}: {e}") from None
    if rows:
        try:
            [float(c) for c in rows[0]]
        except ValueError:
            rows = rows[1:]  # header
    values = []
    for i, r in enumerate(rows):
        try:
            values.append([float(c) for c in r])
        except ValueError:
            raise ValueError(f"Trace: {path!r} line {i + 1}: not a number in {r!r}") from None
    if not values or len({len(r) for r in values}) != 1:
        raise ValueError(f"Trace: {path!r} must hold a rectangular table of demands")
    return np.asarray(values, dtype=float).T


def as_demand(value: DemandProcess | int | float, name: str = "demand") -> DemandProcess:
    """Turn a user's ``demand=`` argument into a process: a process as is, a number as Constant.

    Raises:
        TypeError: for anything else.
    """
    if isinstance(value, DemandProcess):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if not 0 <= value <= MAX_QUANTITY:
            raise ValueError(
                f"{name}: a constant demand must be an integer in 0..{MAX_QUANTITY:,} (MAX_QUANTITY), got {value}"
            )
        return Constant(int(value))
    raise TypeError(
        f"{name} must be a DemandProcess (e.g. Poisson(5), Merton(), Trace([...])) or an "
        f"integer constant, got {value!r} ({type(value).__name__})"
    )
