"""Play mode, driven by scripted input in a subprocess (``python -m inventory_zoo.play``)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from inventory_zoo import play

ROOT = Path(__file__).resolve().parents[1]


def _play(args: list[str], stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "inventory_zoo.play", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_a_retailer_playing_sterman_rule_by_hand_scores_the_benchmark():
    # Sterman's retailer: 4 in weeks 1-4, 12 in week 5, then 8 (weeks 6-35; week 36's order
    # comes after the last costs and is not asked).
    orders = ["4"] * 4 + ["12"] + ["8"] * 30
    out = _play(["beer-game", "--role", "retailer"], "\n".join(orders) + "\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("Your order for week") == 35
    assert "--- Week 36 --- you are the retailer" in out.stdout
    summary = out.stdout.split("Costs after 36 weeks:")[1]
    assert "retailer             46.00       46.00  <- you" in summary
    assert "team                204.00      204.00" in summary
    assert "Sterman benchmark (Sterman 1989): 46 / 50 / 54 / 54 = 204" in summary
    assert out.stderr == ""


def test_bad_input_is_refused_and_the_end_of_input_ends_the_game():
    script = "lots\n-3\n101\n2.5\nh\n\n30\n"  # four refusals, help, Enter (= 4), 30, then EOF
    out = _play(["beer-game", "--role", "distributor"], script)
    assert out.returncode == 0 and "Traceback" not in out.stderr
    text = out.stdout
    assert "'lots' is not a number of cases" in text
    assert "-3 is out of range" in text and "101 is out of range" in text
    assert "'2.5' is not a number of cases" in text
    assert text.count("Four positions pass beer down") == 2  # the intro and the help
    assert "--- Week 3 --- you are the distributor" in text
    assert "your orders not yet read by your supplier: 30" in text
    assert "No more input: the game ends after week 3." in text
    summary = text.split("Costs after 3 weeks:")[1]
    assert "distributor" in summary and "<- you" in summary


def test_quit_and_a_short_game():
    out = _play(["beer-game", "--role", "factory", "--weeks", "4"], "9\nq\n")
    assert out.returncode == 0
    assert "brewing requests not yet started" not in out.stdout  # the factory brews at once
    assert "brewing: 4 in 1 week, 9 in 2 weeks" in out.stdout
    assert "You quit: the game ends after week 2." in out.stdout


def test_usage_errors_return_2_without_traceback():
    for args in (["chess"], ["beer-game", "--role", "brewer"], ["beer-game", "--weeks", "0"]):
        out = _play(args, "")
        assert out.returncode == 2, args
        (line,) = out.stderr.strip().splitlines()  # one line, naming the argument
        assert line.startswith("inventory-zoo play: error: argument ") and "Traceback" not in out.stderr


def test_main_in_process_with_streams():
    stdout = io.StringIO()
    assert play.main(["beer-game", "--role", "wholesaler", "--weeks", "2"], io.StringIO("6\n"), stdout) == 0
    text = stdout.getvalue()
    assert "--- Week 2 --- you are the wholesaler" in text
    assert "Costs after 2 weeks:" in text and "wholesaler" in text
    assert play.main(["--help"], io.StringIO(""), io.StringIO()) == 0
