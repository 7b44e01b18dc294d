"""The throughput benchmark runs and reports a positive rate for every case (a smoke run:
speed itself is measured in benchmarks/, never asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_throughput_benchmark_smoke_run(tmp_path):
    out = tmp_path / "throughput.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [
        sys.executable,
        "benchmarks/throughput.py",
        "--seconds",
        "0.05",
        "--repeats",
        "2",
        "--sizes",
        "1",
        "4",
    ]
    run = subprocess.run(
        [*cmd, "--json", str(out)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert "best / median" in run.stdout
    results = json.loads(out.read_text())
    assert results["repeats"] == 2
    assert [(r["env"], r["preset"]) for r in results["single"]] == [
        ("serial_v0", None),
        ("serial_v0", "liu2022"),
        ("network_v0", "liu2022_2x3"),
    ]
    for r in results["single"]:
        assert len(r["windows"]) == 2 and r["windows"] == sorted(r["windows"])
        assert 0 < r["median"] <= r["best"] == r["windows"][-1]
    assert len(results["vector"]) == 3 * 2 * 2  # cases x sizes x seeding modes
    for r in results["vector"]:
        for key in ("with_resets", "without_resets"):
            assert 0 < r[key]["median"] <= r[key]["best"]


def test_throughput_benchmark_rejects_bad_options():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for bad in (["--repeats", "0"], ["--sizes", "0"], ["--only", "both"]):
        run = subprocess.run(
            [sys.executable, "benchmarks/throughput.py", *bad],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert run.returncode == 2 and bad[0] in run.stderr, (bad, run.stderr)
