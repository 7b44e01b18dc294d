"""Tune a heuristic family's parameters by simulation, with a well-kept optimizer.

``tune(env, family)`` searches the family's parameter space (:mod:`inventory_zoo.policies.
families`) with Optuna's TPE sampler (``optimizer="tpe"``, default) or CMA-ES from the ``cmaes``
package (``optimizer="cmaes"``); both come with the ``tune`` extra
(``pip install "inventory-zoo[tune]"``) and are imported only here, when tuning.

- **Common random numbers**: every candidate plays the same training episodes (episode ``k``
  seeded ``seed + k``), so candidates differ by their policy, not by their demand.
- **One batch per round**: a round of ``batch`` candidates (one Optuna ``ask`` per candidate, or
  one CMA-ES generation) is simulated at once, as ``batch x episodes`` rows of one
  :class:`~inventory_zoo.envs.vector.VectorEnv`; the policy takes its parameters as ``[B, N]``
  arrays.
- **Disjoint seeds, by construction**: the training episodes are seeds
  ``seed .. seed + episodes - 1``, the test episodes ``test_seed .. test_seed + test_episodes -
  1``; ``tune`` refuses ranges that overlap. The reported test cost is measured on episodes the
  tuning never saw.
- **Budget**: ``budget`` candidate parameter vectors in all (the first is the family's default
  point), or fewer when ``time_limit`` seconds run out first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from inventory_zoo.core.validation import check_int, check_real, check_seed
from inventory_zoo.policies.base import Policy
from inventory_zoo.policies.families import FAMILIES, Family, Param
from inventory_zoo.policies.families import family as get_family

__all__ = ["TuningReport", "tune", "simulate_candidates", "policy_factory", "OPTIMIZERS", "DEFAULT_BUDGET"]

OPTIMIZERS = ("tpe", "cmaes", "tpe+cmaes")
#: Candidates tried by ``tuned:FAMILY`` on the command line when no budget is given.
DEFAULT_BUDGET = 192


@dataclass
class TuningReport:
    """What :func:`tune` did and measured.

    Attributes:
        family: the family's name.
        params: the best parameters (a number, or a list with one value per agent).
        train_cost: their whole-system cost per period on the training episodes (optimistic:
            chosen on them).
        test: the evaluation on the test episodes (``None`` when ``test_episodes=0``).
        evaluations: candidates simulated.
        seconds: wall-clock time of the tuning (without the test evaluation).
        optimizer: ``"tpe"`` or ``"cmaes"``.
        train_seeds, test_seeds: ``(first, last)`` seeds of the episodes (inclusive).
        history: ``(params, train cost)`` of every candidate.
    """

    family: str
    params: dict[str, Any]
    train_cost: float
    test: Any
    evaluations: int
    seconds: float
    optimizer: str
    train_seeds: tuple[int, int]
    test_seeds: tuple[int, int] | None
    history: list[tuple[dict[str, Any], float]] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers, for JSON."""
        return {
            "family": self.family,
            "params": self.params,
            "train_cost": self.train_cost,
            "test": None if self.test is None else self.test.as_dict(),
            "evaluations": self.evaluations,
            "seconds": self.seconds,
            "optimizer": self.optimizer,
            "train_seeds": list(self.train_seeds),
            "test_seeds": None if self.test_seeds is None else list(self.test_seeds),
        }


def _dims(space: list[Param], n: int) -> list[tuple[str, int, Param]]:
    """The scalar dimensions: ``(label, agent or -1, param)``."""
    out = []
    for p in space:
        if p.per_agent:
            out += [(f"{p.name}[{i}]", i, p) for i in range(n)]
        else:
            out.append((p.name, -1, p))
    return out


def _start(dims: list[tuple[str, int, Param]]) -> np.ndarray:
    x = []
    for _, i, p in dims:
        s = p.start[i] if isinstance(p.start, tuple) else p.start
        x.append(min(max(float(s), p.low), p.high))
    return np.array(x)


def _values(dims: list[tuple[str, int, Param]], X: np.ndarray, n: int, rows: bool) -> dict[str, Any]:
    """Builder keywords for candidates ``X`` ``[K, d]``: ``[K, N]`` arrays (``rows``) or, for one
    candidate, numbers and per-agent lists."""
    K = X.shape[0]
    out: dict[str, Any] = {}
    for j, (_, i, p) in enumerate(dims):
        col = np.clip(X[:, j], p.low, p.high)
        if p.integer:
            col = np.rint(col)
        arr = out.setdefault(p.name, np.zeros((K, n)))
        if i < 0:
            arr[:] = col[:, None]
        else:
            arr[:, i] = col
    if rows:
        return out
    one: dict[str, Any] = {}
    for p_name, arr in out.items():
        p = next(d[2] for d in dims if d[2].name == p_name)
        v = [int(x) if p.integer else float(x) for x in arr[0]]
        one[p_name] = v if p.per_agent else v[0]
    return one


