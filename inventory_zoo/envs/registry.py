"""The one table of the library's envs, read by registration, the CLI and the learners.

Each entry names an env module (with ``env``/``parallel_env``/``raw_env`` and a ``vector_env``
where it has one), its PettingZoo id and the preset used when none is given, so that
``--env X`` alone works for every env.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

__all__ = ["EnvEntry", "ENVS", "env_entry", "env_module", "env_names"]


@dataclass(frozen=True)
class EnvEntry:
    """One env of the library.

    Attributes:
        name: the module's short name, e.g. ``"serial_v0"`` (the CLI's ``--env``).
        module: import path of the env module.
        pz_id: PettingZoo registry id, e.g. ``"inventory_zoo/serial-v0"``.
        default_preset: the preset used when a command names none (``None``: the env's defaults).
        summary: one line for ``list`` and help texts.
    """

    name: str
    module: str
    pz_id: str
    default_preset: str | None
    summary: str


ENVS: dict[str, EnvEntry] = {
    e.name: e
    for e in (
        EnvEntry(
            "serial_v0",
            "inventory_zoo.serial_v0",
            "inventory_zoo/serial-v0",
            "liu2022",
            "serial chain of stages (the origin paper's env, Clark-Scarf, ...)",
        ),
        EnvEntry(
            "network_v0",
            "inventory_zoo.network_v0",
            "inventory_zoo/network-v0",
            "liu2022_2x3",
            "any acyclic network: multi-sourcing, capacities, allocation rules",
        ),
        EnvEntry(
            "beer_game_v0",
            "inventory_zoo.beer_game_v0",
            "inventory_zoo/beer-game-v0",
            "classic",
            "Sterman's beer game: four positions, order and shipping delays",
        ),
    )
}


def env_entry(name: str) -> EnvEntry:
    """The entry of env ``name`` (``serial_v0``, ``serial-v0`` or the PettingZoo id).

    Raises:
        ValueError: naming the env and listing the known ones.
    """
    key = name.removeprefix("inventory_zoo/").replace("-", "_")
    if key not in ENVS:
        raise ValueError(f"unknown env {name!r}; envs are {sorted(ENVS)}")
    return ENVS[key]


def env_module(name: str) -> ModuleType:
    """The imported module of env ``name`` (see :func:`env_entry`)."""
    return importlib.import_module(env_entry(name).module)


def env_names() -> list[str]:
    """The envs' short names, in table order."""
    return list(ENVS)
