"""Leaderboard: every preset of every env, every applicable heuristic family tuned, the exact
optimum where one exists and the learners' recorded results, on the same test episodes.

    python benchmarks/leaderboard.py            # writes docs/leaderboard.md and docs/leaderboard.json
    python benchmarks/leaderboard.py --quick    # a smoke run (tiny budget, short episodes)

For each preset (``inventory_zoo.presets.PRESETS``, envs from ``inventory_zoo.envs.registry``):

- each heuristic family that applies is tuned by ``inventory_zoo.policies.tune`` with the
  stated budget (candidates) on training episodes ``--seed ..`` and scored on the test
  episodes ``--test-seed ..`` (disjoint: ``tune`` refuses overlaps);
- where the preset is inside the Clark-Scarf model (``optimal_serial_base_stock`` accepts it),
  the exact optimal echelon base-stock policy is scored on the same episodes and its exact
  expected cost is shown;
- learners' results recorded in ``benchmarks/learner_results.json`` are ranked with them when
  they were measured on the same test episodes, and listed apart otherwise.

Each row: cost per period (whole system, raw costs), its 95% interval over episodes, fill rate,
mean bullwhip ratio over agents, and the paired difference to the best heuristic (95%).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inventory_zoo.comparison import summary_row  # noqa: E402
from inventory_zoo.envs.registry import env_module, env_names  # noqa: E402
from inventory_zoo.evaluation import evaluate, paired_difference  # noqa: E402
from inventory_zoo.policies import EchelonBaseStock, applicable_families, optimal_serial_base_stock, tune  # noqa: E402
from inventory_zoo.presets import PRESETS  # noqa: E402


def _clean(x: Any) -> Any:
    """JSON-safe: NaN and infinities as null, numpy numbers as Python numbers."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def run_preset(env_name: str, preset: str, args: argparse.Namespace, learners: list[dict]) -> dict[str, Any]:
    kw = {"preset": preset}
    if args.max_cycles:
        kw["max_cycles"] = args.max_cycles
    env = env_module(env_name).parallel_env(**kw)
    budget, episodes = _budget(args, len(env.possible_agents))
    rows: list[dict[str, Any]] = []
    reports = {}
    for fam in applicable_families(env):
        optimizers = ("tpe", "cmaes") if args.optimizer == "best-of" else (args.optimizer,)
        if len(env.possible_agents) > 200:
            optimizers = optimizers[:1]  # one optimizer on very large networks (time)
        runs = [
            tune(
                env,
                fam,
                budget=budget,
                episodes=episodes,
                seed=args.seed,
                test_episodes=args.test_episodes,
                test_seed=args.test_seed,
                optimizer=opt,
            )[1]
            for opt in optimizers
        ]
        rep = min(runs, key=lambda r: r.train_cost)  # chosen on the training episodes only
        seconds = sum(r.seconds for r in runs)
        reports[fam] = rep.test
        rows.append(
            summary_row(
                fam,
                rep.test,
                kind="heuristic",
                params=rep.params,
                train_cost=rep.train_cost,
                optimizer=rep.optimizer,
                seconds=seconds,
            )
        )
        print(
            f"  {env_name}/{preset} {fam:<20} {rep.test.cost_per_period:9.2f} ({rep.optimizer}, {seconds:.1f} s)",
            flush=True,
        )
    best = min(rows, key=lambda r: r["cost_per_period"])
    optimum = None
    try:
        levels, cost = optimal_serial_base_stock(env)
    except ValueError:
        pass
    else:
        test = evaluate(env, EchelonBaseStock(levels), args.test_episodes, args.test_seed)
        reports["exact optimum"] = test
        optimum = {"levels": list(levels), "expected_cost": cost}
        rows.append(
            summary_row(f"exact optimum, echelon {tuple(levels)}", test, kind="optimum", expected_cost=cost)
        )
    for r in rows:
        key = r["policy"] if r["kind"] == "heuristic" else "exact optimum"
        d, h = paired_difference(reports[key], reports[best["policy"]])
        r["vs_best_heuristic"], r["vs_best_heuristic_ci95"] = d, h
    elsewhere = []
    for rec in learners:
        if rec["env"] != env_name or rec["preset"] != preset:
            continue
        row = {
            "policy": rec["learner"],
            "kind": "learner",
            "cost_per_period": rec["cost_per_period"],
            "cost_per_period_ci95": rec["cost_per_period_ci95"],
            "fill_rate": rec.get("fill_rate"),
            "bullwhip": rec.get("bullwhip"),
            "budget": rec["budget"],
            "source": rec["source"],
            "test_seed": rec["test_seed"],
            "test_episodes": rec["test_episodes"],
        }
        same = (
            rec["test_seed"] == args.test_seed
            and rec["test_episodes"] == args.test_episodes
            and not args.max_cycles
        )
        (rows if same else elsewhere).append(row)
    rows.sort(key=lambda r: r["cost_per_period"])
    return {
        "env": env_name,
        "preset": preset,
        "best_heuristic": best["policy"],
        "budget": budget,
        "episodes": episodes,
        "optimum": optimum,
        "rows": rows,
        "learners_on_other_episodes": elsewhere,
    }


