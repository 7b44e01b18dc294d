"""Shared-parameter PPO: training throughput on both paths, and what the trained policy is worth.

Measures, on this machine:

1. throughput: env-steps (periods of one supply chain) per second while PPO trains with the
   example's default settings, on the SuperSuit path and on the vector-env path (validation
   time excluded), and the same for stepping the SB3 vec env alone with random actions;
2. quality: PPO trained on the vector path with the example's defaults (order-up-to levels,
   installation positions) on ``snyder_shen_6_1`` (exact optimum known; with local and with
   global observations) and ``liu2022``, with the wall-clock time it took, evaluated with
   ``inventory_zoo.evaluate`` next to the base-stock baselines on the same episodes.

The throughput's "vec env alone" column steps the env's own integer orders (random), without
any action mapping; the PPO training columns use the example's defaults.

Run from the repository root (needs the ``train`` and ``plot`` extras)::

    python benchmarks/ppo.py                      # about 25 minutes on 2 cores
    python benchmarks/ppo.py --quick              # a smoke run of the whole pipeline
    python benchmarks/ppo.py --write-docs         # also put the tables into docs/ppo.md

Results go to ``runs/benchmark-ppo/`` (``results.json``, ``tables.md``, every run's directory)
and the learning curves to ``docs/img/ppo_learning_curves.png``; ``--from-results
runs/benchmark-ppo/results.json --write-docs`` rebuilds the tables and the plot without training.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "ppo.md"
PNG = ROOT / "docs" / "img" / "ppo_learning_curves.png"


def _package():
    """The PPO package's pieces used here (the code ``examples/train_ppo.py`` runs)."""
    from types import SimpleNamespace

    from inventory_zoo.agents.ppo import Args
    from inventory_zoo.agents.ppo.envs import make_vec_env
    from inventory_zoo.agents.ppo.evaluate import _jsonable, evaluate_models
    from inventory_zoo.agents.ppo.training import train

    return SimpleNamespace(
        Args=Args,
        make_vec_env=make_vec_env,
        train=train,
        evaluate_models=evaluate_models,
        _jsonable=_jsonable,
    )


tp = _package()


def raw_step_rate(vector: bool, preset: str, n_envs: int, steps: int) -> float:
    """Env-steps per second of the SB3 vec env alone (random actions, no policy)."""
    # The env's own integer orders: the raw step, without the policy's action mapping.
    args = tp.Args(preset=preset, vector=vector, n_envs=n_envs, actions="discrete")
    venv = tp.make_vec_env(args)
    rng = np.random.default_rng(0)
    n = venv.action_space.n
    acts = rng.integers(0, n, size=(steps, venv.num_envs))
    venv.reset()
    t0 = time.perf_counter()
    for a in acts:
        venv.step(a)
    dt = time.perf_counter() - t0
    return steps * n_envs / dt


def throughput(timesteps: int, out: Path, raw_steps: int, repeats: int) -> list[dict]:
    """PPO training and raw stepping rates of both paths, interleaved ``repeats`` times; the best
    run of each counts (other programs on a shared machine only ever slow a run down)."""
    runs: dict[tuple[str, str], list[dict]] = {}
    for rep in range(repeats):
        for preset in ("liu2022", "snyder_shen_6_1"):
            for vector in (False, True):
                path = "vector" if vector else "supersuit"
                args = tp.Args(
                    preset=preset, vector=vector, timesteps=timesteps, curve_points=1, progress=False
                )
                run = out / f"throughput-{preset}-{path}-{rep}"
                run.mkdir(parents=True, exist_ok=True)
                stats = tp.train(args, run)
                raw = raw_step_rate(vector, preset, args.n_envs, raw_steps)
                r = {
                    "preset": preset,
                    "path": path,
                    "n_envs": args.n_envs,
                    "train_env_steps_per_s": stats["env_steps_per_second"],
                    "train_seconds": stats["train_seconds"],
                    "timesteps": stats["timesteps"],
                    "raw_env_steps_per_s": raw,
                    "load": os.getloadavg()[0],
                }
                runs.setdefault((preset, path), []).append(r)
                print(r, flush=True)
    rows = []
    for rs in runs.values():
        best = dict(max(rs, key=lambda r: r["train_env_steps_per_s"]))
        best["raw_env_steps_per_s"] = max(r["raw_env_steps_per_s"] for r in rs)
        best["all_train_env_steps_per_s"] = [r["train_env_steps_per_s"] for r in rs]
        rows.append(best)
    return rows


