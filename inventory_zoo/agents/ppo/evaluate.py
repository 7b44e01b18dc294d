"""The final table of a PPO run: its models next to the baselines on the same episodes (the
table every learner prints, :mod:`inventory_zoo.baselines`), and the learning curve's plot."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from inventory_zoo.agents.ppo.config import Args
from inventory_zoo.agents.ppo.envs import make_env
from inventory_zoo.agents.ppo.models import load_policy
from inventory_zoo.baselines import baseline_table, format_table

__all__ = ["evaluate_models", "evaluate_run", "plot_curve"]


def evaluate_models(
    args: Args, models: dict[str, Path], run_dir: Path | None, device: str = "cpu"
) -> list[dict[str, Any]]:
    """Evaluate saved models next to the baselines on the same episodes (the shared table of
    :func:`inventory_zoo.baselines.baseline_table`); print the table and save it.

    Episodes: the table's are seeded ``eval_seed + k``, the base-stock search's
    ``eval_seed + 1000 + k`` (so its levels are not chosen on the episodes they are scored on).
    """
    env = make_env(args)
    pols = {name: load_policy(path, env=env, device=device) for name, path in models.items()}
    rows = baseline_table(
        env,
        pols,
        episodes=args.eval_episodes,
        seed=args.eval_seed,
        max_cycles=args.eval_max_cycles,
        search_episodes=args.search_episodes,
        search_seed=args.eval_seed + 1000,
        progress=args.progress and sys.stderr.isatty(),
        heuristic_budget=args.heuristic_budget,
    )
    exact = next((r["cost_per_period"] for r in rows if r["kind"] == "exact"), None)
    notes = next((r["notes"] for r in rows if "notes" in r), {})
    title = (
        f"\n{args.env}/{args.preset or 'default'}: whole-system cost per period, {args.eval_episodes} episodes "
        f"(seeds {args.eval_seed}..{args.eval_seed + args.eval_episodes - 1}), raw costs (no reward mixing)"
    )
    print(format_table(rows, title))
    if run_dir is not None:
        with open(run_dir / "evaluation.json", "w") as fh:
            json.dump({"rows": rows, "exact_optimum": exact, "notes": notes}, fh, indent=2, default=_jsonable)
        curve = run_dir / "curve.csv"
        if curve.exists():
            png = plot_curve(curve, rows, run_dir / "learning_curve.png", f"{args.env}/{args.preset}")
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


def plot_curve(csv_path: Path, rows: list[dict[str, Any]], png: Path, title: str):
    """Validation cost against training steps, with the baselines' costs in the final table
    (``rows``) as horizontal lines."""
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
            ax.axhline(r["cost_per_period"], ls=next(styles, "--"), color="grey", label=r["policy"])
        elif r["kind"] == "exact":
            ax.axhline(
                r["cost_per_period"], color="black", lw=1, label=f"exact optimum {r['cost_per_period']:.2f}"
            )
    ax.set_yscale("log")
    ax.set_xlabel("training timesteps (agent-periods)")
    ax.set_ylabel("system cost per period (curve: validation episodes)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png