#: Networks of more agents than this are tuned with a smaller budget (a candidate plays every
#: agent of every training episode, so the work grows with the network).
LARGE_NETWORK = 50


def _budget(args: argparse.Namespace, agents: int) -> tuple[int, int]:
    """Candidates and training episodes per family: the command's, capped on large networks
    (64 and 8 up to 200 agents, 16 and 2 beyond)."""
    if agents <= LARGE_NETWORK:
        return args.budget, args.episodes
    cap_b, cap_e = (64, 8) if agents <= 200 else (16, 2)
    return min(args.budget, cap_b), min(args.episodes, cap_e)


def _fmt(x: Any, spec: str = ".2f") -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def markdown(result: dict[str, Any]) -> str:
    s = result["settings"]
    out = [
        "# Leaderboard",
        "",
        "<!-- generated by benchmarks/leaderboard.py: do not edit by hand -->",
        "",
        "Every preset of every env; every heuristic family that applies, tuned by "
        f"`inventory_zoo.policies.tune` ({OPTIMIZER_TEXT.get(s['optimizer'], s['optimizer'])}; budget "
        f"{s['budget']} candidates per optimizer, "
        f"{s['episodes']} training episodes from seed {s['seed']}); the exact optimum where the preset is "
        "inside the Clark-Scarf model; the learners' recorded results. All scored on the same "
        f"{s['test_episodes']} test episodes (seeds {s['test_seed']}..{s['test_seed'] + s['test_episodes'] - 1}), "
        "disjoint from the training episodes. Cost: whole-system cost per period (raw costs), with its "
        "95% interval over episodes; bullwhip: mean over agents of Var(orders) / Var(demand seen); "
        "*vs best*: paired difference to the best heuristic on the same episodes (95%).",
        "",
        "Families: see [Baselines](baselines.md#heuristics-practitioners-run). Families marked * read more "
        "than each agent's own observation (echelon positions, customers' same-period orders or the "
        "suppliers' stock); the others are decentralised.",
        "",
        f"Regenerate: `{s['command']}` ({s['wall_seconds'] / 60:.1f} min on {s['machine']}).",
    ]
    for p in result["presets"]:
        out += ["", f"## {p['env']} / {p['preset']}", ""]
        if p.get("budget", s["budget"]) != s["budget"] or p.get("episodes", s["episodes"]) != s["episodes"]:
            out += [f"A large network: each family tuned with {p['budget']} candidates on {p['episodes']} "
                    "training episodes.", ""]  # fmt: skip
        if p["optimum"]:
            o = p["optimum"]
            out.append(
                f"Exact optimum: echelon levels {tuple(o['levels'])}, expected cost {o['expected_cost']:.2f} per period."
            )
            out.append("")
        out.append(
            "| # | policy | kind | cost/period | +/- 95% | fill rate | bullwhip | vs best (paired 95%) |"
        )
        out.append("|---:|---|---|---:|---:|---:|---:|---:|")
        for i, r in enumerate(p["rows"], 1):
            vs = (
                ""
                if r.get("vs_best_heuristic") is None
                else f"{r['vs_best_heuristic']:+.2f} +/- {_fmt(r['vs_best_heuristic_ci95'])}"
            )
            name = r["policy"] + ("*" if r["policy"] in STATEFUL else "")
            if r["kind"] == "learner":
                name += f" ({r['budget']})"
            out.append(
                f"| {i} | {name} | {r['kind'] + (' (' + r['optimizer'] + ')' if r.get('optimizer') else '')} | {_fmt(r['cost_per_period'])} | {_fmt(r['cost_per_period_ci95'])} | "
                f"{_fmt(r['fill_rate'], '.3f')} | {_fmt(r['bullwhip'])} | {vs} |"
            )
        for r in p["learners_on_other_episodes"]:
            out.append("")
            out.append(
                f"Recorded on other test episodes ({r['test_episodes']} from seed {r['test_seed']}, {r['source']}): "
                f"{r['policy']} {r['cost_per_period']:.2f} +/- {r['cost_per_period_ci95']:.2f} ({r['budget']})."
            )
        out.append("")
        out.append(f"Best heuristic: `{p['best_heuristic']}`.")
    return "\n".join(out) + "\n"


