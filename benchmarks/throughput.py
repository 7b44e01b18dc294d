"""Simulation throughput of the envs, one core.

Prints (1) steps per second of one ParallelEnv (dict API, constant actions, reset when the
episode ends) and (2) agent-steps per second of the vector env at several batch sizes, with
both seeding modes, resets included (whole episodes) and excluded.

Each figure is the best and the median of several timed windows: the best is the machine's
speed when nothing interferes (the convention of ``timeit``), the median what a run of that
length typically sees. On a virtual machine whose speed drifts, the two can differ twofold.

    python benchmarks/throughput.py            # every case, 10 to 15 minutes
    python benchmarks/throughput.py --quick    # a smoke run
    python benchmarks/throughput.py --json out.json
    python benchmarks/throughput.py --only single --seconds 60 --repeats 120   # one env, long
    python benchmarks/throughput.py --only vector --sizes 4096 --seconds 30 --repeats 15
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
import statistics
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


def _windows(run_chunk, seconds: float, repeats: int) -> list[float]:
    """The rates of ``repeats`` windows of about ``seconds / repeats`` each, sorted.

    ``run_chunk()`` does a fixed piece of work and returns ``(units done, seconds it took)``, so
    that a chunk may leave out time it should not count (a reset). The best window is the
    machine's speed when nothing interferes (the convention of ``timeit``); the median is what
    a run of that length typically sees on a machine whose speed drifts.
    """
    window = seconds / repeats
    rates = []
    for _ in range(repeats):
        units, spent = 0, 0.0
        while spent < window:
            u, dt = run_chunk()
            units += u
            spent += dt
        rates.append(units / spent)
    return sorted(rates)


def _best_median(rates: list[float]) -> tuple[float, float]:
    return max(rates), statistics.median(rates)


def single_env(module, preset: str | None, seconds: float, repeats: int) -> list[float]:
    env = module.parallel_env(preset=preset)
    env.reset(seed=0)
    actions = {a: _constant_action(env.action_space(a)) for a in env.possible_agents}

    def chunk() -> tuple[int, float]:
        t0 = _now()
        for _ in range(100):
            env.step(actions)
            if not env.agents:
                env.reset()
        return 100, _now() - t0

    for _ in range(3):  # warm-up
        chunk()
    return _windows(chunk, seconds, repeats)


def vector_env(
    module, preset: str | None, B: int, seeding: str, seconds: float, repeats: int, with_resets: bool
) -> list[float]:
    env = module.parallel_env(preset=preset)
    venv = VectorEnv(env, B, auto_reset=with_resets, seeding=seeding)
    venv.reset(seed=0)
    space = venv.action_space
    if hasattr(space, "n"):
        actions = np.full((B, venv.num_agents), space.n // 2, np.int64)
    else:
        actions = np.broadcast_to(np.asarray(space.nvec) // 2, (B, venv.num_agents, len(space.nvec))).copy()
    T, per_step = venv.max_cycles, B * venv.num_agents

    def episode() -> tuple[int, float]:
        # With resets: one whole episode, its automatic reset included, so resets count at
        # their true rate.
        t0 = _now()
        for _ in range(T):
            venv.step(actions)
        return T * per_step, _now() - t0

    def steps() -> tuple[int, float]:
        # Without resets: a few steps, never across the end of an episode (the reset that
        # starts the next one is left out of the time).
        if venv.t >= T:
            venv.reset()
        n = min(T - venv.t, max(1, 50_000 // per_step))
        t0 = _now()
        for _ in range(n):
            venv.step(actions)
        return n * per_step, _now() - t0

    chunk = episode if with_resets else steps
    chunk()  # warm-up
    return _windows(chunk, seconds, repeats)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=3.0, help="time per measurement (all its windows)")
    p.add_argument("--repeats", type=int, default=6, help="windows per measurement (best and median)")
    p.add_argument("--quick", action="store_true", help="short measurements, B up to 1024")
    p.add_argument(
        "--only", choices=("single", "vector"), help="measure only one ParallelEnv, or only the vector env"
    )
    p.add_argument("--sizes", type=int, nargs="+", help="vector env batch sizes (default 1 64 1024 4096)")
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--all-cores", action="store_true", help="do not pin the process to one core")
    p.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time, or this process's CPU time (steadier when other work shares the machine)",
    )
    args = p.parse_args()
    if args.repeats < 1 or args.seconds <= 0:
        p.error(f"--repeats must be >= 1 and --seconds > 0, got {args.repeats} and {args.seconds}")
    global _now
    _now = time.perf_counter if args.clock == "wall" else time.process_time
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    seconds, repeats = (0.5, 2) if args.quick else (args.seconds, args.repeats)
    sizes = args.sizes or ([1, 64, 1024] if args.quick else [1, 64, 1024, 4096])
    if min(sizes) < 1:
        p.error(f"--sizes must be >= 1, got {sizes}")
    results: dict = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cores": cores,
        "clock": args.clock,
        "seconds": seconds,
        "repeats": repeats,
    }
    print(f"Each figure: best / median of {repeats} windows, {seconds:g} s in all, {args.clock} clock.\n")

    results["single"] = []
    results["vector"] = []
    if args.only != "vector":
        print("## One ParallelEnv (dict API), steps/s\n")
        print("| env | preset | best | median |\n|---|---|---:|---:|")
    for name, module, preset in CASES if args.only != "vector" else []:
        rates = single_env(module, preset, seconds, repeats)
        best, median = _best_median(rates)
        results["single"].append(
            {"env": name, "preset": preset, "best": best, "median": median, "windows": rates}
        )
        print(f"| {name} | {preset or 'defaults'} | {best:,.0f} | {median:,.0f} |", flush=True)

    if args.only != "single":
        print("\n## Vector env, agent-steps/s (best / median)\n")
        print("| env | preset | B | seeding | with resets | without resets |\n|---|---|---:|---|---:|---:|")
    for name, module, preset in CASES if args.only != "single" else []:
        for B in sizes:
            for seeding in ("independent", "batched"):
                with_r = _best_median(vector_env(module, preset, B, seeding, seconds, repeats, True))
                without = _best_median(vector_env(module, preset, B, seeding, seconds, repeats, False))
                results["vector"].append(
                    {
                        "env": name,
                        "preset": preset,
                        "B": B,
                        "seeding": seeding,
                        "with_resets": {"best": with_r[0], "median": with_r[1]},
                        "without_resets": {"best": without[0], "median": without[1]},
                    }
                )
                print(
                    f"| {name} | {preset or 'defaults'} | {B} | {seeding} "
                    f"| {with_r[0]:,.0f} / {with_r[1]:,.0f} | {without[0]:,.0f} / {without[1]:,.0f} |",
                    flush=True,
                )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