def simulate_candidates(
    env: Any,
    fam: Family,
    values: dict[str, np.ndarray],
    episodes: int,
    seed: int,
    max_cycles: int | None = None,
) -> np.ndarray:
    """Whole-system cost per period ``[K]`` of ``K`` candidates, each on the same ``episodes``
    training episodes (candidate ``k``'s episode ``e`` is seeded ``seed + e``), in one batch.

    Args:
        values: builder keywords as ``[K, N]`` arrays.
    """
    from inventory_zoo.envs.unwrap import unwrap_env
    from inventory_zoo.envs.vector import VectorEnv

    K = next(iter(values.values())).shape[0]
    penv = unwrap_env(env)
    venv = VectorEnv(penv, K * episodes, auto_reset=False)
    if max_cycles is not None:
        venv.max_cycles = max_cycles
    rows = {k: np.repeat(v, episodes, axis=0) for k, v in values.items()}
    policy = fam.build(penv, **rows)
    policy.reset(venv)
    obs, _ = venv.reset(seed=[seed + e for _ in range(K) for e in range(episodes)])
    total = np.zeros(K * episodes)
    for _ in range(venv.max_cycles):
        obs, _, _, _, info = venv.step(policy.act(obs, venv))
        total += info["cost"].sum(1)
    return (total / venv.max_cycles).reshape(K, episodes).mean(1)


def _check_seeds(seed: int, episodes: int, test_seed: int | None, test_episodes: int) -> None:
    if test_episodes and test_seed is not None:
        if seed < test_seed + test_episodes and test_seed < seed + episodes:
            raise ValueError(
                f"training seeds {seed}..{seed + episodes - 1} overlap test seeds "
                f"{test_seed}..{test_seed + test_episodes - 1}; tuning and testing must use disjoint episodes"
            )


def _require(optimizer: str) -> None:
    """Import the optimizer's package, or explain how to install it."""
    try:
        if "tpe" in optimizer:
            import optuna  # noqa: F401
        if "cmaes" in optimizer:
            import cmaes  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"tune(optimizer={optimizer!r}) needs the tune extra: pip install 'inventory-zoo[tune]'"
        ) from exc


