"""The one registry of policy names: ``NAME[:ARGS]`` -> a factory that builds the policy.

The command line (``--policy``, ``--policies``, ``list`` and the help texts) and the learners'
final tables read it. A factory has the signature::

    factory(env, args: str, *, seed: int = 0, budget: int | None = None, device: str = "cpu",
            **_) -> Policy

``env`` is a ParallelEnv of the library, ``args`` the text after the first ``:`` (or ``""``),
``budget`` a size of work for policies that tune or load something (e.g. the episodes per
candidate of ``search``) and ``device`` where a learned model runs. A factory raises
``ValueError`` with a clear message on bad ``args``.

Entries are registered as callables or lazily as ``"module:attr"`` strings, so that listing the
names imports neither torch nor ray:

>>> from inventory_zoo.policies.registry import make_policy, register_policy
>>> register_policy("half", "my_package.policies:half_factory", "orders half the demand")
>>> policy = make_policy("base_stock:9,6,11", env)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inventory_zoo.core.validation import check_seed
from inventory_zoo.policies.base import Policy

__all__ = [
    "PolicyEntry",
    "canonical",
    "check_policy",
    "make_policy",
    "parse_policy",
    "policy_entries",
    "policy_entry",
    "policy_help",
    "policy_names",
    "register_policy",
]

Factory = Callable[..., Any]


@dataclass(frozen=True)
class PolicyEntry:
    """One policy name.

    Attributes:
        name: the name (lower case, ``_`` between words).
        factory: the factory, or ``"module:attr"`` where it is imported from on first use.
        help: one line saying what the policy does.
        args: the form of ``ARGS`` (``""``: the policy takes none), e.g. ``"S1,S2,..."``.
        extra: the pip extra its module needs (``"train"``, ``"rllib"``), if any.
    """

    name: str
    factory: Factory | str
    help: str
    args: str = ""
    extra: str | None = None

    @property
    def usage(self) -> str:
        """``NAME`` or ``NAME:ARGS``."""
        return f"{self.name}:{self.args}" if self.args else self.name

    def load(self) -> Factory:
        """The factory, imported if it was registered as ``"module:attr"``.

        Raises:
            ValueError: its module or one of the module's dependencies is not installed
                (naming the extra to install).
        """
        if callable(self.factory):
            return self.factory
        module, _, attr = self.factory.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as e:
            hint = f": pip install 'inventory-zoo[{self.extra}]'" if self.extra else ""
            raise ValueError(f"policy {self.name!r} needs {e.name}, which is not installed{hint}") from None
        except AttributeError:
            raise ValueError(f"policy {self.name!r}: {module} has no {attr!r}") from None


_REGISTRY: dict[str, PolicyEntry] = {}


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def register_policy(
    name: str,
    factory: Factory | str,
    help: str,
    args: str = "",
    *,
    extra: str | None = None,
    replace: bool = False,
) -> PolicyEntry:
    """Add a policy name to the registry.

    Args:
        name: the name (case-insensitive; ``-`` and ``_`` are the same).
        factory: a factory (see the module doc) or ``"module:attr"`` to import on first use.
        help: one line for ``list`` and the help texts.
        args: the form of ``ARGS``, e.g. ``"S1,S2,..."`` (``""``: none).
        extra: the pip extra the factory's module needs, named in the error when it is missing.
        replace: allow replacing an existing name.

    Raises:
        ValueError: an empty name, a name with ``:``, a ``"module:attr"`` string without both
            parts, or a name already registered (without ``replace``).
        TypeError: ``factory`` is neither callable nor a string.
    """
    key = _key(name)
    if not key or ":" in key or any(c.isspace() for c in key):
        raise ValueError(f"policy name must be a non-empty word without ':' or spaces, got {name!r}")
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        if not module or not attr:
            raise ValueError(f"factory of {name!r} must be 'module:attr', got {factory!r}")
    elif not callable(factory):
        raise TypeError(
            f"factory of {name!r} must be callable or 'module:attr', got {type(factory).__name__}"
        )
    if key in _REGISTRY and not replace:
        raise ValueError(f"policy {key!r} is already registered (pass replace=True to replace it)")
    entry = PolicyEntry(key, factory, help, args, extra)
    _REGISTRY[key] = entry
    return entry


def policy_entries() -> list[PolicyEntry]:
    """The registered entries, in registration order."""
    return list(_REGISTRY.values())


def policy_names() -> list[str]:
    """The registered names, in registration order."""
    return list(_REGISTRY)


def policy_entry(name: str) -> PolicyEntry:
    """The entry of ``name`` (case-insensitive).

    Raises:
        ValueError: an unknown name, listing the known ones.
    """
    key = _key(name)
    if key not in _REGISTRY:
        raise ValueError(f"unknown policy {name!r}; policies are {', '.join(_REGISTRY)} (NAME[:ARGS])")
    return _REGISTRY[key]


def parse_policy(spec: str) -> tuple[PolicyEntry, str]:
    """Split ``"NAME[:ARGS]"`` into its entry and the ``ARGS`` text (case kept: it may be a path).

    Raises:
        ValueError: an unknown name.
        TypeError: ``spec`` is not a string.
    """
    if not isinstance(spec, str):
        raise TypeError(f"policy must be a string NAME[:ARGS], got {type(spec).__name__}")
    name, _, args = spec.partition(":")
    return policy_entry(name), args.strip()


def canonical(spec: str) -> str:
    """``spec`` with its name in the registry's spelling (``Base-Stock:9`` -> ``base_stock:9``)."""
    entry, args = parse_policy(spec)
    return f"{entry.name}:{args}" if args else entry.name


