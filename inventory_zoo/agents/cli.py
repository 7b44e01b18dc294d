"""``inventory-zoo train ALGO [...]``: dispatch to the learner's own command line.

Each learner is imported only when named, so ``train --help`` needs none of torch, SB3 or ray,
and a learner whose extra is missing says which one to install (one line, exit 2).
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["LEARNERS", "main"]

#: learner -> ("module:function" of its ``main(argv) -> int``, the extra it needs, help line).
LEARNERS: dict[str, tuple[str, str, str]] = {
    "ppo": ("inventory_zoo.agents.ppo.cli:main", "train", "shared-parameter PPO (Stable-Baselines3)"),
    "happo": (
        "inventory_zoo.agents.happo.cli:main",
        "train",
        "HAPPO: one actor per agent, sequential updates",
    ),
    "rllib": ("inventory_zoo.integrations.rllib_train:main", "rllib", "RLlib's PPO (multi-agent, Ray)"),
}

#: Top-level modules of the extras: a ModuleNotFoundError naming one of them means "install".
_EXTRA_MODULES = {"torch", "stable_baselines3", "supersuit", "tensorboard", "tqdm", "rich", "tyro", "ray"}

USAGE = (
    "usage: inventory-zoo train {"
    + ",".join(LEARNERS)
    + "} [--help] [OPTIONS]\n\nlearners:\n"
    + "\n".join(f"  {name:<8}{help_}" for name, (_, _, help_) in LEARNERS.items())
)


def main(argv: list[str] | None = None) -> int:
    """Run ``inventory-zoo train`` with ``argv`` (the arguments after ``train``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    name = argv[0]
    if name not in LEARNERS:
        print(
            f"inventory-zoo train: unknown learner {name!r}; learners are {', '.join(LEARNERS)}",
            file=sys.stderr,
        )
        return 2
    target, extra, _ = LEARNERS[name]
    module_name, attr = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        missing = (e.name or "").split(".")[0]
        if missing in _EXTRA_MODULES:
            print(
                f"inventory-zoo train {name}: install inventory-zoo[{extra}] (missing {missing})",
                file=sys.stderr,
            )
            return 2
        if e.name and module_name.startswith(e.name):  # the learner's own module is not here
            print(
                f"inventory-zoo train {name}: not available in this version of inventory-zoo", file=sys.stderr
            )
            return 2
        raise
    return int(getattr(module, attr)(argv[1:]) or 0)
