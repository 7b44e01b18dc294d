"""The ``inventory-zoo`` command: list, describe, evaluate, compare, plot (and play).

Policies are named ``NAME[:ARGS]``:

=====================  ===================================================================
``optimal``            echelon base-stock at the exact Clark-Scarf levels (serial envs)
``search``             installation base-stock at levels found by ``search_base_stock``
``base_stock:S1,S2``   installation base-stock at the given levels (one number: all agents)
``local_base_stock:S`` the same, each agent using only its own observation
``echelon:S1,S2``      echelon base-stock at the given levels (serial envs)
``ss:s1,s2/S1,S2``     (s, S) with reorder points s and order-up-to levels S
``constant:Q``         every agent orders Q per period
``random``             uniformly random orders
``sterman``            Sterman's anchor-and-adjust rule with its benchmark parameters
=====================  ===================================================================
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main", "ENV_MODULES", "make_policy"]

POLICY_HELP = """policies (NAME[:ARGS]):
  optimal               echelon base-stock at the exact Clark-Scarf levels (serial envs)
  search                installation base-stock at levels found by search_base_stock
  base_stock:S1,S2,...  installation base-stock at the given levels (one number: all agents)
  local_base_stock:S    the same, each agent using only its own observation
  echelon:S1,S2,...     echelon base-stock at the given levels (serial envs)
  ss:s1,s2/S1,S2        (s, S) with reorder points s and order-up-to levels S
  constant:Q            every agent orders Q per period
  random                uniformly random orders
  sterman               Sterman's anchor-and-adjust rule with its benchmark parameters"""

#: Env name -> module path; modules that are not installed yet are skipped.
ENV_MODULES = {
    "serial_v0": "inventory_zoo.serial_v0",
    "network_v0": "inventory_zoo.network_v0",
    "beer_game_v0": "inventory_zoo.beer_game_v0",
}

POLICY_NAMES = (
    "optimal",
    "search",
    "base_stock",
    "local_base_stock",
    "echelon",
    "ss",
    "constant",
    "random",
    "sterman",
)


class CLIError(Exception):
    """A user error: printed without a traceback, exit status 2."""


def _available_envs() -> dict[str, Any]:
    out = {}
    for name, path in ENV_MODULES.items():
        try:
            out[name] = importlib.import_module(path)
        except ModuleNotFoundError as e:
            if e.name != path:
                raise
    return out


def _env_module(name: str):
    envs = _available_envs()
    key = name.replace("-", "_")
    if key not in envs:
        raise CLIError(f"unknown env {name!r}; envs are {sorted(envs)}")
    return envs[key]


def _presets(env_name: str) -> list[str]:
    from inventory_zoo.presets import PRESETS

    return sorted(PRESETS.get(env_name, {}))


def _make_env(args: argparse.Namespace):
    module = _env_module(args.env)
    name = module.__name__.rsplit(".", 1)[-1]
    if args.preset is not None and args.preset not in _presets(name):
        raise CLIError(f"unknown preset {args.preset!r} for {name}; presets are {_presets(name)}")
    kwargs = {}
    if getattr(args, "max_cycles", None) is not None:
        kwargs["max_cycles"] = args.max_cycles
    try:
        return module.parallel_env(preset=args.preset, **kwargs)
    except (TypeError, ValueError) as e:
        raise CLIError(str(e)) from None


def _ints(text: str, what: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip() != ""]
    except ValueError:
        raise CLIError(f"{what}: expected comma-separated integers, got {text!r}") from None


def _levels(values: list[int]) -> int | list[int]:
    return values[0] if len(values) == 1 else values


