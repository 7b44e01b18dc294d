"""benchmarks/leaderboard.py --quick: a smoke run that covers every preset of every env."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from inventory_zoo.envs.registry import env_module, env_names
from inventory_zoo.policies import applicable_families
from inventory_zoo.presets import PRESETS

ROOT = Path(__file__).resolve().parents[1]


def test_leaderboard_quick_run_covers_every_preset_and_family(tmp_path):
    md, js = tmp_path / "leaderboard.md", tmp_path / "leaderboard.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "benchmarks/leaderboard.py", "--quick", "--out-md", str(md), "--out-json", str(js)]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(js.read_text())
    got = [(p["env"], p["preset"]) for p in result["presets"]]
    assert got == [(e, p) for e in env_names() for p in PRESETS[e]]
    for p in result["presets"]:
        families = {r["policy"] for r in p["rows"] if r["kind"] == "heuristic"}
        assert families == set(applicable_families(env_module(p["env"]).parallel_env(preset=p["preset"])))
        for r in p["rows"]:
            assert r["cost_per_period"] > 0 and r["fill_rate"] is not None
        costs = [r["cost_per_period"] for r in p["rows"]]
        assert costs == sorted(costs)
    by_preset = {p["preset"]: p for p in result["presets"]}
    assert by_preset["snyder_shen_6_1"]["optimum"]["levels"] == [9, 15, 26]
    assert by_preset["liu2022"]["optimum"] is None
    # The quick run's episodes differ from the recorded learners': they are listed apart.
    assert any(r["policy"] == "HAPPO" for r in by_preset["liu2022"]["learners_on_other_episodes"])
    text = md.read_text()
    for e, p in got:
        assert f"## {e} / {p}" in text
