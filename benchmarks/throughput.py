"""Simulation throughput of the envs, one core.

Prints (1) steps per second of one ParallelEnv (dict API, constant actions, reset when the
episode ends) and (2) agent-steps per second of the vector env at several batch sizes, with
both seeding modes, resets included (several whole episodes) and excluded.

    python benchmarks/throughput.py            # about two minutes
    python benchmarks/throughput.py --quick    # a smoke run
    python benchmarks/throughput.py --json out.json
    python benchmarks/throughput.py --clock cpu   # on a busy machine: per CPU-second

Targets (issue 2 and 3), on one core of the 2-core reference machine: serial_v0 one env
>= 20,000 steps/s, vector env >= 5,000,000 agent-steps/s at B = 4096; network_v0 (2x3 preset)
>= 10,000 steps/s and >= 5,000,000 agent-steps/s at B = 4096.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

# One core: pin the process and keep BLAS (it computes the observation map) to one thread. Both
# before numpy is imported: BLAS starts its threads, with the affinity of the time, at import.
if "--all-cores" not in sys.argv:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import numpy as np  # noqa: E402

import inventory_zoo  # noqa: E402, F401  (registers the envs)
from inventory_zoo import serial_v0  # noqa: E402
from inventory_zoo.envs.vector import VectorEnv  # noqa: E402

try:
    from inventory_zoo import network_v0
except ImportError:  # pragma: no cover - older versions
    network_v0 = None

CASES = [("serial_v0", serial_v0, None), ("serial_v0", serial_v0, "liu2022")]
if network_v0 is not None:
    CASES.append(("network_v0", network_v0, "liu2022_2x3"))


#: The clock: wall time (default), or with ``--clock cpu`` the CPU time of this process, which
#: on a machine shared with other work approximates what the process would do alone.
_now = time.perf_counter


def _constant_action(space) -> object:
    return int(space.n // 2) if hasattr(space, "n") else (np.asarray(space.nvec) // 2).astype(np.int64)


def single_env(module, preset: str | None, seconds: float) -> float:
    env = module.parallel_env(preset=preset)
    env.reset(seed=0)
    actions = {a: _constant_action(env.action_space(a)) for a in env.possible_agents}
    for _ in range(200):  # warm-up
        env.step(actions)
        if not env.agents:
            env.reset()
    n, t0 = 0, _now()
    while _now() - t0 < seconds:
        for _ in range(100):
            env.step(actions)
            if not env.agents:
                env.reset()
        n += 100
    return n / (_now() - t0)


def vector_env(module, preset: str | None, B: int, seeding: str, seconds: float, with_resets: bool) -> float:
    env = module.parallel_env(preset=preset)
    venv = VectorEnv(env, B, auto_reset=with_resets, seeding=seeding)
    venv.reset(seed=0)
    space = venv.action_space
    if hasattr(space, "n"):
        actions = np.full((B, venv.num_agents), space.n // 2, np.int64)
    else:
        actions = np.broadcast_to(np.asarray(space.nvec) // 2, (B, venv.num_agents, len(space.nvec))).copy()
    T = venv.max_cycles
    steps, t0 = 0, _now()
    # With resets: whole episodes (at least two), so reset costs are counted at their true rate.
    min_steps = 2 * T if with_resets else 1
    while steps < min_steps or _now() - t0 < seconds:
        if not with_resets and venv.t >= T:
            dt = _now() - t0
            venv.reset()
            t0 = _now() - dt  # exclude the reset
        venv.step(actions)
        steps += 1
    return steps * B * venv.num_agents / (_now() - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    p.add_argument("--quick", action="store_true", help="short measurements, B up to 1024")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--all-cores", action="store_true", help="do not pin the process to one core")
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time, or this process's CPU time (steadier when other work shares the machine)",
    )
    args = p.parse_args()
    global _now
    _now = time.perf_counter if args.clock == "wall" else time.process_time
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    seconds = 0.5 if args.quick else args.seconds
    sizes = [1, 64, 1024] if args.quick else [1, 64, 1024, 4096]
    results: dict = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cores": cores,
        "clock": args.clock,
    }

    print("## One ParallelEnv (dict API)\n")
    print("| env | preset | steps/s |\n|---|---|---:|")
    results["single"] = []
    for name, module, preset in CASES:
        v = single_env(module, preset, seconds)
        results["single"].append({"env": name, "preset": preset, "steps_per_s": v})
        print(f"| {name} | {preset or 'defaults'} | {v:,.0f} |", flush=True)

    print("\n## Vector env (agent-steps/s)\n")
    print("| env | preset | B | seeding | with resets | without resets |\n|---|---|---:|---|---:|---:|")
    results["vector"] = []
    for name, module, preset in CASES:
        for B in sizes:
            for seeding in ("independent", "batched"):
                with_r = vector_env(module, preset, B, seeding, seconds, True)
                without = vector_env(module, preset, B, seeding, seconds, False)
                results["vector"].append(
                    {
                        "env": name,
                        "preset": preset,
                        "B": B,
                        "seeding": seeding,
                        "with_resets": with_r,
                        "without_resets": without,
                    }
                )
                print(
                    f"| {name} | {preset or 'defaults'} | {B} | {seeding} | {with_r:,.0f} | {without:,.0f} |",
                    flush=True,
                )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