OPTIMIZER_TEXT = {
    "best-of": "Optuna TPE and CMA-ES, the one with the lower training cost kept",
    "tpe": "Optuna TPE",
    "cmaes": "CMA-ES",
    "tpe+cmaes": "TPE for half the budget, then CMA-ES from its best point",
}

#: Families that read the full state (see the docs).
STATEFUL = {"base_stock", "echelon_base_stock", "forecast_es_echelon", "sterman_chain"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget", type=int, default=256, help="candidates per family")
    ap.add_argument("--episodes", type=int, default=32, help="training episodes per candidate")
    ap.add_argument("--seed", type=int, default=0, help="first training seed")
    ap.add_argument("--test-episodes", type=int, default=100)
    ap.add_argument("--test-seed", type=int, default=20000)
    ap.add_argument(
        "--optimizer",
        default="best-of",
        choices=("best-of", "tpe", "cmaes", "tpe+cmaes"),
        help="best-of: TPE and CMA-ES, each with the full budget; the lower training cost is kept",
    )
    ap.add_argument("--max-cycles", type=int, default=None, help="override every preset's episode length")
    ap.add_argument("--quick", action="store_true", help="smoke run: budget 4, 2 + 3 episodes of 10 periods")
    ap.add_argument("--learners", default=str(ROOT / "benchmarks" / "learner_results.json"))
    ap.add_argument("--out-md", default=str(ROOT / "docs" / "leaderboard.md"))
    ap.add_argument("--out-json", default=str(ROOT / "docs" / "leaderboard.json"))
    args = ap.parse_args(argv)
    if args.quick:
        args.budget, args.episodes, args.test_episodes, args.max_cycles = 4, 2, 3, 10
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    learners = json.loads(Path(args.learners).read_text())["results"]
    t0 = time.time()
    presets = [
        run_preset(env_name, preset, args, learners)
        for env_name in env_names()
        for preset in PRESETS.get(env_name, {})
    ]
    command = "python benchmarks/leaderboard.py" + (" --quick" if args.quick else "")
    result = {
        "settings": {
            "budget": args.budget,
            "episodes": args.episodes,
            "seed": args.seed,
            "test_episodes": args.test_episodes,
            "test_seed": args.test_seed,
            "optimizer": args.optimizer,
            "max_cycles": args.max_cycles,
            "command": command,
            "wall_seconds": time.time() - t0,
            "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        },
        "presets": presets,
    }
    Path(args.out_json).write_text(json.dumps(_clean(result), indent=1, allow_nan=False) + "\n")
    Path(args.out_md).write_text(markdown(result))
    print(f"wrote {args.out_md} and {args.out_json} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
