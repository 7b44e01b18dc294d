"""The command line's user errors (one line on stderr naming the option, exit 2), Ctrl-C (one
line, exit 130), closed pipes, the files `plot` writes, the policy registry and `train`.

Most tests call ``main()`` in-process (``capsys`` captures its output); a closed pipe needs a
real subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import inventory_zoo
from inventory_zoo import cli, serial_v0
from inventory_zoo.core.validation import MAX_PERIODS
from inventory_zoo.policies import registry
from inventory_zoo.policies.registry import make_policy, parse_policy, policy_entry, register_policy


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status: int, err: str, *pieces: str) -> None:
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("inventory-zoo") and "error:" in lines[0]
    for piece in pieces:
        assert piece in lines[0], (piece, lines[0])


# ---------------------------------------------------------------------------- issue 12, item 4
def test_plot_into_a_missing_directory_names_the_option(capsys, tmp_path):
    status, _, err = run(
        capsys, "plot", "serial_v0", "--policy", "constant:5", "-o", str(tmp_path / "no/x.png")
    )
    assert_one_line_error(status, err, "--output", "does not exist")


def test_plot_to_an_unsupported_format_names_the_option(capsys, tmp_path):
    status, _, err = run(capsys, "plot", "serial_v0", "--policy", "constant:5", "-o", str(tmp_path / "x.txt"))
    assert_one_line_error(status, err, "--output", "'.txt'", "png")
    assert not (tmp_path / "x.txt").exists()


def test_plot_reports_a_file_it_cannot_write(capsys, tmp_path, monkeypatch):
    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("inventory_zoo.render.plot_episode", refuse)
    status, _, err = run(capsys, "plot", "serial_v0", "--policy", "constant:5", "-o", str(tmp_path / "x.png"))
    assert_one_line_error(status, err, "--output", "Permission denied")


@pytest.mark.parametrize("option", ["--width", "--height"])
@pytest.mark.parametrize("value", ["0", "-5", "1000000000", "abc"])
def test_absurd_chart_sizes_name_the_option(capsys, option, value):
    status, _, err = run(capsys, "plot", "serial_v0", "--policy", "constant:5", option, value)
    assert_one_line_error(status, err, f"argument {option}", value)


def test_a_huge_episode_count_names_the_option(capsys):
    status, _, err = run(capsys, "evaluate", "serial_v0", "--policy", "optimal", "--episodes", "9" * 20)
    assert_one_line_error(status, err, "--episodes", str(cli.MAX_EPISODES))


@pytest.mark.parametrize("value", [str(10**9), "0"])
def test_max_cycles_is_bounded_by_the_library_bound(capsys, value):
    status, _, err = run(capsys, "evaluate", "serial_v0", "--policy", "optimal", "--max-cycles", value)
    assert_one_line_error(status, err, "--max-cycles", str(MAX_PERIODS))


def test_out_of_memory_is_one_line(capsys, monkeypatch):
    def too_big(*a, **k):
        raise MemoryError

    monkeypatch.setattr("inventory_zoo.evaluation.evaluate", too_big)
    status, _, err = run(capsys, "evaluate", "serial_v0", "--policy", "constant:5")
    assert_one_line_error(status, err, "--episodes", "--max-cycles")


def test_a_closed_pipe_ends_quietly():
    proc = subprocess.Popen(
        [sys.executable, "-m", "inventory_zoo.cli", "describe", "serial_v0", "--preset", "liu2022"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # like `| head` that has read what it wanted
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert err == ""


@pytest.mark.parametrize(
    "argv, target",
    [
        (("evaluate", "serial_v0", "--policy", "constant:5"), "inventory_zoo.evaluation.evaluate"),
        (("list",), "inventory_zoo.cli.cmd_list"),
        (("play", "beer-game"), "inventory_zoo.play.main"),
    ],
)
def test_ctrl_c_is_one_line_and_exit_130(capsys, monkeypatch, argv, target):
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(target, interrupted)
    if argv == ("list",):  # the parser holds the function it dispatches to
        monkeypatch.setattr(cli, "build_parser", _parser_with(cli.build_parser, "list", interrupted))
    status, _, err = run(capsys, *argv)
    assert status == 130
    assert err.strip().splitlines() == [f"inventory-zoo {argv[0]}: interrupted"]


def _parser_with(build, command, fn):
    def patched():
        p = build()
        sub = next(a for a in p._subparsers._group_actions)  # (test-only reach into argparse)
        sub.choices[command].set_defaults(fn=fn)
        return p

    return patched


@pytest.mark.parametrize("given, written", [("out", "out.png"), ("chart.svg", "chart.svg")])
def test_plot_prints_the_file_it_wrote(capsys, tmp_path, given, written):
    status, out, _ = run(
        capsys,
        "plot",
        "serial_v0",
        "--policy",
        "constant:5",
        "--max-cycles",
        "5",
        "-o",
        str(tmp_path / given),
    )
    assert status == 0
    assert out.strip() == f"wrote {tmp_path / written}"
    assert (tmp_path / written).stat().st_size > 0
    assert not (tmp_path / given).exists() or given == written


def test_plot_into_a_directory_writes_a_file_inside_it(capsys, tmp_path):
    status, out, _ = run(
        capsys, "plot", "serial_v0", "--policy", "constant:5", "--max-cycles", "5", "-o", str(tmp_path)
    )
    assert status == 0
    assert out.strip() == f"wrote {tmp_path / cli.DEFAULT_CHART}"
    assert (tmp_path / cli.DEFAULT_CHART).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------- issue 12, low: CLI
def test_compare_refuses_a_policy_listed_twice(capsys):
    status, _, err = run(capsys, "compare", "serial_v0", "--policies", "random", "Random", "--episodes", "1")
    assert_one_line_error(status, err, "--policies", "'Random'", "'random'")


def test_compare_keeps_one_row_per_policy(capsys):
    import json

    status, out, _ = run(
        capsys, "compare", "serial_v0", "--policies", "constant:4", "constant:6", "--episodes", "1", "--json"
    )
    assert status == 0
    assert sorted(r["policy"] for r in json.loads(out)) == ["constant:4", "constant:6"]


@pytest.mark.parametrize("name", ["random", "optimal", "search", "sterman"])
def test_arguments_to_a_policy_without_arguments_are_refused(capsys, name):
    status, _, err = run(capsys, "evaluate", "serial_v0", "--policy", f"{name}:3")
    assert_one_line_error(status, err, f"policy {name!r} takes no arguments")


def test_ss_without_a_slash_says_what_is_expected(capsys):
    status, _, err = run(capsys, "evaluate", "serial_v0", "--policy", "ss:5")
    assert_one_line_error(status, err, "s/S", "ss:5/20")
    assert "got 0" not in err


@pytest.mark.parametrize("name", ["SERIAL_V0", "Serial-V0", "serial_v0"])
def test_env_names_are_case_insensitive(capsys, name):
    status, out, err = run(capsys, "evaluate", name, "--policy", "Constant:5", "--episodes", "1", "--json")
    assert status == 0, err
    assert '"env": "serial_v0"' in out


def test_unknown_env_lists_the_envs(capsys):
    status, _, err = run(capsys, "describe", "serial_v9")
    assert_one_line_error(status, err, "unknown env", "serial_v0, network_v0, beer_game_v0")


# ---------------------------------------------------------------------------- issue 14, item 4
def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"inventory-zoo {inventory_zoo.__version__}"


def test_every_option_has_help():
    import argparse

    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    parsers = {"": parser, **sub.choices}
    missing = [
        f"{name} {a.dest}"
        for name, p in parsers.items()
        for a in p._actions
        if not isinstance(a, argparse._SubParsersAction) and not (a.help and a.help.strip())
    ]
    assert missing == []
    assert {c.dest for c in sub._choices_actions} == set(sub.choices)  # every command has help


def test_list_and_help_show_every_registered_policy(capsys):
    _, listed, _ = run(capsys, "list")
    with pytest.raises(SystemExit):
        cli.main(["evaluate", "--help"])
    helped = capsys.readouterr().out
    for entry in registry.policy_entries():
        assert entry.usage in listed and entry.usage in helped
        assert entry.help in listed


def test_listing_imports_neither_torch_nor_ray():
    code = (
        "import sys; from inventory_zoo import cli; cli.main(['list']); "
        "print(sorted(m for m in ('torch', 'ray', 'stable_baselines3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_train_forwards_its_arguments(capsys, monkeypatch):
    seen = []
    fake = types.ModuleType("inventory_zoo.agents.cli")
    fake.main = lambda argv: seen.append(argv) or 3
    monkeypatch.setitem(sys.modules, "inventory_zoo.agents.cli", fake)
    assert cli.main(["train", "ppo", "--env", "beer_game_v0", "--help"]) == 3
    assert seen == [["ppo", "--env", "beer_game_v0", "--help"]]


def test_train_without_the_train_extra_is_one_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "inventory_zoo.agents.cli", None)  # the import now fails
    status, _, err = run(capsys, "train", "ppo")
    assert_one_line_error(status, err, "pip install 'inventory-zoo[train]'")


# ---------------------------------------------------------------------------- the registry
def test_learned_policies_point_at_the_agreed_modules():
    assert policy_entry("happo").factory == "inventory_zoo.agents.happo:policy_factory"
    assert policy_entry("ppo").factory == "inventory_zoo.agents.ppo:policy_factory"
    assert policy_entry("rllib").factory == "inventory_zoo.integrations.rllib:policy_factory"
    assert policy_entry("tuned").factory == "inventory_zoo.policies.tuning:policy_factory"


def test_a_lazy_entry_is_imported_on_use_and_gets_the_agreed_arguments(monkeypatch):
    calls = []

    def factory(env, args, *, seed=0, budget=None, device="cpu", **_):
        calls.append((args, seed, budget, device))
        from inventory_zoo.policies import ConstantOrder

        return ConstantOrder(2)

    mod = types.ModuleType("fake_policies_for_test")
    mod.half = factory
    monkeypatch.setitem(sys.modules, "fake_policies_for_test", mod)
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    register_policy("My-Half", "fake_policies_for_test:half", "a test policy", "X")
    env = serial_v0.parallel_env()
    make_policy("my_half:Some/Path.zip", env, seed=7, budget=3, device="cuda")
    assert calls == [("Some/Path.zip", 7, 3, "cuda")]  # args keep their case (paths)
    with pytest.raises(ValueError, match="already registered"):
        register_policy("my_half", factory, "again")


def test_a_missing_module_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "inventory_zoo.agents.ppo", None)
    with pytest.raises(ValueError, match=r"policy 'ppo' needs .*pip install 'inventory-zoo\[train\]'"):
        make_policy("ppo:model.zip", serial_v0.parallel_env())


@pytest.mark.parametrize(
    "spec, message",
    [
        ("magic", "unknown policy 'magic'; policies are optimal, search"),
        ("base_stock:1,,2", "comma-separated integers"),
        ("echelon:10,20", "cannot act on this env"),
        ("constant", "give quantities"),
    ],
)
def test_make_policy_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        make_policy(spec, serial_v0.parallel_env(preset="snyder_shen_6_1"))


def test_parse_policy_is_case_insensitive_on_the_name_only():
    entry, args = parse_policy("Base-Stock:9,6,11")
    assert (entry.name, args) == ("base_stock", "9,6,11")
    assert registry.canonical("LOCAL-base_stock:4") == "local_base_stock:4"


def test_make_policy_leaves_the_env_as_it_was():
    env = serial_v0.parallel_env(preset="snyder_shen_6_1")
    env.reset(seed=1)
    t = env.engine_state.t
    env.step(dict.fromkeys(env.agents, 3))
    make_policy("optimal", env)
    assert env.engine_state.t == t + 1


def test_play_usage_errors_are_one_line(capsys):
    status, _, err = run(capsys, "play", "beer-game", "--weeks", "0")
    assert status == 2
    assert err.strip().splitlines() == [
        "inventory-zoo play: error: argument --weeks: the game needs at least 1 week, got 0 "
        "(see inventory-zoo play --help)"
    ]


@pytest.mark.parametrize("command", ["evaluate", "compare"])
def test_runs_too_large_for_memory_are_refused_before_they_start(capsys, command):
    flag = "--policy" if command == "evaluate" else "--policies"
    argv = [command, "serial_v0", flag, "constant:5", "--episodes", "100000", "--max-cycles", "1000000"]
    status, _, err = run(capsys, *argv)
    assert_one_line_error(status, err, "--episodes", "--max-cycles", "GiB")


def test_the_env_table_is_the_registry_one():
    """No second env table in the CLI: its env names are inventory_zoo.envs.registry's."""
    import argparse

    from inventory_zoo.envs.registry import env_names

    assert not hasattr(cli, "ENV_MODULES")
    (sub,) = [a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    (env_arg,) = [a for a in sub.choices["evaluate"]._actions if a.dest == "env"]
    assert ", ".join(env_names()) in env_arg.help


def test_budget_reaches_tuning_policies(capsys, monkeypatch):
    from inventory_zoo.policies import tuning

    seen = {}
    real = tuning.tune

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(tuning, "tune", spy)
    argv = ["evaluate", "serial_v0", "--preset", "snyder_shen_6_1", "--policy", "tuned:capped_base_stock",
            "--budget", "3", "--episodes", "2", "--max-cycles", "20"]  # fmt: skip
    assert cli.main(argv) == 0
    assert seen["budget"] == 3
    assert "CappedBaseStock" in capsys.readouterr().out
