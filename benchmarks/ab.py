"""Before/after throughput of two versions of the library, interleaved in one run.

On a shared machine whose speed drifts, timings taken minutes apart compare the machine's
moods as much as the code. This script runs the same cases for two source trees (a git
revision exported to a temporary folder, and the working tree by default), alternating
short runs of each in fresh processes pinned to one core, and reports per case the ratio
after/before of the median and of the best rates, on CPU time (time the process was
descheduled does not count) and wall time. One env: steps with the dict API, resets included;
vector env: agent-steps without resets.

    python benchmarks/ab.py --base 49de1ac                      # default cases
    python benchmarks/ab.py --base HEAD~1 --cases serial-liu2022 vector-liu2022-4096 --rounds 10
    python benchmarks/ab.py --base main --head ../other-worktree --json ab.json

Cases use only the public API that every version since the first release has
(``serial_v0``/``network_v0.parallel_env``, ``VectorEnv``), so any two commits compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: name -> (kind, builder source, batch): the builder is Python evaluated in the worker.
CASES = {
    "serial-default": ("one", "serial_v0.parallel_env()", 1),
    "serial-liu2022": ("one", "serial_v0.parallel_env(preset='liu2022')", 1),
    "network-2x3": ("one", "network_v0.parallel_env(preset='liu2022_2x3')", 1),
    "vector-liu2022-4096": ("vector", "serial_v0.parallel_env(preset='liu2022')", 4096),
    "vector-2x3-4096": ("vector", "network_v0.parallel_env(preset='liu2022_2x3')", 4096),
    "tree56-one": ("one", "tree(5, 10)", 1),
    "tree1021-one": ("one", "tree(20, 50)", 1),
    "tree56-256": ("vector", "tree(5, 10)", 256),
    "tree1021-256": ("vector", "tree(20, 50)", 256),
}
DEFAULT = ["serial-liu2022", "network-2x3", "vector-liu2022-4096", "vector-2x3-4096"]

WORKER = r'''
import json, os, sys, time
os.sched_setaffinity(0, {int(sys.argv[4])})
import numpy as np
from inventory_zoo import network_v0, serial_v0
from inventory_zoo.core import Edge, Node, Poisson
from inventory_zoo.envs.vector import VectorEnv

def tree(w, s):
    # 1 factory, w warehouses, s stores each; Poisson(5) at the stores; lead times 2/2/1.
    nodes = [Node("factory", holding_cost=0.5, backorder_cost=1.0, initial_inventory=500)]
    edges = [Edge(None, "factory", lead_time=2)]
    for i in range(w):
        nodes.append(Node(f"wh{i}", holding_cost=0.75, backorder_cost=1.0, initial_inventory=100))
        edges.append(Edge("factory", f"wh{i}", lead_time=2))
        for j in range(s):
            nodes.append(Node(f"st{i}_{j}", holding_cost=1.0, backorder_cost=4.0, initial_inventory=10,
                              demand=Poisson(5)))
            edges.append(Edge(f"wh{i}", f"st{i}_{j}", lead_time=1))
    return network_v0.parallel_env(nodes=nodes, edges=edges, max_order=20)

kind, seconds, B = sys.argv[1], float(sys.argv[3]), int(sys.argv[5])
env = eval(sys.argv[2])
agents = env.possible_agents
space = env.action_space(agents[0])
act1 = int(space.n // 2) if hasattr(space, "n") else (np.asarray(space.nvec) // 2).astype(np.int64)
units = 0
if kind == "one":
    actions = {a: act1 for a in agents}
    env.reset(seed=0)
    c0, w0 = time.process_time(), time.perf_counter()
    while time.perf_counter() - w0 < seconds:
        for _ in range(50):
            if not env.agents:
                env.reset()
            env.step(actions)
        units += 50 * len(agents)
else:
    venv = VectorEnv(env, B, auto_reset=False)
    acts = np.broadcast_to(np.asarray(act1), (B, len(agents)) + np.shape(act1)).copy()
    venv.reset(seed=0)
    c0, w0 = time.process_time(), time.perf_counter()
    cut_cpu = cut_wall = 0.0  # resets are left out: this measures stepping
    while time.perf_counter() - w0 < seconds:
        for _ in range(5):
            if venv.t >= venv.max_cycles:
                r0, q0 = time.process_time(), time.perf_counter()
                venv.reset()
                cut_cpu += time.process_time() - r0
                cut_wall += time.perf_counter() - q0
            venv.step(acts)
        units += 5 * B * len(agents)
    c0, w0 = c0 + cut_cpu, w0 + cut_wall
cpu, wall = time.process_time() - c0, time.perf_counter() - w0
print(json.dumps({"cpu": units / max(cpu, 1e-9), "wall": units / wall}))
'''


def export(rev: str, where: Path) -> Path:
    """The tree of git revision ``rev`` in ``where`` (``git archive``)."""
    where.mkdir(parents=True, exist_ok=True)
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=tar, check=True)
    return where


def run(src: Path, case: str, seconds: float, core: int) -> dict[str, float]:
    kind, builder, batch = CASES[case]
    env = dict(os.environ, PYTHONPATH=str(src), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", WORKER, kind, builder, str(seconds), str(core), str(batch)],
        capture_output=True, text=True, env=env, cwd=tempfile.gettempdir(),
    )  # fmt: skip
    if out.returncode:
        raise RuntimeError(f"{case} on {src}: {out.stderr.strip().splitlines()[-1]}")
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, help="git revision of the 'before' version")
    ap.add_argument("--head", default=str(ROOT), help="source tree of the 'after' version (default: this one)")
    ap.add_argument("--cases", nargs="+", default=DEFAULT, choices=sorted(CASES))
    ap.add_argument("--rounds", type=int, default=8, help="runs of each version per case")
    ap.add_argument("--seconds", type=float, default=1.5, help="length of one run")
    ap.add_argument("--core", type=int, default=min(os.sched_getaffinity(0)), help="the core to pin runs to")
    ap.add_argument("--json", help="write every run's rates to this file")
    args = ap.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = export(args.base, Path(tmp) / "base")
        head = Path(args.head).resolve()
        print(f"{'case':<22}{'clock':>6}{'before median':>15}{'after median':>14}{'ratio':>7}"
              f"{'before best':>13}{'after best':>12}{'ratio':>7}")  # fmt: skip
        for case in args.cases:
            runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
            for r in range(args.rounds):
                order = (("before", base), ("after", head)) if r % 2 == 0 else (("after", head), ("before", base))
                for label, src in order:
                    runs[label].append(run(src, case, args.seconds, args.core))
            results[case] = runs
            for clock in ("cpu", "wall"):
                b = [x[clock] for x in runs["before"]]
                a = [x[clock] for x in runs["after"]]
                mb, ma, bb, ba = statistics.median(b), statistics.median(a), max(b), max(a)
                print(f"{case:<22}{clock:>6}{mb:>15,.0f}{ma:>14,.0f}{ma / mb:>7.2f}{bb:>13,.0f}{ba:>12,.0f}{ba / bb:>7.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"base": args.base, "head": args.head, "runs": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