def _tpe(dims, evaluate, budget, batch, seed, deadline, x0):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(
        seed=seed, multivariate=True, n_startup_trials=min(max(budget // 5, 8), 32)
    )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.enqueue_trial({label: float(v) for (label, _, _), v in zip(dims, x0, strict=True)})
    done = 0
    while done < budget and time.monotonic() < deadline:
        k = min(batch, budget - done)
        trials = [study.ask() for _ in range(k)]
        X = np.array(
            [
                [
                    t.suggest_int(label, int(p.low), int(p.high))
                    if p.integer
                    else t.suggest_float(label, p.low, p.high)
                    for label, _, p in dims
                ]
                for t in trials
            ],
            float,
        )
        costs = evaluate(X)
        for t, c in zip(trials, costs, strict=True):
            study.tell(t, float(c))
        done += k


def _cmaes(dims, evaluate, budget, batch, seed, deadline, x0, start_done=False):
    from cmaes import CMA

    lo = np.array([p.low for _, _, p in dims])
    span = np.array([p.high - p.low for _, _, p in dims])
    span = np.where(span > 0, span, 1.0)
    d = len(dims)
    pad = 1 if d == 1 else 0  # the package needs two dimensions or more
    mean = np.r_[(x0 - lo) / span, [0.5] * pad]
    opt = CMA(
        mean=mean, sigma=0.1, bounds=np.tile([0.0, 1.0], (d + pad, 1)), seed=seed, population_size=batch
    )
    done = 0
    if not start_done:
        evaluate(np.array([x0]))
        done = 1
    while done + opt.population_size <= budget and time.monotonic() < deadline:
        U = np.array([opt.ask() for _ in range(opt.population_size)])
        costs = evaluate(lo + U[:, :d] * span)
        opt.tell([(u, float(c)) for u, c in zip(U, costs, strict=True)])
        done += len(U)


def _checked(optimizer, budget, episodes, seed, test_episodes, test_seed, batch, time_limit, max_cycles):
    """:func:`tune`'s sizes and seeds, checked (named errors) and normalised, in order."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer={optimizer!r} is not allowed; use one of {OPTIMIZERS}")
    budget = check_int("budget", budget, low=1)
    episodes = check_int("episodes", episodes, low=1)
    seed = check_seed(seed)
    if seed is None:
        raise TypeError("seed must be an integer >= 0 (training episodes need fixed seeds), got None")
    test_episodes = check_int("test_episodes", test_episodes, low=0)
    test_seed = check_seed(test_seed, "test_seed")
    batch = check_int("batch", batch, low=2 if "cmaes" in optimizer else 1)
    if time_limit is not None:
        time_limit = check_real("time_limit", time_limit, low=0.0, low_open=True)
    if max_cycles is not None:
        max_cycles = check_int("max_cycles", max_cycles, low=1)
    _check_seeds(seed, episodes, test_seed, test_episodes)
    _require(optimizer)
    return budget, episodes, seed, test_episodes, test_seed, batch, time_limit, max_cycles


def tune(
    env: Any,
    family: str,
    *,
    budget: int = 256,
    episodes: int = 32,
    seed: int = 0,
    test_episodes: int = 100,
    test_seed: int | None = 20000,
    optimizer: str = "tpe",
    batch: int = 16,
    time_limit: float | None = None,
    max_cycles: int | None = None,
) -> tuple[Policy, TuningReport]:
    """Tune a heuristic family on training episodes; report it on disjoint test episodes.

    Args:
        env: an env of this library (ParallelEnv or AEC env).
        family: a family name (see :data:`~inventory_zoo.policies.families.FAMILIES`).
        budget: candidate parameter vectors simulated, >= 1.
        episodes: training episodes per candidate; ``seed``: training episode ``k`` is seeded
            ``seed + k``.
        test_episodes: episodes of the final evaluation (0: none); ``test_seed``: test episode
            ``k`` is seeded ``test_seed + k``. The two seed ranges must not overlap.
        optimizer: ``"tpe"`` (Optuna's TPE sampler), ``"cmaes"`` (CMA-ES, package ``cmaes``) or
            ``"tpe+cmaes"`` (TPE for half the budget, then CMA-ES started at TPE's best point).
        batch: candidates simulated together per round (a CMA-ES generation's size).
        time_limit: stop starting rounds after this many seconds (``None``: no limit).
        max_cycles: periods per training episode (default: the env's).

    Returns:
        ``(policy, report)``: the family's policy at the best parameters found, and a
        :class:`TuningReport`.

    Raises:
        ValueError: an unknown family or optimizer, a family that does not apply to the env,
            overlapping seed ranges, or sizes out of range.
        ImportError: the ``tune`` extra is not installed.
    """
    from inventory_zoo.envs.unwrap import unwrap_env
    from inventory_zoo.evaluation import evaluate

    fam = get_family(family)
    penv = unwrap_env(env)
    reason = fam.applies(penv)
    if reason is not None:
        raise ValueError(f"family {family!r} does not apply to this env: {reason}")
    budget, episodes, seed, test_episodes, test_seed, batch, time_limit, max_cycles = _checked(
        optimizer, budget, episodes, seed, test_episodes, test_seed, batch, time_limit, max_cycles
    )

    n = len(penv.possible_agents)
    dims = _dims(fam.space(penv), n)
    history: list[tuple[dict[str, Any], float]] = []
    points: list[np.ndarray] = []

    def evaluate_rows(X: np.ndarray) -> np.ndarray:
        costs = simulate_candidates(penv, fam, _values(dims, X, n, rows=True), episodes, seed, max_cycles)
        points.extend(X)
        history.extend(
            (_values(dims, x[None], n, rows=False), float(c)) for x, c in zip(X, costs, strict=True)
        )
        return costs

    t0 = time.monotonic()
    deadline = t0 + time_limit if time_limit is not None else float("inf")
    if optimizer == "tpe+cmaes":
        _tpe(dims, evaluate_rows, max(budget // 2, 1), batch, seed, deadline, _start(dims))
        best = points[int(np.argmin([h[1] for h in history]))]
        _cmaes(dims, evaluate_rows, budget - len(history), batch, seed, deadline, best, start_done=True)
    else:
        run = _tpe if optimizer == "tpe" else _cmaes
        run(dims, evaluate_rows, budget, batch, seed, deadline, _start(dims))
    seconds = time.monotonic() - t0
    best_params, best_cost = min(history, key=lambda h: h[1])
    policy = fam.build(penv, **best_params)
    test = (
        evaluate(penv, policy, test_episodes, test_seed) if test_episodes and test_seed is not None else None
    )
    report = TuningReport(
        family=fam.name,
        params=best_params,
        train_cost=best_cost,
        test=test,
        evaluations=len(history),
        seconds=seconds,
        optimizer=optimizer,
        train_seeds=(seed, seed + episodes - 1),
        test_seeds=(test_seed, test_seed + test_episodes - 1) if test is not None else None,
        history=history,
    )
    return policy, report


def policy_factory(
    env: Any, args: str, *, seed: int = 0, budget: int | None = None, device: str = "cpu", **_: Any
) -> Policy:
    """``tuned:FAMILY``: tune ``FAMILY`` on ``env`` and return the tuned policy.

    ``budget`` is the number of candidates (default :data:`DEFAULT_BUDGET`). The training
    episodes start at :func:`~inventory_zoo.policies.search.disjoint_training_seed` ``(seed)``,
    so a command scoring the policy on episodes ``seed, seed + 1, ...`` (fewer than a million)
    never scores it on an episode it was tuned on.

    Raises:
        ValueError: no family, an unknown one, or one that does not apply to the env.
    """
    from inventory_zoo.policies.search import disjoint_training_seed

    name = args.strip()
    if not name:
        raise ValueError(f"tuned needs a family, e.g. tuned:forecast_es; families are {sorted(FAMILIES)}")
    policy, _ = tune(
        env,
        name,
        budget=DEFAULT_BUDGET if budget is None else budget,
        seed=disjoint_training_seed(seed),
        test_episodes=0,
    )
    return policy
