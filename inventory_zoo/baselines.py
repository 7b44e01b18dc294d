"""The final table every learner prints: trained policies next to the textbook baselines.

One function, :func:`baseline_table`, evaluates the given (trained) policies and the baselines of
the env on the *same* fresh episodes (common random numbers: episode ``k`` is seeded ``seed + k``
for every row), so differences between rows are differences between policies, not luck:

- ``optimal``: echelon base-stock at the exact Clark-Scarf levels, when the env is inside that
  model (serial chain, backlogging, i.i.d. demand, ...; see
  :func:`inventory_zoo.policies.optimal_serial_base_stock`), plus a row of kind ``exact`` holding
  the model's expected cost per period (computed, not simulated);
- ``searched``: installation base-stock at the levels :func:`~inventory_zoo.policies.search_base_stock`
  finds on its own episodes (seeds ``search_seed + k``, disjoint from the table's by default);
  each agent also sees the orders its customers place in the same period;
- ``searched_local``: the same, from each agent's own observation only (what a decentralised
  learner sees);
- ``naive``: a constant order of the mean demand, and uniformly random orders.

Rows are plain dicts (JSON-able but for ``levels`` tuples), sorted by cost, with the exact row
last. ``gap_percent`` is the row's cost relative to the reference: the exact optimum when there is
one, else the best searched base-stock. No torch here: any :class:`~inventory_zoo.policies.Policy`
works (HAPPO, PPO, RLlib policies, heuristics).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from inventory_zoo.envs.unwrap import unwrap_env
from inventory_zoo.evaluation import evaluate, paired_difference
from inventory_zoo.policies import (
    ConstantOrder,
    EchelonBaseStock,
    RandomPolicy,
    optimal_serial_base_stock,
    search_base_stock,
)
from inventory_zoo.policies.batched import mean_customer_demand

__all__ = ["Baselines", "baselines", "baseline_table", "format_table", "mean_demand"]

#: Row kinds of the table, in the order a reader meets them.
KINDS = ("learned", "optimal", "searched", "searched_local", "naive", "exact")


class Baselines:
    """The baseline policies of one env (what :func:`baselines` returns).

    Attributes:
        policies: ``{row name: (kind, policy)}``.
        exact: the exact optimal expected cost per period, or ``None`` outside the Clark-Scarf model.
        levels: ``{row name: levels}`` of the base-stock rows.
        notes: ``{topic: text}``, e.g. why there is no exact optimum.
    """

    def __init__(self) -> None:
        self.policies: dict[str, tuple[str, Any]] = {}
        self.exact: float | None = None
        self.levels: dict[str, tuple[int, ...]] = {}
        self.notes: dict[str, str] = {}


def _env_of(make_env: Any) -> Any:
    """A fresh env from a zero-argument factory, or the env itself."""
    if callable(make_env) and not hasattr(make_env, "possible_agents"):
        return make_env()
    return make_env


def mean_demand(env: Any) -> int:
    """Mean customer demand per demand node per period, rounded (for the constant-order row).

    Demand models without a closed-form mean are sampled (64 x 64 draws, seed 0).
    """
    return int(round(mean_customer_demand(unwrap_env(env).spec, paths=64)))


def baselines(
    env: Any,
    *,
    search_episodes: int = 16,
    search_seed: int = 0,
    max_cycles: int | None = None,
    local: bool = True,
    random_seed: int = 0,
    progress: bool = False,
) -> Baselines:
    """The baseline policies of ``env`` (see the module's docstring for the kinds).

    Args:
        env: an env of the library (or a wrapper of one).
        search_episodes, search_seed: the episodes the base-stock search simulates.
        max_cycles: periods per episode of the search (default: the env's).
        local: also search base-stock levels for agents that see only their own observation.
        random_seed: seed of the random-order policy.
        progress: show the search's progress bar (needs tqdm).
    """
    penv = unwrap_env(env)
    out = Baselines()
    try:
        levels, exact = optimal_serial_base_stock(penv)
        name = f"echelon base-stock {tuple(int(x) for x in levels)}, optimal"
        out.policies[name] = ("optimal", EchelonBaseStock(levels))
        out.levels[name] = tuple(int(x) for x in levels)
        out.exact = float(exact)
    except ValueError as e:
        out.notes["optimum"] = str(e).split(": ", 1)[-1]
    modes = [("searched", True, "searched")] + (
        [("searched_local", False, "searched, own obs")] if local else []
    )
    for kind, sequential, label in modes:
        found = search_base_stock(
            penv,
            episodes=search_episodes,
            seed=search_seed,
            max_cycles=max_cycles,
            sequential=sequential,
            progress=progress,
        )
        name = f"base-stock {found.levels}, {label}"
        out.policies[name] = (kind, found.policy())
        out.levels[name] = tuple(found.levels)
    q = min(mean_demand(penv), int(penv.max_order))  # an order above max_order is not an action
    out.policies[f"constant order {q}"] = ("naive", ConstantOrder(q))
    out.policies["random orders"] = ("naive", RandomPolicy(random_seed))
    return out


def baseline_table(
    make_env: Callable[[], Any] | Any,
    policies: Mapping[str, Any],
    *,
    episodes: int = 100,
    seed: int = 20_000,
    max_cycles: int | None = None,
    search_episodes: int = 16,
    search_seed: int = 0,
    local: bool = True,
    extra: Mapping[str, tuple[str, Any]] | None = None,
    progress: bool = False,
    heuristic_budget: int = 0,
    heuristic_episodes: int = 16,
) -> list[dict[str, Any]]:
    """Evaluate ``policies`` and the env's baselines on the same fresh episodes.

    Args:
        make_env: a zero-argument callable returning a fresh env, or an env (it is reset for
            every episode, so its current state does not matter).
        policies: ``{name: policy}`` of the learned policies (kind ``learned``); may be empty.
        episodes: episodes per row; episode ``k`` is seeded ``seed + k`` for every row.
        max_cycles: periods per episode (default: the env's).
        search_episodes, search_seed, local, progress: as in :func:`baselines`.
        extra: more ``{name: (kind, policy)}`` rows.
        heuristic_budget: trials per heuristic family (0: none). Every family that applies to
            the env (:func:`inventory_zoo.comparison.best_heuristics`: forecast-driven
            order-up-to, (s, S) on a forecast, capped base-stock, ...) is tuned with this many
            trials on ``heuristic_episodes`` training episodes seeded ``search_seed + k``
            (disjoint from the table's) and gets a row of kind ``tuned heuristic``; every learned
            row then also carries its paired difference to the best of them
            (``vs_best_heuristic``, ``vs_best_heuristic_ci95``, ``best_heuristic``). Needs the
            ``tune`` extra; without it the table says so in a note.

    Returns:
        one dict per row: ``policy``, ``kind``, ``gap_percent`` and the fields of
        :meth:`inventory_zoo.evaluation.EvaluationReport.as_dict`; base-stock rows also have
        ``levels``. Sorted by cost; the ``exact`` row (``fill_rate`` NaN, CI 0) comes last.

    Raises:
        TypeError: ``policies`` is not a mapping.
        ValueError: ``episodes`` < 1.
    """
    if not isinstance(policies, Mapping):
        raise TypeError(f"policies must be a {{name: policy}} dict, got {type(policies).__name__}")
    if int(episodes) < 1:
        raise ValueError(f"episodes={episodes!r} is not allowed; it must be >= 1")
    env = _env_of(make_env)
    base = baselines(
        env, search_episodes=search_episodes, search_seed=search_seed, max_cycles=max_cycles,
        local=local, random_seed=seed, progress=progress,
    )  # fmt: skip
    entries: dict[str, tuple[str, Any]] = {name: ("learned", pol) for name, pol in policies.items()}
    entries.update(base.policies)
    entries.update(extra or {})
    if heuristic_budget:
        tuned = _tuned_heuristics(env, heuristic_budget, heuristic_episodes, search_seed, episodes, seed)
        if isinstance(tuned, str):
            base.notes["tuned heuristics"] = tuned
        else:
            entries.update({f"tuned {h.family}": ("tuned heuristic", h.policy) for h in tuned})
    rows, reports = [], {}
    for name, (kind, pol) in entries.items():
        rep = reports[name] = evaluate(env, pol, episodes, seed, max_cycles)
        row: dict[str, Any] = {"policy": name, "kind": kind, **rep.as_dict()}
        if name in base.levels:
            row["levels"] = base.levels[name]
        rows.append(row)
    rows.sort(key=lambda r: r["cost_per_period"])
    _add_paired_differences(rows, reports)
    _add_reference(rows, base)
    return rows


def _tuned_heuristics(env: Any, budget: int, episodes: int, seed: int, test_episodes: int, test_seed: int):
    """The tuned families (:func:`~inventory_zoo.comparison.best_heuristics`), or a note saying
    why there are none."""
    try:
        import optuna  # noqa: F401
    except ImportError:
        return "not tuned: install the tune extra (pip install 'inventory-zoo[tune]')"
    from inventory_zoo.comparison import best_heuristics

    return best_heuristics(
        env, budget=budget, episodes=episodes, seed=seed, test_episodes=test_episodes, test_seed=test_seed
    )


def _add_paired_differences(rows: list[dict[str, Any]], reports: Mapping[str, Any]) -> None:
    """Give every learned row its paired difference (same episodes) to the cheapest tuned
    heuristic: negative when the learner costs less."""
    tuned = [r for r in rows if r["kind"] == "tuned heuristic"]
    if not tuned:
        return
    best = min(tuned, key=lambda r: r["cost_per_period"])
    for r in rows:
        if r["kind"] == "learned":
            diff, half = paired_difference(reports[r["policy"]], reports[best["policy"]])
            r.update(best_heuristic=best["policy"], vs_best_heuristic=diff, vs_best_heuristic_ci95=half)


def _add_reference(rows: list[dict[str, Any]], base: Baselines) -> None:
    """Append the exact row (if any) and give every row its gap to the reference: the exact
    optimum, else the best searched base-stock (which then carries the note saying why)."""
    if base.exact is not None:
        ref_row = {"policy": "optimum (expected)", "kind": "exact", "cost_per_period": base.exact,
                   "cost_per_period_ci95": 0.0, "fill_rate": math.nan}  # fmt: skip
        rows.append(ref_row)
    else:
        ref_row = next(r for r in rows if r["kind"] == "searched")  # the cheapest: rows are sorted by cost
    ref = float(ref_row["cost_per_period"])
    label = "exact optimum" if base.exact is not None else "searched base-stock"
    for r in rows:
        r["gap_percent"] = 100.0 * (r["cost_per_period"] / ref - 1.0) if ref > 0 else math.nan
        r["reference"] = label
    if base.notes:
        ref_row["notes"] = dict(base.notes)


def format_table(rows: list[dict[str, Any]], title: str | None = None) -> str:
    """A text table of :func:`baseline_table`'s rows (cost per period, its 95% CI half-width,
    fill rate, gap to the reference), with the notes below it."""
    ref = rows[0].get("reference", "reference") if rows else "reference"
    width = max([28, *(len(str(r["policy"])) + 2 for r in rows)])
    head = (
        f"{'policy':<{width}}{'kind':<16}{'cost/period':>12}{'+/- 95%':>9}{'fill rate':>10}{'vs ' + ref:>24}"
    )
    out = ([title] if title else []) + [head, "-" * len(head)]
    for r in rows:
        fill = r.get("fill_rate", math.nan)
        gap = r.get("gap_percent", math.nan)
        out.append(
            f"{r['policy']:<{width}}{r.get('kind', ''):<16}{r['cost_per_period']:>12.2f}"
            f"{r.get('cost_per_period_ci95', math.nan):>9.2f}"
            f"{'' if math.isnan(fill) else f'{fill:.3f}':>10}{'' if math.isnan(gap) else f'{gap:+.1f}%':>24}"
        )
    for r in rows:
        if "vs_best_heuristic" in r:
            out.append(
                f"{r['policy']} - best heuristic ({r['best_heuristic']}): {r['vs_best_heuristic']:+.2f} "
                f"+/- {r['vs_best_heuristic_ci95']:.2f} per period (paired, same episodes; negative: "
                f"{r['policy']} costs less)"
            )
    for r in rows:
        for k, v in r.get("notes", {}).items():
            out.append(f"note ({k}): {v}")
    return "\n".join(out)
