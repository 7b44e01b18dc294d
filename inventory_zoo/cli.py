"""The ``inventory-zoo`` command: list, describe, evaluate, compare, plot, play and train.

Envs come from :mod:`inventory_zoo.envs.registry`, policy names (``NAME[:ARGS]``) from
:mod:`inventory_zoo.policies.registry`; ``inventory-zoo list`` shows both. A user error is
reported on one line of stderr naming the option, with exit status 2; Ctrl-C ends with one
line and status 130; a closed output pipe (``... | head``) ends quietly.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from inventory_zoo.core.validation import MAX_PERIODS
from inventory_zoo.envs.registry import ENVS, env_entry, env_module, env_names

__all__ = ["build_parser", "main"]

PROG = "inventory-zoo"
#: Most episodes one command plays: they run as one batch, held in memory together.
MAX_EPISODES = 100_000
#: Chart sizes allowed, in pixels (width and height).
MIN_PIXELS, MAX_PIXELS = 64, 10_000
#: Most memory the KPI records of one evaluate/compare run may take, in bytes (see _check_size).
MAX_RUN_BYTES = 4 * 2**30
#: The file name ``plot -o DIR`` writes inside an existing directory.
DEFAULT_CHART = "episode.png"


class CLIError(Exception):
    """A user error: printed on one line without a traceback, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors raised as :class:`CLIError` (one line, no usage dump)."""

    def error(self, message: str) -> NoReturn:
        raise CLIError(f"{message} (see {self.prog} --help)")


# ---------------------------------------------------------------------------- option types
def _int_in(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be an integer in {low}..{high}, got {text}")
        return value

    parse.__name__ = "integer"
    return parse


def _env_name(text: str) -> str:
    try:
        return env_entry(text.strip().lower()).name
    except ValueError:
        raise argparse.ArgumentTypeError(f"unknown env {text!r}; envs are {', '.join(env_names())}") from None


def _policy_name(text: str) -> str:
    from inventory_zoo.policies.registry import parse_policy

    try:
        parse_policy(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def _presets(env_name: str) -> list[str]:
    env_module(env_name)  # importing the env module registers its presets
    from inventory_zoo.presets import PRESETS

    return sorted(PRESETS.get(env_name, {}))


def _preset(args: argparse.Namespace) -> str | None:
    if args.preset is None:
        return None
    presets = _presets(args.env)
    key = args.preset.strip().lower().replace("-", "_")
    if key not in presets:
        raise CLIError(
            f"argument --preset: unknown preset {args.preset!r} for {args.env}; presets are {presets}"
        )
    return key


def _make_env(args: argparse.Namespace) -> Any:
    kwargs = {} if args.max_cycles is None else {"max_cycles": args.max_cycles}
    try:
        return env_module(args.env).parallel_env(preset=_preset(args), **kwargs)
    except (TypeError, ValueError) as e:
        raise CLIError(str(e)) from None


def _check_size(env: Any, args: argparse.Namespace) -> None:
    """Refuse runs whose per-period KPI records (7 int64/float64 arrays ``[T, B, N]``) would not
    fit in memory, before playing them: the OS may kill a process that runs out, with no
    message at all."""
    periods = env.max_cycles if args.max_cycles is None else args.max_cycles
    need = 7 * 8 * periods * args.episodes * len(env.possible_agents)
    if need > MAX_RUN_BYTES:
        raise CLIError(
            f"arguments --episodes and --max-cycles: {args.episodes} episodes x {periods} periods x "
            f"{len(env.possible_agents)} agents would hold {need / 2**30:.0f} GiB of records "
            f"(at most {MAX_RUN_BYTES / 2**30:.0f}); use fewer"
        )


def _policy(spec: str, env: Any, args: argparse.Namespace) -> Any:
    from inventory_zoo.policies.registry import make_policy

    try:
        return make_policy(
            spec, env, seed=args.seed, budget=getattr(args, "budget", None), device=getattr(args, "device", "cpu")
        )
    except ValueError as e:
        raise CLIError(str(e)) from None


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN and infinities become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def _chart_path(text: str) -> Path:
    """The file ``plot -o TEXT`` writes: ``TEXT`` itself, ``TEXT.png`` without an extension, or
    ``TEXT/episode.png`` for an existing directory.

    Raises:
        CLIError: an image format matplotlib cannot write, or a directory that does not exist.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    path = Path(text).expanduser()
    if path.is_dir():
        path = path / DEFAULT_CHART
    elif not path.suffix:
        path = path.with_name(path.name + ".png")
    formats = FigureCanvasAgg.get_supported_filetypes()
    if path.suffix[1:].lower() not in formats:
        raise CLIError(
            f"argument --output/-o: cannot write {path.suffix!r} images; use one of {', '.join(sorted(formats))}"
        )
    if not path.parent.is_dir():
        raise CLIError(f"argument --output/-o: directory {str(path.parent)!r} does not exist")
    return path


