"""The inventory-zoo command (run in a subprocess) and the charts."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from inventory_zoo import serial_v0
from inventory_zoo.policies import BaseStock

pytest.importorskip("matplotlib")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "inventory_zoo.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_list_and_describe():
    out = run("list")
    assert out.returncode == 0
    assert "serial_v0" in out.stdout and "snyder_shen_6_1" in out.stdout and "liu2022" in out.stdout
    out = run("describe", "serial_v0", "--preset", "snyder_shen_6_1")
    assert out.returncode == 0
    assert "lead_times" in out.stdout and "(1, 1, 2)" in out.stdout and "37.12" in out.stdout
    js = json.loads(run("describe", "serial_v0", "--json").stdout)
    assert js["num_stages"] == 3


def test_evaluate_json_and_table():
    out = run("evaluate", "serial_v0", "--preset", "snyder_shen_6_1", "--policy", "optimal", "--episodes", "4", "--json")
    assert out.returncode == 0, out.stderr
    rep = json.loads(out.stdout)
    assert 60 < rep["cost_per_period"] < 85 and set(rep["bullwhip"]) == {"stage_0", "stage_1", "stage_2"}
    out = run("evaluate", "serial_v0", "--policy", "base_stock:30,30,30", "--episodes", "2")
    assert out.returncode == 0 and "fill rate" in out.stdout and "system" in out.stdout


def test_compare():
    out = run("compare", "serial_v0", "--policies", "base_stock:40", "constant:10", "--episodes", "2", "--json")
    rows = json.loads(out.stdout)
    assert [r["policy"] for r in rows] == sorted([r["policy"] for r in rows], key=lambda p: [r for r in rows if r["policy"] == p][0]["cost_per_period"])
    assert {r["policy"] for r in rows} == {"base_stock:40", "constant:10"}


@pytest.mark.parametrize(
    "args, message",
    [
        (("evaluate", "nope_v0", "--policy", "optimal"), "unknown env"),
        (("evaluate", "serial_v0", "--preset", "nope", "--policy", "optimal"), "unknown preset"),
        (("evaluate", "serial_v0", "--policy", "magic"), "unknown policy"),
        (("evaluate", "serial_v0", "--preset", "liu2022", "--policy", "optimal"), "outside the Clark-Scarf model"),
        (("evaluate", "serial_v0", "--policy", "base_stock:x"), "integers"),
        (("evaluate", "serial_v0", "--policy", "echelon:10,20"), "one value per stage"),
        (("evaluate", "serial_v0", "--policy", "base_stock"), "give levels"),
        (("evaluate", "serial_v0", "--policy", "ss:5/3"), "S must be >= s"),
        (("evaluate", "serial_v0", "--policy", "constant:50"), "exceeds max_order"),
    ],
)
def test_clear_errors(args, message):
    out = run(*args)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr


def test_plot_writes_a_real_png(tmp_path):
    path = tmp_path / "ep.png"
    out = run("plot", "serial_v0", "--preset", "liu2022", "--policy", "base_stock:40", "-o", str(path), "--width", "800", "--height", "500")
    assert out.returncode == 0, out.stderr
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    assert img.shape[:2] == (500, 800)
    assert img[..., :3].std() > 0.05  # not a blank canvas


def test_rgb_array_render():
    env = serial_v0.parallel_env(render_mode="rgb_array", max_cycles=15)
    obs, _ = env.reset(seed=0)
    pol = BaseStock(30)
    while env.agents:
        obs, *_ = env.step(pol(obs, env))
    img = env.render()
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3 and img.shape[:2] == (480, 640)
    assert img.std() > 5


def test_ansi_render_is_a_table():
    env = serial_v0.parallel_env(render_mode="ansi")
    env.reset(seed=0)
    env.step({a: 3 for a in env.agents})
    text = env.render()
    assert "stage_0" in text and "on hand" in text and "period 1/" in text
