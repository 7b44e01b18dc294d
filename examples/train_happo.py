"""Train HAPPO (one actor per agent, a centralised critic) on an inventory-zoo env.

    python examples/train_happo.py --env serial_v0 --preset liu2022 --timesteps 2000000
    python examples/train_happo.py --env serial_v0 --preset snyder_shen_6_1 --reward-mix 1 \\
        --actor-input global --action-mode level --max-level 40 --action-head ordinal \\
        --anneal-lr --time-limit 480
    python examples/train_happo.py --env network_v0 --preset liu2022_2x3 --device cuda
    python examples/train_happo.py --paper --timesteps 200000        # Liu et al.'s settings
    python examples/train_happo.py --resume runs/happo/<run>          # continue a run

The common flags (the same as ``examples/train_ppo.py``) are ``--env``, ``--preset``,
``--timesteps``, ``--device auto|cpu|cuda`` and ``--seed``; every other field of
:class:`inventory_zoo.agents.happo.Args` is a flag too (``--help`` lists them with their
meaning). Logs go to ``<run-dir>/tb`` (``tensorboard --logdir runs/happo``); the best model to
``<run-dir>/best.pt``. At the end the best model is compared with base-stock baselines.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from dataclasses import MISSING, fields

from inventory_zoo.agents import happo

#: Flags spelled as in examples/train_ppo.py -> Args field.
ALIASES = {"timesteps": "total_timesteps"}


def _base_type(tp: typing.Any) -> tuple[type, bool]:
    """(the field's value type, whether it accepts None)."""
    if isinstance(tp, str):
        tp = eval(tp, vars(typing) | {"Any": typing.Any})  # annotations are strings (PEP 563)
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        return _base_type(rest[0])[0], len(rest) < len(args)
    return (typing.get_origin(tp) or tp), False


def build_parser() -> argparse.ArgumentParser:
    helps = happo.args_help()
    p = argparse.ArgumentParser(
        description="Train HAPPO on an inventory-zoo env.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--paper", action="store_true", help="start from Liu et al.'s settings (happo.paper_args)")
    inverse = {v: k for k, v in ALIASES.items()}
    for f in fields(happo.Args):
        flag = "--" + inverse.get(f.name, f.name).replace("_", "-")
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        tp, optional = _base_type(f.type)
        kw: dict[str, typing.Any] = dict(dest=f.name, default=default, help=helps.get(f.name, ""))
        if tp is bool:
            kw["action"] = argparse.BooleanOptionalAction
        elif tp is tuple:
            kw.update(nargs="+", type=int)
        elif tp is dict:
            kw.update(type=json.loads, metavar="JSON")
        else:
            conv = tp if tp in (int, float, str) else str
            kw["type"] = (lambda s, c=conv: None if s.lower() == "none" else c(s)) if optional else conv
        p.add_argument(flag, **kw)
    return p


def main(argv: list[str] | None = None) -> happo.TrainResult:
    parser = build_parser()
    ns = parser.parse_args(argv)
    given = {k: v for k, v in vars(ns).items() if k != "paper"}
    if ns.paper:
        # Paper settings, with the flags the user typed on top.
        tokens = argv if argv is not None else sys.argv[1:]
        typed = {
            a.dest
            for a in parser._actions
            for o in a.option_strings
            if any(t == o or t.startswith(o + "=") for t in tokens)
        }
        args = happo.paper_args(**{k: v for k, v in given.items() if k in typed})
    else:
        args = happo.Args(**given)
    result = happo.train(args)
    print(
        f"\nbest evaluation cost {result.best_cost:.3f} per period (iteration {result.best_iteration}); "
        f"{result.global_step:,} env-steps in {result.wall_time:.0f} s = {result.sps:,.0f} env-steps/s; "
        f"run directory {result.run_dir}"
    )
    return result


if __name__ == "__main__":
    main()