# ---------------------------------------------------------------------------- commands
def cmd_list(args: argparse.Namespace) -> int:
    from inventory_zoo.policies.registry import policy_help

    for name, entry in ENVS.items():
        print(f"{name:<14} {entry.summary}")
        for p in _presets(name):
            print(f"  preset {p}" + ("  (default for train)" if p == entry.default_preset else ""))
    print("\npolicies (NAME[:ARGS]):")
    print(policy_help())
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    module = env_module(args.env)
    preset = _preset(args)
    try:
        cfg = module.resolve_kwargs(preset)
        env = module.parallel_env(preset=preset)
    except (TypeError, ValueError) as e:
        raise CLIError(str(e)) from None
    if args.json:
        plain = (int, float, str, bool, type(None))
        print(json.dumps({k: (v if isinstance(v, plain) else repr(v)) for k, v in cfg.items()}, indent=2))
        return 0
    print(args.env + (f" (preset {preset})" if preset else ""))
    print(f"agents: {', '.join(env.possible_agents)}")
    print(f"observation: {env.observation_space(env.possible_agents[0])}")
    print(f"action: {env.action_space(env.possible_agents[0])}")
    print("parameters:")
    width = max(len(k) for k in cfg)
    for k, v in cfg.items():
        print(f"  {k:<{width}}  {v!r}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from inventory_zoo.evaluation import evaluate

    env = _make_env(args)
    _check_size(env, args)
    policy = _policy(args.policy, env, args)
    report = evaluate(env, policy, episodes=args.episodes, seed=args.seed)
    if args.json:
        head = {"env": args.env, "preset": args.preset, "policy": args.policy}
        print(json.dumps(_clean({**head, **report.as_dict()}), indent=2))
    else:
        print(args.env + (f" preset {args.preset}" if args.preset else "") + f", policy {policy!r}")
        print(report.table())
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from inventory_zoo.evaluation import compare
    from inventory_zoo.policies.registry import canonical

    seen: dict[str, str] = {}
    for spec in args.policies:
        key = canonical(spec)
        if key in seen:
            raise CLIError(
                f"argument --policies: {spec!r} is the same policy as {seen[key]!r}; list each policy once"
            )
        seen[key] = spec
    env = _make_env(args)
    _check_size(env, args)
    pols = {p: _policy(p, env, args) for p in args.policies}
    rows = compare(env, pols, episodes=args.episodes, seed=args.seed, show=not args.json)
    if args.json:
        print(json.dumps(_clean(rows), indent=2))
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from inventory_zoo.render import plot_episode

    try:
        path = _chart_path(args.output)
    except ImportError:
        raise CLIError("plot needs matplotlib: pip install 'inventory-zoo[plot]'") from None
    env = _make_env(args)
    policy = _policy(args.policy, env, args)
    try:
        plot_episode(env, policy, path=str(path), seed=args.seed, size=(args.width, args.height))
    except OSError as e:
        raise CLIError(f"argument --output/-o: cannot write {str(path)!r}: {e.strerror or e}") from None
    print(f"wrote {path}")
    return 0


def cmd_play(argv: list[str]) -> int:
    from inventory_zoo import play

    return int(play.main(argv) or 0)


def cmd_train(argv: list[str]) -> int:
    """Forward ``argv`` to the learners' command (``inventory_zoo.agents.cli:main``)."""
    try:
        train = importlib.import_module("inventory_zoo.agents.cli")
    except ModuleNotFoundError as e:
        raise CLIError(
            f"train needs the train extra ({e.name} is not installed): pip install 'inventory-zoo[train]'"
        ) from None
    return int(train.main(list(argv)) or 0)


# ---------------------------------------------------------------------------- parser
def _env_options(q: argparse.ArgumentParser) -> None:
    """ENV and --preset."""
    envs = ", ".join(env_names())
    q.add_argument("env", type=_env_name, metavar="ENV", help=f"the env: {envs} (any case; - for _)")
    q.add_argument("--preset", help="a preset of the env (see `inventory-zoo list`; default: none)")


def _run_options(q: argparse.ArgumentParser, episodes: bool = True) -> None:
    """The options of commands that play episodes: ENV, --preset, --episodes, --seed,
    --max-cycles, --budget, --device."""
    _env_options(q)
    if episodes:
        q.add_argument(
            "--episodes",
            type=_int_in(1, MAX_EPISODES),
            default=10,
            help="episodes, played together as one batch (default: 10)",
        )
    q.add_argument(
        "--seed",
        type=_int_in(0, 2**63 - 1),
        default=0,
        help="episode k is seeded SEED + k, for every policy (default: 0)",
    )
    q.add_argument(
        "--max-cycles",
        type=_int_in(1, MAX_PERIODS),
        default=None,
        dest="max_cycles",
        metavar="T",
        help="periods per episode (default: the env's)",
    )
    q.add_argument(
        "--budget",
        type=_int_in(1, 100_000),
        default=None,
        help="work of policies that tune: candidates of tuned:FAMILY, episodes per candidate of "
        "search (default: the policy's own); tuning never plays the scored episodes",
    )
    q.add_argument(
        "--device",
        choices=("cpu", "cuda", "auto"),
        default="cpu",
        help="where a trained model (happo:, ppo:, rllib:) runs (default: cpu)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand but ``play`` and ``train``, which forward their
    arguments (``inventory-zoo play --help``, ``inventory-zoo train --help``)."""
    from inventory_zoo import __version__
    from inventory_zoo.policies.registry import policy_help

    policies = "policies (NAME[:ARGS]):\n" + policy_help()
    p = _Parser(prog=PROG, description="Multi-echelon inventory environments and baselines.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="envs, presets and policy names").set_defaults(fn=cmd_list)

    d = sub.add_parser("describe", help="every parameter of an env (with a preset)")
    _env_options(d)
    d.add_argument("--json", action="store_true", help="the parameters alone, as JSON")
    d.set_defaults(fn=cmd_describe)

    def sub_parser(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help,
            description=help,
            epilog=policies,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    e = sub_parser("evaluate", "the KPIs of one policy")
    _run_options(e)
    e.add_argument(
        "--policy", required=True, type=_policy_name, help="NAME[:ARGS], e.g. optimal, base_stock:9,6,11"
    )
    e.add_argument("--json", action="store_true", help="machine-readable output")
    e.set_defaults(fn=cmd_evaluate)

    c = sub_parser("compare", "several policies on the same demand (common random numbers)")
    _run_options(c)
    c.add_argument(
        "--policies", nargs="+", required=True, type=_policy_name, help="NAME[:ARGS] ..., each once"
    )
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.set_defaults(fn=cmd_compare)

    pl = sub_parser("plot", "a chart of one episode (needs matplotlib)")
    _run_options(pl, episodes=False)
    pl.add_argument("--policy", required=True, type=_policy_name, help="NAME[:ARGS]")
    pl.add_argument(
        "--output",
        "-o",
        default=DEFAULT_CHART,
        help=f"the image file (.png, .svg, .pdf, ...; no extension: .png; a directory: DIR/{DEFAULT_CHART})",
    )
    size = _int_in(MIN_PIXELS, MAX_PIXELS)
    pl.add_argument("--width", type=size, default=900, help="width in pixels (default: 900)")
    pl.add_argument("--height", type=size, default=600, help="height in pixels (default: 600)")
    pl.set_defaults(fn=cmd_plot)

    # Listed for the help; main() forwards everything after these words before parsing.
    sub.add_parser("play", help="play a role of the beer game in the terminal (play --help)", add_help=False)
    sub.add_parser("train", help="train a learner: train ppo|happo|rllib ... (train --help)", add_help=False)
    return p


def _run(argv: list[str]) -> int:
    if argv[:1] == ["play"]:  # everything after "play" (--help included) belongs to play mode
        return cmd_play(argv[1:])
    if argv[:1] == ["train"]:
        return cmd_train(argv[1:])
    args = build_parser().parse_args(argv)
    return args.fn(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``inventory-zoo`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = f"{PROG} {argv[0]}" if argv and not argv[0].startswith("-") else PROG
    try:
        status = _run(argv)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        return status
    except CLIError as e:
        print(f"{command}: error: {e}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"{command}: error: not enough memory: use fewer --episodes or --max-cycles", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader left (e.g. `| head`): send what remains to devnull so the exit flush is quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