def make_policy(spec: str, env: Any, seed: int = 0, search_episodes: int = 8) -> Any:
    """Build a policy from its command-line name and check it acts on ``env`` (see the module doc).

    Raises:
        CLIError: unknown name, bad arguments, or a policy that cannot act on this env.
    """
    from inventory_zoo.envs.vector import VectorEnv

    policy = _build_policy(spec, env, seed, search_episodes)
    try:  # levels of the wrong length and the like only show when the policy acts
        venv = VectorEnv(env, 1, auto_reset=False)
        obs, _ = venv.reset(seed=seed)
        if hasattr(policy, "reset"):
            policy.reset(venv)
        venv.step(policy.act(obs, venv))
    except (TypeError, ValueError) as e:
        raise CLIError(f"policy {spec!r} cannot act on this env: {e}") from None
    return policy


def _build_policy(spec: str, env: Any, seed: int, search_episodes: int) -> Any:
    from inventory_zoo import policies as pol

    name, _, arg = spec.partition(":")
    name = name.strip().lower().replace("-", "_")
    try:
        if name == "optimal":
            levels, _ = pol.optimal_serial_base_stock(env)
            return pol.EchelonBaseStock(levels)
        if name == "search":
            # Searched on other episodes than the ones it is then evaluated on.
            return pol.search_base_stock(
                env, episodes=search_episodes, seed=seed + 100_000, progress=False
            ).policy()
        if name in ("base_stock", "local_base_stock"):
            if not arg:
                raise CLIError(f"policy {spec!r}: give levels, e.g. {name}:20 or {name}:9,6,11")
            return pol.BaseStock(_levels(_ints(arg, name)), sequential=name == "base_stock")
        if name == "echelon":
            return pol.EchelonBaseStock(_levels(_ints(arg, "echelon")))
        if name == "ss":
            low, _, high = arg.partition("/")
            return pol.SS(_levels(_ints(low, "ss s")), _levels(_ints(high, "ss S")))
        if name == "constant":
            return pol.ConstantOrder(_levels(_ints(arg, "constant")))
        if name == "random":
            return pol.RandomPolicy(seed)
        if name == "sterman":
            if not hasattr(pol, "Sterman"):
                raise CLIError("the Sterman policy is not available in this version")
            return pol.Sterman.benchmark(env) if hasattr(pol.Sterman, "benchmark") else pol.Sterman()
    except (TypeError, ValueError) as e:
        raise CLIError(f"policy {spec!r}: {e}") from None
    raise CLIError(f"unknown policy {spec!r}; policies are {', '.join(POLICY_NAMES)} (NAME[:ARGS])")


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


