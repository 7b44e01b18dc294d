"""HAPPO: training throughput and what the trained policies are worth next to base-stock.

For each case, HAPPO trains for a fixed wall-clock budget, then its best model (chosen on the
evaluation episodes, seeds 10000..) is evaluated on 100 fresh episodes (seeds 20000..) with
``inventory_zoo.evaluate``, beside, on the same episodes:

- installation base-stock at the levels of ``search_base_stock`` (the textbook installation
  policy: a supplier counts the orders its customers place this period);
- the same policy restricted to each agent's own observation (``sequential=False``: what a
  decentralised agent that orders at the same time as its customers can do), searched alike;
- echelon base-stock at the exact Clark-Scarf optimum, and the optimum's expected cost, where
  the env is inside that model (``snyder_shen_6_1``);
- a random policy, for scale.

Cases (targets of issue 7):

- ``snyder_shen_6_1``: within 5% of the exact optimum 72.05; team reward (``reward_mix=1``), actors
  on the global state choosing order-up-to levels 0..40 of their own installation position
  (``action_mode="level"``; ordinal heads), learning rates decayed to 0 over the budget;
- ``liu2022``: below the best searched base-stock (the paper's claim), paper-like settings (local
  observations, softmax heads choosing order quantities, the preset's reward mix 0.5);
- ``liu2022_2x3`` (needs network_v0): the same, on the 2x3 multi-sourcing network, with 256 envs
  and 3 epochs per update (six actors to update one after another: fewer passes per sample).

Throughput is env-steps (periods of one env copy, all agents acting) per second. It is measured
twice: first on its own (``--repeats`` short runs per case with the case's settings, no
evaluation and no files; the best run counts, since other programs on a shared machine only ever
slow a run down), then over each whole training run (evaluations included). Both per second of
wall-clock and per CPU-second of the process (less sensitive to other programs); the load
average is recorded beside them. Target: >= 10,000 env-steps/s on 2 cores.

Run from the repository root (needs the ``train`` extra)::

    python benchmarks/happo.py                        # about 30 minutes
    python benchmarks/happo.py --minutes 2            # shorter budgets
    python benchmarks/happo.py --only throughput      # the speed table alone (a few minutes)
    python benchmarks/happo.py --quick                # a smoke run of the whole pipeline

Results go to ``runs/benchmark-happo/`` (``throughput.json``/``.md``, ``results.json``,
``table.md``, each run's directory).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from inventory_zoo import evaluate
from inventory_zoo.agents import happo
from inventory_zoo.agents.happo.config import args_dict
from inventory_zoo.baselines import baseline_table
from inventory_zoo.policies import BaseStock

ROOT = Path(__file__).resolve().parents[1]

CASES: dict[str, dict[str, Any]] = {
    "snyder_shen_6_1": dict(
        env="serial_v0",
        preset="snyder_shen_6_1",
        reward_mix=1.0,
        actor_input="global",
        action_mode="level",
        level_position="installation",
        max_level=40,
        action_head="ordinal",
        anneal_lr=True,
    ),
    "liu2022": dict(env="serial_v0", preset="liu2022"),
    "liu2022_2x3": dict(env="network_v0", preset="liu2022_2x3", num_envs=256, update_epochs=3),
}

TEST_EPISODES, TEST_SEED = 100, 20_000


def _load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "n/a"


def run_case(name: str, minutes: float, out: Path, seed: int, device: str, quick: bool) -> dict[str, Any]:
    kw = dict(CASES[name])
    extra: dict[str, Any] = dict(
        seed=seed, device=device, time_limit=minutes * 60, total_timesteps=10**10, patience=0,
        run_dir=str(out / name), progress=False, final_table=False,
    )  # fmt: skip
    if quick:
        extra.update(total_timesteps=6400, eval_interval=1, eval_episodes=4, time_limit=0.0)
    args = happo.Args(**kw, **extra)
    load_before = _load()
    t0 = time.perf_counter()
    res = happo.train(args)
    train_wall = time.perf_counter() - t0
    load_after = _load()
    env = happo.make_env(args)
    episodes = 8 if quick else TEST_EPISODES
    # The shared final table: searched base-stock with and without the customers' orders (the
    # second is the decentralised bound), the exact optimum where there is one, all on the same episodes.
    rows = baseline_table(env, {"happo": res.policy}, episodes=episodes, seed=TEST_SEED,
                          search_episodes=4 if quick else 16)  # fmt: skip
    # Paired comparison with the searched base-stock on the same episodes (common random numbers).
    searched = next(r for r in rows if r["kind"] == "searched")
    diff = (
        evaluate(env, res.policy, episodes, TEST_SEED).episode_costs
        - evaluate(env, BaseStock(searched["levels"]), episodes, TEST_SEED).episode_costs
    )
    paired = (float(diff.mean()), float(1.96 * diff.std(ddof=1) / np.sqrt(len(diff))))
    by = {r["policy"]: r for r in rows}
    happo_cost = by["happo"]["cost_per_period"]
    optimum = next((r for r in rows if r["kind"] == "exact"), None)
    if optimum is not None:
        target = "within 5% of the optimum"
        met = happo_cost <= 1.05 * optimum["cost_per_period"]
    else:
        target = "below the searched base-stock"
        met = happo_cost < searched["cost_per_period"]
    return {
        "case": name,
        "settings": {k: v for k, v in args_dict(args).items() if k not in ("run_dir",)},
        "env_steps": res.global_step,
        "iterations": res.iterations,
        "train_wall_s": res.wall_time,
        "total_wall_s": train_wall,
        "sps_wall": res.sps,
        "sps_cpu": res.global_step / max(res.cpu_time, 1e-9),
        "load_before": load_before,
        "load_after": load_after,
        "best_eval_cost": res.best_cost,
        "best_iteration": res.best_iteration,
        "history": res.history,
        "rows": rows,
        "happo_test_cost": happo_cost,
        "searched_base_stock_cost": searched["cost_per_period"],
        "paired_difference": paired,
        "optimum": None if optimum is None else optimum["cost_per_period"],
        "target": target,
        "met": bool(met),
    }


def throughput(name: str, iterations: int, repeats: int, device: str) -> dict[str, Any]:
    """Training speed alone: ``repeats`` short runs with the case's settings (no evaluation, no
    files); the best run counts (other programs on a shared machine only ever slow a run down)."""
    kw = dict(CASES[name])
    kw.pop("anneal_lr", None)
    runs = []
    for rep in range(repeats):
        args = happo.Args(**kw, device=device, seed=rep, eval_interval=0, patience=0, save=False,
                          tensorboard=False, progress=False, final_table=False)  # fmt: skip
        args.total_timesteps = iterations * args.batch_size
        res = happo.train(args)
        runs.append({"sps_wall": res.sps, "sps_cpu": res.global_step / max(res.cpu_time, 1e-9),
                     "env_steps": res.global_step, "load": _load()})  # fmt: skip
    best = max(runs, key=lambda r: r["sps_wall"])
    return {"case": name, "runs": runs, "best_sps_wall": best["sps_wall"],
            "best_sps_cpu": max(r["sps_cpu"] for r in runs), "batch": args.batch_size}  # fmt: skip


def fmt_throughput(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| case | env-steps per iteration | runs | best env-steps/s (wall) | best env-steps/s (CPU) | load avg after each run |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        loads = "; ".join(x["load"].split(" / ")[0] for x in r["runs"])
        lines.append(
            f"| {r['case']} | {r['batch']:,} | {len(r['runs'])} x {r['runs'][0]['env_steps']:,} env-steps "
            f"| {r['best_sps_wall']:,.0f} | {r['best_sps_cpu']:,.0f} | {loads} |"
        )
    return "\n".join(lines) + "\n"


def fmt(results: list[dict[str, Any]], machine: str) -> str:
    lines = [f"Machine: {machine}.", ""]
    lines.append(
        "| case | env-steps | training wall-clock | env-steps/s (wall) | env-steps/s (CPU) | load avg (1/5/15 min, start) "
        "| HAPPO cost | searched base-stock | HAPPO - base-stock (paired, 95%) | exact optimum | target | met |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        opt = "" if r["optimum"] is None else f"{r['optimum']:.2f}"
        lines.append(
            f"| {r['case']} | {r['env_steps']:,} | {r['train_wall_s'] / 60:.1f} min | {r['sps_wall']:,.0f} "
            f"| {r['sps_cpu']:,.0f} | {r['load_before']} | {r['happo_test_cost']:.2f} "
            f"| {r['searched_base_stock_cost']:.2f} | {r['paired_difference'][0]:+.2f} +/- {r['paired_difference'][1]:.2f} "
            f"| {opt} | {r['target']} | {'yes' if r['met'] else 'no'} |"
        )
    for r in results:
        lines += [
            "",
            f"**{r['case']}** ({TEST_EPISODES} test episodes, seeds {TEST_SEED}..; cost per period, whole system):",
            "",
        ]
        lines += ["| policy | cost/period | +/- 95% | fill rate |", "|---|---|---|---|"]
        for row in r["rows"]:
            ci = "exact" if row.get("kind") == "exact" else f"{row['cost_per_period_ci95']:.2f}"
            fr = "" if row.get("kind") == "exact" else f"{row['fill_rate']:.3f}"
            lines.append(f"| {row['policy']} | {row['cost_per_period']:.2f} | {ci} | {fr} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=8.0, help="training budget per case")
    p.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="runs/benchmark-happo")
    p.add_argument("--quick", action="store_true", help="tiny budgets: checks the pipeline only")
    p.add_argument("--only", choices=["all", "throughput", "quality"], default="all")
    p.add_argument("--repeats", type=int, default=3, help="throughput runs per case (the best counts)")
    p.add_argument("--iterations", type=int, default=30, help="iterations of each throughput run")
    ns = p.parse_args(argv)
    out = Path(ns.out)
    out.mkdir(parents=True, exist_ok=True)
    cases = list(ns.cases)
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}"
    )
    t0 = time.perf_counter()
    if ns.only in ("all", "throughput"):
        its, reps = (2, 1) if ns.quick else (ns.iterations, ns.repeats)
        speed = [throughput(name, its, reps, ns.device) for name in cases]
        (out / "throughput.json").write_text(json.dumps(speed, indent=1))
        text = f"Machine: {machine}.\n\n" + fmt_throughput(speed)
        (out / "throughput.md").write_text(text)
        print(text, flush=True)
    if ns.only == "throughput":
        return []
    results = []
    for name in cases:
        print(f"== {name}: training for {ns.minutes:g} min", flush=True)
        r = run_case(name, ns.minutes, out, ns.seed, ns.device, ns.quick)
        results.append(r)
        print(
            f"   {r['env_steps']:,} env-steps, {r['sps_wall']:,.0f}/s wall, {r['sps_cpu']:,.0f}/s CPU; "
            f"HAPPO {r['happo_test_cost']:.2f} vs base-stock {r['searched_base_stock_cost']:.2f}"
            + ("" if r["optimum"] is None else f", optimum {r['optimum']:.2f}")
            + f" -> target {'met' if r['met'] else 'missed'}",
            flush=True,
        )
        (out / "results.json").write_text(json.dumps(results, indent=1, default=float))
    table = fmt(results, machine)
    table += f"\nTotal wall-clock of the benchmark: {(time.perf_counter() - t0) / 60:.1f} min.\n"
    (out / "table.md").write_text(table)
    print(table)
    return results


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
