"""RLlib PPO: sampling speed against the number of env runners, and what shared PPO learns.

Measures, on this machine:

1. throughput (``--parts throughput``): env-steps per second with 0, 1 and 2 env runners, in
   one run and interleaved (round 1: 0, 1, 2 runners; round 2: the same...), each with the
   trainer's defaults (``num_envs_per_env_runner=8``, ``liu2022``): sampling alone
   (``synchronous_parallel_sample`` over the runners, 4,000 env-steps per call) and whole
   PPO iterations (sampling + the update in the driver). The 1-minute load average is
   recorded with each figure: the machine is shared;
2. quality (``--parts quality``): ``rllib_train`` with its defaults (shared PPO, order-up-to
   levels) under a wall-clock budget on ``liu2022`` and ``snyder_shen_6_1``, ending with the
   trainer's table (the searched base-stock and the other baselines on the same fresh episodes).

Run from the repository root (needs the ``rllib`` and ``train`` extras)::

    python benchmarks/rllib.py                                   # about 35 minutes on 2 cores
    python benchmarks/rllib.py --parts throughput --rounds 3     # about 5 minutes
    python benchmarks/rllib.py --from-runs runs/bench-rllib      # tables of finished runs

Results go to ``runs/bench-rllib/`` (``throughput.json``, one run directory per preset) and
the markdown tables to stdout and ``runs/bench-rllib/tables.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUALITY = {"liu2022": 20.0, "snyder_shen_6_1": 10.0}  # preset -> minutes of training
DOCS = ROOT / "docs" / "rllib.md"
PNG = ROOT / "docs" / "img" / "rllib_learning_curves.png"


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _process_cpu(_runner: object) -> float:
    return time.process_time()


def _cpu_seconds(algo: object) -> float:
    """CPU seconds used so far by the driver and every remote env runner (their sum)."""
    remote = algo.env_runner_group.foreach_env_runner(_process_cpu, local_env_runner=False)
    return time.process_time() + float(sum(remote))


def throughput(rounds: int, steps: int, out: Path) -> list[dict]:
    """Env-steps/s of sampling and of PPO iterations with 0, 1, 2 env runners (interleaved)."""
    import ray
    import torch
    from ray.rllib.execution.rollout_ops import synchronous_parallel_sample

    from inventory_zoo.integrations import rllib as bridge
    from inventory_zoo.integrations.rllib_train import Config, _steps, build_config, env_kwargs_of

    torch.set_num_threads(1)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    bridge.register_envs()
    rows = []
    for r in range(rounds):
        for n in (0, 1, 2):
            cfg = Config(preset="liu2022", num_env_runners=n)
            algo = build_config(cfg, env_kwargs_of(cfg), "cpu").build_algo()
            warm = algo.train()  # warm-up: actors started, first episodes, torch's first calls
            load0 = _load()
            # PPO iterations first: samples taken outside train() would count in its step totals.
            t = time.perf_counter()
            for _ in range(3):
                last = algo.train()
            train_rate = (_steps(last) - _steps(warm)) / (time.perf_counter() - t)
            t = time.perf_counter()
            cpu0 = _cpu_seconds(algo)
            done = 0
            while done < steps:
                batch = synchronous_parallel_sample(
                    worker_set=algo.env_runner_group,
                    max_env_steps=4000,
                    concat=False,
                    _uses_new_env_runners=True,
                )
                done += sum(len(ep) for eps in batch for ep in eps)
            wall = time.perf_counter() - t
            sample_rate = done / wall
            cpu = _cpu_seconds(algo) - cpu0
            algo.stop()
            row = {
                "round": r,
                "env_runners": n,
                "sampling_env_steps_per_s": round(sample_rate, 1),
                "ppo_env_steps_per_s": round(train_rate, 1),
                "sampling_cpu_per_s": round(cpu / wall, 2),
                "sampling_env_steps_per_cpu_s": round(done / cpu, 1),
                "load_start": load0,
                "load_end": _load(),
            }
            print(row, flush=True)
            rows.append(row)
    ray.shutdown()
    (out / "throughput.json").write_text(json.dumps(rows, indent=2) + "\n")
    return rows


def quality(out: Path, minutes: dict[str, float]) -> None:
    """Train shared PPO (the trainer's defaults) on each preset under its budget."""
    from inventory_zoo.integrations.rllib_train import main

    for preset, m in minutes.items():
        argv = ["--env", "serial_v0", "--preset", preset, "--max-minutes", str(m)]
        argv += ["--timesteps", str(int(m * 60 * 1000)), "--out", str(out / preset), "--overwrite"]
        print(f"quality {preset}: load {_load()}", flush=True)
        main(argv)


def throughput_table(rows: list[dict]) -> str:
    """Best of the interleaved rounds per number of runners, with the CPU they got."""
    best: dict[int, dict] = {}
    for r in rows:
        b = best.get(r["env_runners"])
        if b is None or r["sampling_env_steps_per_s"] > b["sampling_env_steps_per_s"]:
            best[r["env_runners"]] = dict(
                r, ppo_env_steps_per_s=max(r["ppo_env_steps_per_s"], (b or r)["ppo_env_steps_per_s"])
            )
    lines = [
        "| env runners | sampling, env-steps/s | vs 1 runner | CPU-seconds per second (driver + runners) "
        "| env-steps per CPU-second | PPO iterations, env-steps/s | load average (each round) |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    one = best[1]["sampling_env_steps_per_s"] if 1 in best else float("nan")
    for n in sorted(best):
        b = best[n]
        loads = [f"{r['load_start']:.1f}" for r in rows if r["env_runners"] == n]
        lines.append(
            f"| {n} | {b['sampling_env_steps_per_s']:,.0f} | {b['sampling_env_steps_per_s'] / one:.2f}x | "
            f"{b.get('sampling_cpu_per_s', float('nan')):.2f} | {b.get('sampling_env_steps_per_cpu_s', float('nan')):,.0f} | "
            f"{b['ppo_env_steps_per_s']:,.0f} | {', '.join(loads)} |"
        )
    return "\n".join(lines)


def run_table(run: Path) -> str:
    """The final table of a run directory, with its budget and a few points of its curve."""
    ev = json.loads((run / "evaluation.json").read_text())
    cfg = json.loads((run / "config.json").read_text())
    rows = [r for r in ev["table"] if r.get("kind") != "exact" or r.get("cost_per_period")]
    ref = rows[0].get("reference", "searched base-stock")
    n = max(r.get("episodes", 0) for r in rows)
    lines = [
        f"**{cfg['preset']}**: shared PPO (`--actions {cfg.get('actions', 'level')}`) trained "
        f"{ev['env_steps']:,} env-steps in {ev['train_seconds'] / 60:.1f} min "
        f"({ev['env_steps_per_second']:,.0f} env-steps/s; load average {ev.get('load', '?')}), "
        f"then evaluated on {n} fresh episodes.\n",
        f"| policy | kind | cost per period | 95% CI | fill rate | vs {ref} |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        fill = r.get("fill_rate")
        fill_s = "" if fill is None or fill != fill else f"{fill:.3f}"
        lines.append(
            f"| {r['policy']} | {r.get('kind', '')} | {r['cost_per_period']:.2f} | "
            f"{r.get('cost_per_period_ci95', 0.0):.2f} | {fill_s} | {r.get('gap_percent', float('nan')):+.1f}% |"
        )
    curve = ev["curve"]
    step = max(1, len(curve) // 8)
    pts = curve[::step] + ([curve[-1]] if (len(curve) - 1) % step else [])
    lines.append(
        "\nValidation cost of the greedy policy during training (env-steps, minutes: cost per period):\n"
    )
    lines.append(
        ", ".join(
            f"{p['env_steps']:,} ({p['seconds'] / 60:.1f} min): {p['cost_per_period']:.1f}" for p in pts
        )
    )
    return "\n".join(lines)


def rescore(run: Path, episodes: int = 100) -> None:
    """Score a run's checkpoint again with the trainer's final table (e.g. after the table changed)."""
    from inventory_zoo.integrations.rllib import policy_from_checkpoint
    from inventory_zoo.integrations.rllib_train import _jsonable, final_table, make_parallel_env

    policy = policy_from_checkpoint(run)
    cfg = json.loads((run / "config.json").read_text())
    env = make_parallel_env(policy.meta["env"], policy.meta["env_kwargs"])
    ev = json.loads((run / "evaluation.json").read_text())
    ev["table"] = _jsonable(
        final_table(env, policy, f"RLlib PPO ({cfg['sharing']})", episodes, cfg["seed"] + 20_000)
    )
    (run / "evaluation.json").write_text(json.dumps(ev, indent=2) + "\n")


def plot(runs: dict[str, Path], png: Path) -> None:
    """Validation cost (the greedy policy on the validation episodes) against minutes of
    training, one panel per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 3.6), squeeze=False)
    for ax, (label, run) in zip(axes[0], runs.items(), strict=True):
        ev = json.loads((run / "evaluation.json").read_text())
        c = ev["curve"]
        ax.plot(
            [p["seconds"] / 60 for p in c], [p["cost_per_period"] for p in c], label="RLlib PPO (validation)"
        )
        ax.set_title(label)
        ax.set_xlabel("minutes of training")
        ax.set_ylabel("cost per period")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)


def write_docs(marker: str, text: str) -> None:
    """Put ``text`` under ``<!-- marker -->`` in docs/rllib.md (up to the next marker or the end)."""
    doc = DOCS.read_text()
    tag = f"<!-- {marker} -->"
    start = doc.index(tag) + len(tag)
    nxt = doc.find("<!-- rllib-", start)
    end = len(doc) if nxt < 0 else nxt
    DOCS.write_text(doc[:start] + "\n\n" + text.strip() + "\n\n" + doc[end:].lstrip("\n"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--parts", nargs="+", default=["throughput", "quality"], choices=["throughput", "quality"])
    p.add_argument("--rounds", type=int, default=2, help="interleaved rounds of the throughput part")
    p.add_argument("--steps", type=int, default=16000, help="env-steps sampled per throughput figure")
    p.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-rllib")
    p.add_argument("--from-runs", type=Path, default=None, help="only format the tables of this directory")
    p.add_argument("--write-docs", action="store_true", help="put the tables into docs/rllib.md")
    p.add_argument("--rescore", type=Path, nargs="+", default=[], help="score these run directories again")
    a = p.parse_args(argv)
    for run in a.rescore:
        rescore(run)
    out = a.from_runs or a.out
    out.mkdir(parents=True, exist_ok=True)
    if a.from_runs is None:
        if "throughput" in a.parts:
            throughput(a.rounds, a.steps, out)
        if "quality" in a.parts:
            quality(out, QUALITY)
    import ray
    import torch

    head = (
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, ray {ray.__version__}, "
        f"torch {torch.__version__}; 1-minute load average now {_load()}."
    )
    parts = [head]
    if (out / "throughput.json").is_file():
        tp = throughput_table(json.loads((out / "throughput.json").read_text()))
        parts.append(tp)
        if a.write_docs:
            write_docs("rllib-throughput", "**Env-steps per second against env runners**\n\n" + tp)
    runs = {p: out / p for p in QUALITY if (out / p / "evaluation.json").is_file()}
    quality_text = "\n\n".join(run_table(r) for r in runs.values())
    parts.append(quality_text)
    if runs:
        plot(runs, out / "learning_curves.png")
        if a.write_docs:
            plot(runs, PNG)
            write_docs(
                "rllib-quality", quality_text + "\n\n![learning curves](img/rllib_learning_curves.png)"
            )
    text = "\n\n".join(parts) + "\n"
    (out / "tables.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
