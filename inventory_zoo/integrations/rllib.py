"""RLlib (Ray) bridge: the library's envs as RLlib multi-agent envs, and trained RLlib modules
as library policies.

Importing this module imports Ray and torch; ``import inventory_zoo`` never does.

What was tested (``tests/test_rllib.py``): RLlib's own ``ParallelPettingZooEnv`` wrapper is
*right* for these envs: it passes RLlib's multi-agent env checker, and at ``max_cycles`` it
reports ``truncateds["__all__"] = True`` and ``terminateds["__all__"] = False`` (the envs end
episodes only by truncation, so RLlib bootstraps the value of the last state). The adapter
below, :class:`InventoryMultiAgentEnv`, therefore keeps its ``step``/``reset`` and adds only:

- the per-agent ``observation_spaces`` / ``action_spaces`` dicts of RLlib's new API stack
  (the wrapper sets only the old stack's ``Dict`` spaces, which RLlib falls back to);
- an optional ``reward_scale`` (rewards divided by it, for training only: raw costs of
  hundreds per period make the value targets slow to fit; evaluation always scores raw costs);
- optional order-up-to ``"level"`` actions (one continuous level per agent, turned into the
  order that lifts its installation position to it), the parameterisation the trainer uses.

Checkpoints written by RLlib are pickles (``cloudpickle`` of the module's class and
constructor arguments, ``pickle`` of its state): loading one runs code. Load only
checkpoints you made yourself (see ``docs/rllib.md``, "Trusting checkpoints").
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium.spaces import Box, MultiDiscrete
from gymnasium.spaces import Dict as DictSpace
from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv

from inventory_zoo.envs.registry import ENVS, env_entry, env_module
from inventory_zoo.policies.base import Policy

__all__ = [
    "InventoryMultiAgentEnv",
    "RLlibPolicy",
    "make_env",
    "default_max_level",
    "levels_to_orders",
    "register_envs",
    "policy_from_checkpoint",
    "policy_factory",
    "META_FILE",
]

#: Keys of ``env_config`` read by the adapter, never passed to the env.
RESERVED_KEYS = ("reward_scale", "action_mode", "max_level")
#: Actions of the adapter: the env's order quantities, or order-up-to levels.
ACTION_MODES = ("order", "level")
#: File written next to an RLlib checkpoint by ``rllib_train``: env name, kwargs, sharing.
META_FILE = "inventory_zoo.json"


class InventoryMultiAgentEnv(ParallelPettingZooEnv):
    """An inventory_zoo ParallelEnv as an RLlib ``MultiAgentEnv``.

    RLlib's ``ParallelPettingZooEnv`` with per-agent spaces for the new API stack, an optional
    reward scale and optional order-up-to actions. Episodes end by truncation
    (``truncateds["__all__"]``) at ``max_cycles`` periods, never by termination.

    Args:
        par_env: a ParallelEnv of the library.
        reward_scale: rewards (minus costs, per period) are divided by this (> 0).
        action_mode: ``"order"`` (the env's own actions: order quantities) or ``"level"``: each
            agent's action is ``a`` in ``Box(-1, 1, (1,))`` and it orders what lifts its
            installation position to the level ``(a + 1) / 2 * max_level``
            (:func:`levels_to_orders`); a constant level per agent is then installation
            base-stock, the textbook's policy class, so learning starts from it.
        max_level: the level of action 1 (default :func:`default_max_level`).
    """

    def __init__(
        self,
        par_env: Any,
        reward_scale: float = 1.0,
        action_mode: str = "order",
        max_level: float | None = None,
    ) -> None:
        reward_scale = float(reward_scale)
        if not np.isfinite(reward_scale) or reward_scale <= 0:
            raise ValueError(f"reward_scale must be a finite number > 0, got {reward_scale!r}")
        if action_mode not in ACTION_MODES:
            raise ValueError(f"action_mode must be one of {ACTION_MODES}, got {action_mode!r}")
        super().__init__(par_env)
        self.reward_scale = reward_scale
        self.action_mode = action_mode
        # Agent order as the env defines it (the wrapper keeps a set).
        self.agents = list(par_env.possible_agents)
        self.possible_agents = list(par_env.possible_agents)
        self.observation_spaces = {a: par_env.observation_space(a) for a in self.possible_agents}
        if action_mode == "level":
            self.max_level = _check_max_level(par_env if max_level is None else max_level, par_env)
            self.action_spaces = {a: Box(-1.0, 1.0, (1,), np.float32) for a in self.possible_agents}
            self.action_space = DictSpace(self.action_spaces)
        else:
            self.max_level = None
            self.action_spaces = {a: par_env.action_space(a) for a in self.possible_agents}

    def step(self, action_dict: dict[str, Any]):
        if self.action_mode == "level":
            agents = self.possible_agents
            acts = np.stack([np.asarray(action_dict[a], np.float64).reshape(1) for a in agents])[None]
            q = levels_to_orders(acts, self.par_env, self.max_level)[0]
            action_dict = {a: (int(q[i]) if q.ndim == 1 else q[i]) for i, a in enumerate(agents)}
        obs, rew, term, trunc, info = super().step(action_dict)
        if self.reward_scale != 1.0:
            rew = {a: r / self.reward_scale for a, r in rew.items()}
        return obs, rew, term, trunc, info


def default_max_level(env: Any) -> int:
    """The level of action 1 in ``"level"`` mode: ``max_order * (longest replenishment time + 1)``.

    The replenishment time of a node is the order delay plus the (longest possible) lead time
    from its first supplier; an agent ordering ``max_order`` every period never holds more in
    its position, so every sensible level lies below.
    """
    from inventory_zoo.evaluation import unwrap_env

    penv = env if hasattr(env, "num_envs") else unwrap_env(env)
    p = penv.spec.params
    lead = np.where(p.random_lead_time, p.max_lead_time, p.lead_time) + p.order_delay  # per edge
    first = p.in_edge_index[p.in_edge_ptr[:-1]]  # each node's first supplier edge
    return int(penv.max_order * (int(lead[first].max()) + 1))


def _check_max_level(value: Any, env: Any) -> float:
    level = float(default_max_level(env)) if not isinstance(value, (int, float)) else float(value)
    if not np.isfinite(level) or level <= 0:
        raise ValueError(f"max_level must be a finite number > 0, got {value!r}")
    return level


def levels_to_orders(actions: np.ndarray, env: Any, max_level: float) -> np.ndarray:
    """The env's orders for level actions ``[B, N, 1]`` in ``[-1, 1]`` (clipped).

    Agent ``i`` orders ``clip(round(level) - IP_i, 0, max_order)`` with ``level = (a + 1) / 2 *
    max_level`` and ``IP_i`` its installation position
    (:func:`~inventory_zoo.policies.orders_up_to`; everything from the first supplier).
    """
    from inventory_zoo.policies.base_stock import orders_up_to

    a = np.clip(np.asarray(actions, np.float64)[..., 0], -1.0, 1.0)
    return orders_up_to((a + 1.0) * (0.5 * max_level), env, "installation")


def make_env(name: str, env_config: dict[str, Any] | None = None) -> InventoryMultiAgentEnv:
    """Build env ``name`` (``serial_v0``, ``inventory_zoo/serial-v0``, ...) for RLlib.

    Args:
        name: an env of :data:`inventory_zoo.envs.registry.ENVS`.
        env_config: the env's keyword arguments (``preset`` included; without one, the env's
            default preset from the registry), plus the adapter's ``reward_scale``,
            ``action_mode`` and ``max_level`` (see :class:`InventoryMultiAgentEnv`). RLlib's ``EnvContext`` is a dict and works as is.
    """
    entry = env_entry(name)
    kwargs = dict(env_config or {})
    adapter = {k: kwargs.pop(k) for k in RESERVED_KEYS if k in kwargs}
    kwargs.setdefault("preset", entry.default_preset)
    return InventoryMultiAgentEnv(env_module(entry.name).parallel_env(**kwargs), **adapter)


def register_envs() -> list[str]:
    """Register every env of the library with Ray's registry under its PettingZoo id.

    Afterwards ``PPOConfig().environment("inventory_zoo/serial-v0", env_config={"preset":
    "liu2022"})`` works on every node (the creators are shipped with the config).

    Returns:
        the registered ids, e.g. ``["inventory_zoo/serial-v0", ...]``.
    """
    from ray.tune.registry import register_env

    ids = []
    for entry in ENVS.values():
        register_env(entry.pz_id, functools.partial(make_env, entry.name))
        ids.append(entry.pz_id)
    return ids


# --------------------------------------------------------------------------- policies


def _obs_scale(env: Any) -> float:
    """The divisor the env applies to its observations (1.0 for raw units)."""
    batch = getattr(env, "batch", None)
    if batch is None:
        from inventory_zoo.evaluation import unwrap_env

        batch = unwrap_env(env).batch
    return 1.0 if batch.obs_scale is None else float(batch.obs_scale)


class RLlibPolicy(Policy):
    """Greedy actions of trained RLlib modules, as a library policy.

    Each agent is served by the module its policy mapping gives it: one ``"shared"`` module
    for all agents, or one module per agent (named after the agent).

    Args:
        modules: ``{module_id: RLModule}`` (torch modules of RLlib's new API stack).
        mapping: ``{agent: module_id}``; ``None`` infers it (one module per agent when every
            agent has a module of its name, else the one module).
        obs_scale: the divisor of the observations the modules were trained on (1.0: raw
            units); observations from an env that scales differently are rescaled.
        meta: what the run recorded (env, env kwargs, sharing, ``action_mode`` and
            ``max_level``: with ``"level"``, the modules' actions are order-up-to levels,
            turned into orders as in training).
    """

    def __init__(
        self,
        modules: dict[str, Any],
        mapping: dict[str, str] | None = None,
        obs_scale: float = 1.0,
        meta: dict[str, Any] | None = None,
    ) -> None:
        if not modules:
            raise ValueError("modules must hold at least one RLModule")
        self.modules = dict(modules)
        self.mapping = mapping
        self.obs_scale = float(obs_scale)
        self.meta = dict(meta or {})
        for m in self.modules.values():
            m.eval()

    def __repr__(self) -> str:
        return f"RLlibPolicy(modules={sorted(self.modules)}, env={self.meta.get('env')!r})"

    def _mapping(self, agents: list[str]) -> dict[str, str]:
        if self.mapping is not None:
            missing = [a for a in agents if a not in self.mapping]
            if missing:
                raise ValueError(f"no module for agents {missing}; the mapping covers {sorted(self.mapping)}")
            return self.mapping
        if all(a in self.modules for a in agents):
            return {a: a for a in agents}
        if len(self.modules) == 1:
            (only,) = self.modules
            return dict.fromkeys(agents, only)
        raise ValueError(
            f"cannot map agents {agents} to modules {sorted(self.modules)}; pass mapping={{agent: module}}"
        )

    def check_env(self, env: Any) -> None:
        """Raise ValueError, naming both, when ``env``'s agents or observations do not fit."""
        from inventory_zoo.evaluation import unwrap_env

        penv = unwrap_env(env)
        agents = list(penv.possible_agents)
        mapping = self._mapping(agents)
        for a in agents:
            want = self.modules[mapping[a]].observation_space.shape
            got = penv.observation_space(a).shape
            if tuple(want) != tuple(got):
                raise ValueError(
                    f"the checkpoint's module for {a!r} takes observations of shape {tuple(want)}, the env "
                    f"gives {tuple(got)}; use the env it was trained on (recorded: {self.meta.get('env')!r} "
                    f"with {self.meta.get('env_kwargs')})"
                )

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        """Greedy actions ``[B, N]`` (``[B, N, k]`` for multi-sourcing) for ``obs [B, N, D]``."""
        import torch

        agents = list(getattr(env, "agents", None) or env.possible_agents)
        scale = _obs_scale(env) / self.obs_scale
        # Counts times 1/scale in float64, then float32: the very values the env itself gives.
        obs = (np.asarray(obs, np.float64) * scale if scale != 1.0 else np.asarray(obs)).astype(np.float32)
        mapping = self._mapping(agents)
        out: list[np.ndarray | None] = [None] * len(agents)
        groups: dict[str, list[int]] = {}
        for i, a in enumerate(agents):
            groups.setdefault(mapping[a], []).append(i)
        with torch.no_grad():
            for mid, idx in groups.items():
                module = self.modules[mid]
                x = obs[:, idx].reshape(-1, obs.shape[-1])
                want = module.observation_space.shape
                if want is not None and tuple(want) != (obs.shape[-1],):
                    raise ValueError(
                        f"module {mid!r} takes observations of shape {tuple(want)}, the env gives "
                        f"({obs.shape[-1]},); evaluate it on the env it was trained on "
                        f"(recorded: {self.meta.get('env')!r} with {self.meta.get('env_kwargs')})"
                    )
                logits = module.forward_inference({"obs": torch.from_numpy(x)})["action_dist_inputs"]
                dist = module.get_inference_action_dist_cls().from_logits(logits).to_deterministic()
                a = dist.sample().numpy().reshape(obs.shape[0], len(idx), -1)
                for j, i in enumerate(idx):
                    out[i] = a[:, j]
        act = np.stack(out, axis=1)  # [B, N, k]
        if self.meta.get("action_mode") == "level":
            return levels_to_orders(act, env, float(self.meta["max_level"]))
        act = act.astype(np.int64)
        multi = any(isinstance(m.action_space, MultiDiscrete) for m in self.modules.values())
        return act if multi else act[..., 0]


def _find_checkpoint(path: Path) -> Path:
    """The RLlib algorithm checkpoint in ``path`` (itself, or ``path/checkpoint`` of a run dir)."""
    for cand in (path, path / "checkpoint"):
        if (cand / "learner_group").is_dir():
            return cand
    raise ValueError(
        f"{str(path)!r} is neither an RLlib checkpoint directory (with learner_group/) nor a run "
        "directory of examples/train_rllib.py (with checkpoint/)"
    )


def policy_from_checkpoint(path: str | Path, *, trusted: bool = False) -> RLlibPolicy:
    """The greedy library policy of a trained RLlib run.

    Args:
        path: a run directory of ``examples/train_rllib.py`` /
            ``inventory_zoo.integrations.rllib_train`` or its ``rllib_policy.pt``: the model file,
            plain tensors and JSON, loaded without unpickling (safe to take from others); or, with
            ``trusted=True`` only, an RLlib algorithm checkpoint directory
            (``Algorithm.save_to_path``), which is pickles: load only checkpoints you made.
        trusted: allow loading RLlib's pickled checkpoint when there is no model file. Never the
            default, and no command-line flag sets it.

    Returns:
        an :class:`RLlibPolicy` that :func:`inventory_zoo.evaluate` accepts.

    Raises:
        ValueError: ``path`` does not exist or holds neither a model file nor a checkpoint.
        UnsafeModelFileError: only a pickled checkpoint is there (and ``trusted`` is False), or
            the model file would need unpickling.
    """
    from inventory_zoo.agents.common import UnsafeModelFileError
    from inventory_zoo.integrations.rllib_files import POLICY_FILE, load_policy_file

    p = Path(path).expanduser()
    if not p.exists():
        raise ValueError(f"checkpoint path {str(path)!r} does not exist")
    for cand in (p, p / POLICY_FILE, p.parent / POLICY_FILE if p.name == "checkpoint" else None):
        if cand is not None and cand.is_file():
            modules, meta = load_policy_file(cand)
            return RLlibPolicy(modules, meta.get("mapping"), float(meta.get("obs_scale", 1.0)), meta)
    ckpt = _find_checkpoint(p)
    if not trusted:
        raise UnsafeModelFileError(
            f"{str(path)!r} holds only an RLlib checkpoint, which is pickles (loading it can run code). "
            f"Load a run directory with its {POLICY_FILE}, or, for a checkpoint you made yourself, "
            "policy_from_checkpoint(path, trusted=True)"
        )
    from ray.rllib.core import COMPONENT_LEARNER, COMPONENT_LEARNER_GROUP, COMPONENT_RL_MODULE
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModule

    meta_path = ckpt / META_FILE
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    mdir = ckpt / COMPONENT_LEARNER_GROUP / COMPONENT_LEARNER / COMPONENT_RL_MODULE
    multi = MultiRLModule.from_checkpoint(mdir.as_posix())
    modules = {mid: multi[mid] for mid in multi.keys()}
    return RLlibPolicy(modules, meta.get("mapping"), float(meta.get("obs_scale", 1.0)), meta)


def policy_factory(
    env: Any, args: str, *, seed: int = 0, budget: int | None = None, device: str = "cpu", **_: Any
) -> RLlibPolicy:
    """``rllib:PATH`` for the policy registry: the greedy policy of the checkpoint at ``PATH``.

    ``seed`` and ``budget`` are unused (nothing is trained); the modules run on the CPU.

    Raises:
        ValueError: no ``PATH`` given, or no checkpoint there.
    """
    if not args:
        raise ValueError("rllib needs a checkpoint: rllib:PATH (an RLlib checkpoint or a run directory)")
    policy = policy_from_checkpoint(args)
    policy.check_env(env)
    return policy