def quality(
    preset: str, timesteps: int, minutes: float, out: Path, quick: bool, global_obs: bool = False
) -> dict:
    name = preset + (" (--global-obs)" if global_obs else "")
    args = tp.Args(
        preset=preset,
        vector=True,
        global_obs=global_obs,
        timesteps=timesteps,
        max_minutes=minutes,
        progress=False,
        out=str(out / f"quality-{preset}{'-global' if global_obs else ''}"),
    )
    if quick:
        args = dataclasses.replace(args, eval_episodes=4, search_episodes=2, curve_episodes=2, curve_points=4)
    run = Path(args.out)
    run.mkdir(parents=True, exist_ok=True)
    (run / "config.json").write_text(json.dumps(dataclasses.asdict(args), indent=2))
    t0 = time.perf_counter()
    stats = tp.train(args, run)
    models = {"PPO (final)": run / "model.zip", "PPO (best on validation)": run / "best_model.zip"}
    rows = tp.evaluate_models(args, models, run)
    total = time.perf_counter() - t0
    curve = [
        {k: float(v) for k, v in r.items()}
        for r in __import__("csv").DictReader(open(run / "curve.csv"))  # noqa: SIM115
    ]
    return {"preset": name, "stats": stats, "rows": rows, "wall_seconds_total": total, "curve": curve}


def _load() -> str:
    """The 1-minute load average (other programs share the machine)."""
    return f"{os.getloadavg()[0]:.1f}"


def tables(res: dict) -> str:
    out = []
    env = res["environment"]
    out.append(
        f"Machine: {env['cpus']} CPUs, {env['python']}, torch {env['torch']}, stable-baselines3 {env['sb3']}, "
        f"supersuit {env['supersuit']}. 1-minute load average (start -> end; above 2, other programs "
        f"were competing for the 2 cores): "
        + "; ".join(f"{k} {v}" for k, v in res.get("load", {}).items())
        + "."
    )
    out.append("")
    out.append(
        "**Throughput** (env-steps = periods of one supply chain; 16 copies x 3 agents = 48 rows; "
        "best of the interleaved repeats)"
    )
    out.append("")
    out.append("| preset | path | PPO training, env-steps/s | vec env alone, env-steps/s |")
    out.append("|---|---|---:|---:|")
    for r in res["throughput"]:
        out.append(
            f"| {r['preset']} | {r['path']} | {r['train_env_steps_per_s']:,.0f} | {r['raw_env_steps_per_s']:,.0f} |"
        )
    for preset in ("liu2022", "snyder_shen_6_1"):
        by = {r["path"]: r for r in res["throughput"] if r["preset"] == preset}
        if len(by) == 2:
            out.append(
                f"| {preset} | **vector / SuperSuit** | **{by['vector']['train_env_steps_per_s'] / by['supersuit']['train_env_steps_per_s']:.1f}x** "
                f"| {by['vector']['raw_env_steps_per_s'] / by['supersuit']['raw_env_steps_per_s']:.0f}x |"
            )
    for q in res["quality"]:
        st = q["stats"]
        out.append("")
        out.append(
            f"**{q['preset']}**: PPO trained for {st['timesteps']:,} timesteps in {st['wall_seconds'] / 60:.1f} min "
            f"({st['train_seconds'] / 60:.1f} min of training, the rest validation); "
            f"{q['wall_seconds_total'] / 60:.1f} min including the baselines and the evaluation."
        )
        out.append("")
        ref = "exact optimum" if any(r["kind"] == "optimal" for r in q["rows"]) else "searched base-stock"
        out.append(f"| policy | cost per period | 95% CI | fill rate | vs {ref} |")
        out.append("|---|---:|---:|---:|---:|")
        for r in q["rows"]:
            fill = "" if r["fill_rate"] != r["fill_rate"] else f"{r['fill_rate']:.3f}"  # NaN: the exact row
            out.append(
                f"| {r['policy']} | {r['cost_per_period']:.2f} | {r['cost_per_period_ci95']:.2f} | "
                f"{fill} | {r['gap_percent']:+.1f}% |"
            )
    return "\n".join(out)