# ---------------------------------------------------------------------------- commands
def cmd_list(args: argparse.Namespace) -> int:
    for name, module in _available_envs().items():
        doc = (module.__doc__ or "").strip().splitlines()[0]
        print(f"{name:<14} {doc}")
        for p in _presets(name):
            print(f"  preset {p}")
    print("\npolicies: " + ", ".join(POLICY_NAMES) + "  (NAME[:ARGS], see inventory-zoo evaluate --help)")
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    module = _env_module(args.env)
    name = module.__name__.rsplit(".", 1)[-1]
    if args.preset is not None and args.preset not in _presets(name):
        raise CLIError(f"unknown preset {args.preset!r} for {name}; presets are {_presets(name)}")
    try:
        cfg = module.resolve_kwargs(args.preset)
    except (TypeError, ValueError) as e:
        raise CLIError(str(e)) from None
    env = module.parallel_env(preset=args.preset)
    if args.json:
        print(
            json.dumps(
                {
                    k: (v if isinstance(v, (int, float, str, bool, type(None))) else repr(v))
                    for k, v in cfg.items()
                },
                indent=2,
            )
        )
        return 0
    print(f"{name}" + (f" (preset {args.preset})" if args.preset else ""))
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
    policy = make_policy(args.policy, env, args.seed)
    report = evaluate(env, policy, episodes=args.episodes, seed=args.seed)
    if args.json:
        print(
            json.dumps(
                _clean({"env": args.env, "preset": args.preset, "policy": args.policy, **report.as_dict()}),
                indent=2,
            )
        )
    else:
        print(f"{args.env}" + (f" preset {args.preset}" if args.preset else "") + f", policy {policy!r}")
        print(report.table())
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from inventory_zoo.evaluation import compare

    env = _make_env(args)
    pols = {p: make_policy(p, env, args.seed) for p in args.policies}
    rows = compare(env, pols, episodes=args.episodes, seed=args.seed, show=not args.json)
    if args.json:
        print(json.dumps(_clean(rows), indent=2))
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from inventory_zoo.render import plot_episode

    env = _make_env(args)
    policy = make_policy(args.policy, env, args.seed)
    try:
        plot_episode(env, policy, path=args.output, seed=args.seed, size=(args.width, args.height))
    except ImportError as e:
        raise CLIError(str(e)) from None
    print(f"wrote {args.output}")
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    try:
        play = importlib.import_module("inventory_zoo.play")
    except ModuleNotFoundError:
        raise CLIError("play mode is not available in this version") from None
    return int(play.main(args.rest) or 0)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="inventory-zoo", description="Multi-echelon inventory environments and baselines."
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="envs, presets and policies").set_defaults(fn=cmd_list)

    d = sub.add_parser("describe", help="every parameter of an env (with a preset)")
    d.add_argument("env")
    d.add_argument("--preset")
    d.add_argument("--json", action="store_true")
    d.set_defaults(fn=cmd_describe)

    def common(q: argparse.ArgumentParser, episodes: bool = True) -> None:
        q.add_argument("env")
        q.add_argument("--preset")
        if episodes:
            q.add_argument("--episodes", type=int, default=10)
        q.add_argument("--seed", type=int, default=0)
        q.add_argument("--max-cycles", type=int, default=None, dest="max_cycles")

    e = sub.add_parser(
        "evaluate",
        help="KPIs of one policy",
        epilog=POLICY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(e)
    e.add_argument("--policy", required=True, help="NAME[:ARGS], e.g. optimal, base_stock:9,6,11")
    e.add_argument("--json", action="store_true", help="machine-readable output")
    e.set_defaults(fn=cmd_evaluate)

    c = sub.add_parser("compare", help="several policies on the same demand")
    common(c)
    c.add_argument("--policies", nargs="+", required=True, help="NAME[:ARGS] ...")
    c.add_argument("--json", action="store_true")
    c.set_defaults(fn=cmd_compare)

    pl = sub.add_parser("plot", help="write a PNG chart of one episode")
    common(pl, episodes=False)
    pl.add_argument("--policy", required=True)
    pl.add_argument("--output", "-o", default="episode.png")
    pl.add_argument("--width", type=int, default=900)
    pl.add_argument("--height", type=int, default=600)
    pl.set_defaults(fn=cmd_plot)

    g = sub.add_parser("play", help="play a role of the beer game in the terminal", add_help=False)
    g.add_argument("rest", nargs=argparse.REMAINDER)
    g.set_defaults(fn=cmd_play)
    return p


def cmd_train(argv: list[str]) -> int:
    """``train ALGO [...]``: :func:`inventory_zoo.agents.cli.main` (torch and friends on demand)."""
    try:
        from inventory_zoo.agents.cli import main as train_main
    except ImportError:
        print("inventory-zoo train: install inventory-zoo[train]", file=sys.stderr)
        return 2
    return train_main(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``inventory-zoo`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["play"]:  # everything after "play" (--help included) belongs to play mode
        try:
            return cmd_play(argparse.Namespace(rest=argv[1:]))
        except CLIError as e:
            print(f"inventory-zoo: error: {e}", file=sys.stderr)
            return 2
    if argv[:1] == ["train"]:  # everything after "train" belongs to the learner's command line
        return cmd_train(argv[1:])
    args = build_parser().parse_args(argv)
    for attr in ("episodes",):
        if getattr(args, attr, 1) is not None and getattr(args, attr, 1) < 1:
            print(f"inventory-zoo: error: --{attr} must be >= 1", file=sys.stderr)
            return 2
    try:
        return args.fn(args)
    except CLIError as e:
        print(f"inventory-zoo: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
