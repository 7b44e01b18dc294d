"""How the cost of an agent-step, a build and a reset grow with the network, 3 to 10,000 nodes.

For serial chains (``serial_v0``), distribution trees (``networks.distribution``) and random
DAGs (``networks.random_dag``, 30% multi-sourcing), one run measures: the time to build the
env (spec checks, engine index arrays, observation layout) and to reset it, agent-steps per
second of one ParallelEnv (dict API, random actions drawn beforehand) and of a VectorEnv with
B = 256 members (array API, resets left out). Each rate is the best of ``--repeats`` runs of
``--seconds`` (the machine is shared: the best run is the least disturbed). Prints a table
(markdown), writes it as JSON, and draws per-agent cost against size on log-log axes.

    python benchmarks/scaling.py                       # table + docs/img/scaling.png
    python benchmarks/scaling.py --quick               # small sizes only (a smoke test)
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from inventory_zoo import network_v0, networks, serial_v0
from inventory_zoo.envs.vector import VectorEnv

ROOT = Path(__file__).resolve().parents[1]

SERIAL = [3, 10, 30, 100, 300, 1000, 4000, 10000]
TREES = [(1, 2), (2, 5), (5, 10), (10, 30), (20, 50), (40, 100), (50, 200)]
DAGS = [10, 100, 1000, 10000]
QUICK = {"serial": SERIAL[:3], "tree": TREES[:3], "dag": DAGS[:2]}


def cases(quick: bool) -> list[tuple[str, int, Callable]]:
    """(family, nodes, env factory) for every size."""
    s, t, d = (QUICK["serial"], QUICK["tree"], QUICK["dag"]) if quick else (SERIAL, TREES, DAGS)
    out: list[tuple[str, int, Callable]] = []
    out += [("serial", n, lambda n=n: serial_v0.parallel_env(num_stages=n, max_cycles=100)) for n in s]
    out += [
        ("tree", 1 + w + w * k,
         lambda w=w, k=k: network_v0.parallel_env(network=networks.distribution(w, k), max_order=20, max_cycles=100))
        for w, k in t
    ]  # fmt: skip
    out += [
        ("dag", n,
         lambda n=n: network_v0.parallel_env(network=networks.random_dag(n, 5, seed=0), max_order=20, max_cycles=100))
        for n in d
    ]  # fmt: skip
    return out


def _best_rate(run: Callable[[], int], seconds: float, repeats: int) -> float:
    best = 0.0
    for _ in range(repeats):
        units, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            units += run()
        best = max(best, units / (time.perf_counter() - t0))
    return best


def _actions(env, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    space = env.action_space(env.possible_agents[0])
    if hasattr(space, "nvec"):
        return rng.integers(0, space.nvec, size=shape + space.nvec.shape)
    return rng.integers(0, space.n, size=shape)


def measure(make: Callable, seconds: float, repeats: int, batch: int) -> dict[str, float]:
    """Build and reset times (s, best of ``repeats``) and agent-steps/s of one env and of B."""
    build = reset = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        env = make()
        t1 = time.perf_counter()
        env.reset(seed=0)
        build, reset = min(build, t1 - t0), min(reset, time.perf_counter() - t1)
    agents = env.possible_agents
    rng = np.random.default_rng(0)
    dicts = [dict(zip(agents, a, strict=True)) for a in _actions(env, rng, (16, len(agents)))]

    def one() -> int:
        for a in dicts:
            if not env.agents:
                env.reset()
            env.step(a)
        return len(dicts) * len(agents)

    venv = VectorEnv(env, batch, auto_reset=False)
    venv.reset(seed=0)
    acts = _actions(env, rng, (batch, len(agents)))

    def vec() -> int:
        if venv.t + 4 > venv.max_cycles:
            venv.reset()
        for _ in range(4):
            venv.step(acts)
        return 4 * batch * len(agents)

    return {
        "build_s": build,
        "reset_s": reset,
        "one_env": _best_rate(one, seconds, repeats),
        f"vector_{batch}": _best_rate(vec, seconds, repeats),
    }


def table(rows: list[dict]) -> str:
    b = next(k for k in rows[0] if k.startswith("vector_")).split("_")[1]
    lines = [
        f"| network | nodes | build (ms) | reset (ms) | one env, agent-steps/s | B={b}, agent-steps/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['family']} | {r['nodes']:,} | {1e3 * r['build_s']:,.1f} | {1e3 * r['reset_s']:,.1f} "
            f"| {r['one_env']:,.0f} | {r[f'vector_{b}']:,.0f} |"
        )
    return "\n".join(lines)


def plot(rows: list[dict], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    b = next(k for k in rows[0] if k.startswith("vector_"))
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for fam, marker in (("serial", "o"), ("tree", "s"), ("dag", "^")):
        rs = [r for r in rows if r["family"] == fam]
        n = [r["nodes"] for r in rs]
        ax.plot(n, [1e6 / r["one_env"] for r in rs], marker=marker, label=f"{fam}, one env")
        ax.plot(n, [1e9 / r[b] for r in rs], marker=marker, ls="--", label=f"{fam}, B={b.split('_')[1]} (ns)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("nodes (agents)")
    ax.set_ylabel("time per agent-step: µs (one env), ns (vector)")
    ax.set_title("Cost per agent-step against network size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, short runs (smoke test)")
    ap.add_argument("--seconds", type=float, default=0.4, help="length of one timed run")
    ap.add_argument("--repeats", type=int, default=3, help="runs per measure (the best counts)")
    ap.add_argument("--batch", type=int, default=256, help="vector env members")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "scaling.json"), help="where to write the rows")
    ap.add_argument("--png", default=str(ROOT / "docs" / "img" / "scaling.png"), help="where to draw the chart")
    args = ap.parse_args()
    seconds, repeats = (0.05, 1) if args.quick else (args.seconds, args.repeats)
    rows = []
    for family, nodes, make in cases(args.quick):
        r = {"family": family, "nodes": nodes, **measure(make, seconds, repeats, args.batch)}
        rows.append(r)
        print(f"{family:7s} {nodes:6d}  build {r['build_s']:.4f} s  reset {r['reset_s']:.4f} s  "
              f"one {r['one_env']:12,.0f}  vector {r[f'vector_{args.batch}']:14,.0f}", flush=True)  # fmt: skip
    print()
    print(table(rows))
    if not args.quick:
        Path(args.json).write_text(json.dumps(rows, indent=1))
        plot(rows, Path(args.png))
        print(f"\nwrote {args.json} and {args.png}")


if __name__ == "__main__":
    main()