def make_policy(
    spec: str,
    env: Any,
    *,
    seed: int = 0,
    budget: int | None = None,
    device: str = "cpu",
    check: bool = True,
) -> Policy:
    """Build the policy named ``spec`` (``NAME[:ARGS]``) for ``env``.

    Args:
        spec: e.g. ``"optimal"``, ``"base_stock:9,6,11"``, ``"ppo:runs/x/model.zip"``.
        env: a ParallelEnv of the library.
        seed: the seed of a random policy, and where tuning policies start their episodes.
        budget: work size for policies that tune (``search``: episodes per candidate).
        device: where a learned model runs (``"cpu"``, ``"cuda"``, ``"auto"``).
        check: play one period with the policy, so that levels of the wrong length and the
            like are reported now rather than in the middle of an evaluation.

    Raises:
        ValueError: an unknown name, bad arguments, a missing extra, or a policy that cannot
            act on this env; the message names the policy.
    """
    entry, args = parse_policy(spec)
    seed = check_seed(seed)
    try:
        policy = entry.load()(env, args, seed=seed, budget=budget, device=device)
    except (TypeError, ValueError) as e:
        msg = str(e)
        named = msg.startswith(("policy ", f"{spec}:"))  # the factory already named it
        raise ValueError(msg if named else f"policy {spec!r}: {msg}") from None
    if check:
        check_policy(policy, env, spec, seed=seed)
    return policy


def check_policy(policy: Any, env: Any, spec: str = "", *, seed: int | None = 0) -> None:
    """Play one period of ``env`` with ``policy`` (on a copy: ``env`` is left as it was).

    Raises:
        ValueError: the policy cannot act on this env (e.g. levels of the wrong length).
    """
    from inventory_zoo.rollout import run_episodes

    try:
        for _ in run_episodes(env, policy, 1, seed, max_cycles=1):
            pass
    except (TypeError, ValueError) as e:
        raise ValueError(f"policy {spec or policy!r} cannot act on this env: {e}") from None


def policy_help() -> str:
    """A table of the registered names: ``NAME[:ARGS]`` and what each does."""
    width = 28  # a longer NAME[:ARGS] puts its help on the next line
    lines = []
    for e in policy_entries():
        if len(e.usage) < width - 1:
            lines.append(f"  {e.usage:<{width}}{e.help}")
        else:
            lines += [f"  {e.usage}", f"  {'':<{width}}{e.help}"]
    return "\n".join(lines)


_P = "inventory_zoo.policies.factories"
for _name, _args, _help in (
    ("optimal", "", "echelon base-stock at the exact Clark-Scarf levels (serial envs)"),
    ("search", "", "installation base-stock at levels found by search_base_stock"),
    ("base_stock", "S1,S2,...", "installation base-stock at the given levels (one number: all agents)"),
    ("local_base_stock", "S1,S2,...", "the same, each agent using only its own observation"),
    ("echelon", "S1,S2,...", "echelon base-stock at the given levels (serial envs)"),
    ("ss", "s1,s2,.../S1,S2,...", "(s, S): reorder points s and order-up-to levels S"),
    ("constant", "Q1,Q2,...", "every agent orders its Q per period"),
    ("random", "", "uniformly random orders, seeded with --seed"),
    ("sterman", "", "Sterman's anchor-and-adjust rule at its benchmark parameters (beer game)"),
):
    register_policy(_name, f"{_P}:{_name}", _help, _args)
register_policy(
    "happo", "inventory_zoo.agents.happo:policy_factory", "a trained HAPPO model", "PATH", extra="train"
)
register_policy(
    "ppo", "inventory_zoo.agents.ppo:policy_factory", "a trained PPO model", "PATH", extra="train"
)
register_policy(
    "rllib",
    "inventory_zoo.integrations.rllib:policy_factory",
    "a trained RLlib checkpoint",
    "PATH",
    extra="rllib",
)
register_policy(
    "tuned",
    "inventory_zoo.policies.tuning:policy_factory",
    "a heuristic family with tuned parameters",
    "FAMILY",
    extra="tune",
)

# The heuristic families (forecast-driven order-up-to, (s, S) on a forecast, capped base-stock,
# Sterman's rule on any chain): their names live beside their argument parsing.
from inventory_zoo.policies.cli_names import ENTRIES as _HEURISTICS  # noqa: E402

for _name, _factory, _args, _help in _HEURISTICS:
    if _key(_name) not in _REGISTRY:
        register_policy(_name, _factory, _help, _args)