def plot(res: dict, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(res["quality"]), figsize=(5 * len(res["quality"]), 4))
    for ax, q in zip(np.atleast_1d(axes), res["quality"], strict=True):
        minutes = np.array([c["seconds"] for c in q["curve"]]) / 60
        cost = np.array([c["cost_per_period"] for c in q["curve"]])
        ax.plot(minutes, cost, marker="o", ms=3, label="PPO (greedy)")
        base = [r for r in q["rows"] if r["kind"] in ("searched", "searched_local")]
        opt = [r for r in q["rows"] if r["kind"] == "optimal"]
        if opt:
            exact = min(r["cost_per_period"] / (1 + r["gap_percent"] / 100) for r in opt)
            ax.axhline(exact, color="black", lw=1, label=f"exact optimum ({exact:.2f})")
            ax.axhline(1.1 * exact, color="black", lw=1, ls=":", label="optimum + 10%")

        # Baselines: on the validation episodes in older results, else their cost in the final table.
        def line(r):
            return r.get("validation_cost_per_period", r["cost_per_period"])

        for r, ls in zip(base, ("--", "-."), strict=False):
            ax.axhline(line(r), color="grey", ls=ls, label=r["policy"])
        low = min([np.nanmin(cost)] + [line(r) for r in base + opt])
        ax.set_yscale("log")
        ax.set_ylim(0.9 * low, 1.1 * np.nanmax(cost))
        ax.set_xlabel("training time, minutes (validation excluded)")
        ax.set_ylabel("system cost per period, validation episodes")
        ax.set_title(q["preset"])
        ax.legend(fontsize=7)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)


def write_docs(table: str) -> None:
    text = DOCS.read_text()
    start, end = "<!-- ppo-benchmark -->", "<!-- /ppo-benchmark -->"
    if start not in text or end not in text:
        raise SystemExit(f"{DOCS} lacks the {start} ... {end} markers")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    DOCS.write_text(head + start + "\n" + table + "\n" + end + tail)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes: check the pipeline, not the figures")
    p.add_argument("--out", default=str(ROOT / "runs" / "benchmark-ppo"), help="runs and results.json")
    p.add_argument(
        "--from-results",
        metavar="JSON",
        help="only rebuild the tables, the plot (and docs) from a results.json",
    )
    p.add_argument("--throughput-steps", type=int, default=100_000, help="timesteps per throughput run")
    p.add_argument("--repeats", type=int, default=2, help="throughput runs per path and preset (best counts)")
    p.add_argument("--minutes-snyder", type=float, default=6.0, help="training budget on snyder_shen_6_1")
    p.add_argument(
        "--minutes-global",
        type=float,
        default=4.0,
        help="training budget on snyder_shen_6_1 with --global-obs",
    )
    p.add_argument("--minutes-liu", type=float, default=6.0, help="training budget on liu2022")
    p.add_argument("--write-docs", action="store_true", help="put the tables into docs/ppo.md")
    p.add_argument(
        "--parts",
        default="throughput,quality",
        help="what to run; a part left out is kept from the results.json already in --out",
    )
    a = p.parse_args(argv)
    parts = {x.strip() for x in a.parts.split(",") if x.strip()}
    if not parts or parts - {"throughput", "quality"}:
        raise SystemExit(f"--parts: expected throughput and/or quality, got {a.parts!r}")
    if a.from_results:
        res = json.loads(Path(a.from_results).read_text())
        table = tables(res)
        print(table)
        plot(res, PNG)
        if a.write_docs:
            write_docs(table)
        return 0
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    import stable_baselines3
    import supersuit
    import torch

    old = out / "results.json"
    res: dict = json.loads(old.read_text()) if old.exists() and parts != {"throughput", "quality"} else {}
    res["environment"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "sb3": stable_baselines3.__version__,
        "supersuit": supersuit.__version__,
    }
    loads = res.setdefault("load", {})
    t0 = time.perf_counter()
    if a.quick:
        res["throughput"] = throughput(6_000, out, 50, 1)
        res["quality"] = [
            quality("snyder_shen_6_1", 20_000, 0.3, out, True),
            quality("snyder_shen_6_1", 20_000, 0.3, out, True, global_obs=True),
            quality("liu2022", 20_000, 0.3, out, True),
        ]
    elif "throughput" in parts:
        start = _load()
        res["throughput"] = throughput(a.throughput_steps, out, 2_000, a.repeats)
        loads["throughput"] = f"{start} -> {_load()}"
    if not a.quick and "quality" in parts:
        start = _load()
        res["quality"] = [
            quality("snyder_shen_6_1", 20_000_000, a.minutes_snyder, out, False),
            quality("snyder_shen_6_1", 20_000_000, a.minutes_global, out, False, global_obs=True),
            quality("liu2022", 20_000_000, a.minutes_liu, out, False),
        ]
        loads["quality"] = f"{start} -> {_load()}"
    res["total_minutes"] = (time.perf_counter() - t0) / 60
    (out / "results.json").write_text(json.dumps(res, indent=2, default=tp._jsonable))
    table = tables(res)
    (out / "tables.md").write_text(table + "\n")
    print("\n" + table)
    print(f"\ntotal {res['total_minutes']:.1f} min; results in {out}/")
    if not a.quick:
        plot(res, PNG)
        print(f"learning curves: {PNG}")
        if a.write_docs:
            write_docs(table)
            print(f"tables written into {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
