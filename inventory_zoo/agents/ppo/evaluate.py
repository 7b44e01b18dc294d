"""The final table of a PPO run: its models next to the base-stock baselines on the same
episodes, and the learning curve's plot."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

import inventory_zoo
from inventory_zoo.agents.ppo.callbacks import validate
from inventory_zoo.agents.ppo.config import Args
from inventory_zoo.agents.ppo.envs import make_env, mean_demand
from inventory_zoo.agents.ppo.models import load_policy
from inventory_zoo.policies import (
    ConstantOrder,
    EchelonBaseStock,
    RandomPolicy,
    optimal_serial_base_stock,
    search_base_stock,
)

__all__ = ["baselines", "evaluate_models", "evaluate_run", "plot_curve"]


def baselines(args: Args, env) -> tuple[dict[str, tuple[str, Any]], float | None, dict[str, str]]:
    """The baselines of an env as ``{name: (kind, policy)}``, the exact optimal cost where it
    exists (else None), and notes.

    Kinds: ``"optimal"`` (echelon base-stock at the Clark-Scarf levels: reads the full state),
    ``"searched"`` (installation base-stock at the best levels found by simulation; each agent
    also sees the orders its customers place in the same period), ``"searched_local"`` (the
    same from each agent's own observation only: the information a decentralised learner has)
    and ``"naive"`` (constant orders of the mean demand, random orders).
    """
    notes: dict[str, str] = {}
    pols: dict[str, tuple[str, Any]] = {}
    exact = None
    try:
        levels, exact = optimal_serial_base_stock(env)
        pols[f"echelon base-stock {tuple(levels)}, optimal"] = ("optimal", EchelonBaseStock(levels))
    except ValueError as e:
        notes["optimum"] = str(e).split(": ", 1)[-1]
    for kind, sequential, label in (
        ("searched", True, "searched"),
        ("searched_local", False, "searched, own obs"),
    ):
        res = search_base_stock(
            env,
            episodes=args.search_episodes,
            seed=args.eval_seed + 1000,
            max_cycles=args.eval_max_cycles,
            sequential=sequential,
            progress=args.progress and sys.stderr.isatty(),
        )
        pols[f"base-stock {res.levels}, {label}"] = (kind, res.policy())
    q = mean_demand(env)
    pols[f"constant order {q}"] = ("naive", ConstantOrder(q))
    pols["random orders"] = ("naive", RandomPolicy(seed=args.eval_seed))
    return pols, exact, notes


def evaluate_models(
    args: Args, models: dict[str, Path], run_dir: Path | None, device: str = "cpu"
) -> list[dict[str, Any]]:
    """Evaluate saved models next to the baselines on the same episodes; print and save the table."""
    env = make_env(args)
    pols = {name: ("ppo", load_policy(path, env=env, device=device)) for name, path in models.items()}
    base, exact, notes = baselines(args, env)
    pols.update(base)
    rows = []
    for name, (kind, pol) in pols.items():
        rep = inventory_zoo.evaluate(
            env, pol, episodes=args.eval_episodes, seed=args.eval_seed, max_cycles=args.eval_max_cycles
        )
        row = {"policy": name, "kind": kind, **rep.as_dict()}
        if kind != "ppo":  # on the learning curve's validation episodes too, for its plot
            row["validation_cost_per_period"] = validate(env, pol, args).cost_per_period
        rows.append(row)
    ref = exact if exact is not None else min(r["cost_per_period"] for r in rows if r["kind"] == "searched")
    ref_name = "exact optimum" if exact is not None else "searched base-stock"
    print(
        f"\n{args.env}/{args.preset or 'default'}: whole-system cost per period, {args.eval_episodes} episodes "
        f"(seeds {args.eval_seed}..{args.eval_seed + args.eval_episodes - 1}), raw costs (no reward mixing)"
    )
    head = f"{'policy':<48}{'cost/period':>12}{'+/- 95%':>9}{'fill rate':>10}{'vs ' + ref_name:>24}"
    print(head)
    print("-" * len(head))
    for r in rows:
        r["gap_percent"] = gap = 100 * (r["cost_per_period"] / ref - 1)
        print(
            f"{r['policy']:<48}{r['cost_per_period']:>12.2f}{r['cost_per_period_ci95']:>9.2f}"
            f"{r['fill_rate']:>10.3f}{gap:>+23.1f}%"
        )
    if exact is not None:
        print(f"{'exact expected cost (Chen-Zheng)':<48}{exact:>12.2f}")
    for k, v in notes.items():
        print(f"note ({k}): {v}")
    if run_dir is not None:
        with open(run_dir / "evaluation.json", "w") as fh:
            json.dump({"rows": rows, "exact_optimum": exact, "notes": notes}, fh, indent=2, default=_jsonable)
        curve = run_dir / "curve.csv"
        if curve.exists():
            png = plot_curve(curve, rows, exact, run_dir / "learning_curve.png", f"{args.env}/{args.preset}")
            if png is not None:
                print(f"learning curve: {png}")
    return rows


def evaluate_run(args: Args, run_dir: Path) -> list[dict[str, Any]]:
    """:func:`evaluate_models` on a run's final model and its best one on validation (saved in
    ``run_dir/evaluation.json``, with the learning curve's plot)."""
    models = {"PPO (final)": run_dir / "model.zip"}
    if (run_dir / "best_model.zip").exists():
        models["PPO (best on validation)"] = run_dir / "best_model.zip"
    rows = evaluate_models(args, models, run_dir)
    print(f"saved in {run_dir}/")
    return rows


def _jsonable(x: Any) -> Any:
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return str(x)


def plot_curve(csv_path: Path, rows: list[dict[str, Any]], exact: float | None, png: Path, title: str):
    """Validation cost against training steps, with the baselines as horizontal lines."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install 'inventory-zoo[plot]'): no learning-curve plot")
        return None
    with open(csv_path) as fh:
        data = list(csv.DictReader(fh))
    x = np.array([float(d["timesteps"]) for d in data])
    y = np.array([float(d["cost_per_period"]) for d in data])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(x, y, marker="o", ms=3, label="PPO (greedy)")
    styles = iter(["--", ":", "-."])
    for r in rows:
        if r["kind"] in ("searched", "searched_local") or r["policy"].startswith("constant"):
            ax.axhline(
                r["validation_cost_per_period"], ls=next(styles, "--"), color="grey", label=r["policy"]
            )
    if exact is not None:
        ax.axhline(exact, color="black", lw=1, label=f"exact optimum {exact:.2f}")
    ax.set_yscale("log")
    ax.set_xlabel("training timesteps (agent-periods)")
    ax.set_ylabel("system cost per period, validation episodes")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png
