"""Every setting of a HAPPO run (:class:`Args`, also named :data:`HappoConfig`), Liu et al.'s
settings (:func:`paper_args`), the env a configuration describes (:func:`make_env`) and the plain
JSON form of a configuration stored in model files (:func:`config_to_json`, :func:`config_from_json`).

The field docstrings are the command line's help (``inventory-zoo train happo --help``, built by
tyro from this dataclass).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, fields
from typing import Annotated, Any

import numpy as np
import tyro
from tyro.constructors import PrimitiveConstructorSpec

from inventory_zoo.core import demand as _demand
from inventory_zoo.envs.registry import env_entry, env_module

__all__ = [
    "Args",
    "HappoConfig",
    "DEFAULT_PRESET",
    "paper_args",
    "args_dict",
    "make_env",
    "config_to_json",
    "config_from_json",
]

#: ``Args.preset`` value meaning "the env's default preset" (``inventory_zoo.envs.registry``).
DEFAULT_PRESET = "default"


def _parse_json_dict(args: list[str]) -> dict[str, Any]:
    value = json.loads(args[0])
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {args[0]!r}")
    return value


#: A dict given on the command line as one JSON object.
JsonDict = Annotated[
    dict[str, Any],
    PrimitiveConstructorSpec(
        nargs=1,
        metavar="JSON",
        instance_from_str=_parse_json_dict,
        is_instance=lambda x: isinstance(x, dict),
        str_from_instance=lambda x: [json.dumps(x, default=repr)],
    ),
]


@dataclass
class Args:
    """Every setting of a HAPPO run. Defaults are tuned for speed on a small CPU; see
    :func:`paper_args` for the settings of Liu et al.'s code."""

    # --- the environment
    env: str = "serial_v0"
    """env name: ``serial_v0``, ``network_v0`` or ``beer_game_v0`` (see ``inventory_zoo.envs.registry``)"""
    preset: str | None = DEFAULT_PRESET
    """named parameter set of the env: ``default`` (the env's default preset, e.g. ``liu2022`` for
    ``serial_v0``), a preset name, or ``None``/``none`` (the env's plain defaults)"""
    env_kwargs: JsonDict = field(default_factory=dict)
    """extra keyword arguments of the env as JSON (override the preset)"""
    reward_mix: float | None = None
    """weight of the team's mean cost in every agent's reward (``None``: the env's, e.g. 0.5 in
    ``liu2022``); 1.0 gives the fully cooperative team reward HAPPO's theory assumes"""

    # --- run
    seed: int = 1
    """seed of torch, of the agent order and of the training envs"""
    device: str = "auto"
    """``auto`` (CUDA when available), ``cpu`` or ``cuda`` (or ``cuda:N``)"""
    deterministic: bool = True
    """on CUDA, ``torch.use_deterministic_algorithms`` (CPU runs repeat exactly anyway, for a
    fixed ``num_threads``)"""
    num_threads: int = 0
    """torch CPU threads (0: one; small per-step tensors run fastest on one thread)"""
    total_timesteps: Annotated[int, tyro.conf.arg(aliases=("--timesteps",))] = 5_000_000
    """env-steps to train for (one env-step = one period of one env copy)"""
    time_limit: float = 0.0
    """stop after this many seconds of wall-clock (0: no limit)"""
    num_envs: int = 128
    """env copies stepped together (rows of every forward pass)"""
    num_steps: int = 25
    """periods per env copy per iteration (rollout length); a rollout may cut an episode"""
    train_max_cycles: int | None = None
    """episode length of the training envs (``None``: the env's); shorter training episodes
    restart more often from the initial state, and are bootstrapped where they are cut;
    evaluation always plays the env's full episodes"""

    # --- networks
    policy: str = "mlp"
    """actor type: ``mlp`` or ``gru`` (the paper's recurrent policy)"""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """hidden layer widths of actors and critic"""
    layer_norm: bool = True
    """LayerNorm after every hidden layer (as HARL and the paper)"""
    gru_layers: int = 1
    """GRU layers of a ``gru`` actor"""
    chunk_length: int = 10
    """a ``gru`` actor is trained on chunks of this many periods (must divide ``num_steps``)"""
    actor_input: str = "local"
    """what an actor sees: ``local`` (its own observation: decentralised execution, as the
    paper) or ``global`` (the global state ``env.state()``: every actor sees the whole chain)"""
    action_head: str = "categorical"
    """``categorical`` (a softmax over the order quantities, as the paper) or ``ordinal`` (a
    discretised Gaussian over them: nearby quantities share what is learned)"""
    action_mode: str = "order"
    """what an actor chooses: ``order`` (the order quantity: the env's own action) or ``level``
    (an order-up-to level in ``0..max_level``; the env receives
    ``inventory_zoo.policies.orders_up_to(levels, env, level_position)``, i.e.
    ``clip(level - position, 0, max_order)``, all from the first supplier when there are several)"""
    level_position: str = "installation"
    """the inventory position a ``level`` action lifts: ``installation`` (the agent's own: on hand +
    in transit + owed to it - what it owes; computable from its own observation) or ``echelon``
    (serial chains only: the stage's echelon position sums stock over every stage downstream, so
    the order needs the whole state; in the Clark-Scarf model a constant level per stage is then
    optimal)"""
    max_level: int | None = None
    """highest level of a ``level`` action (``None``: ``max_order * (longest lead time + 1)``)"""
    obs_scale: float | None = None
    """observations and states are divided by this (``None``: 1 when the env normalises them,
    else its ``max_order``)"""

    # --- optimisation
    actor_lr: float = 5e-4
    """actor learning rate (Adam)"""
    critic_lr: float = 5e-4
    """critic learning rate (Adam)"""
    adam_eps: float = 1e-5
    """Adam epsilon"""
    anneal_lr: bool = False
    """decay both learning rates linearly to 0 over the run: over ``total_timesteps``, or over
    ``time_limit`` when that ends the run first (then the schedule follows the clock, and the
    run does not repeat exactly)"""
    gamma: float = 0.95
    """discount factor"""
    gae_lambda: float = 0.95
    """GAE lambda"""
    update_epochs: int = 5
    """passes over the rollout per update (actors and critic)"""
    num_minibatches: int = 2
    """minibatches per pass"""
    clip_coef: float = 0.2
    """PPO ratio clip ``eps``"""
    value_clip: float = 0.2
    """value clip ``eps_v`` of the clipped value loss (0: no clipping)"""
    huber_delta: float = 10.0
    """Huber loss delta of the value loss"""
    ent_coef: float = 0.001
    """entropy bonus ``c_H``"""
    max_grad_norm: float = 10.0
    """gradient norm clip (actors and critic)"""
    norm_adv: bool = True
    """normalise each agent's advantages over the rollout"""
    value_norm: bool = True
    """train the critic on normalised returns (running mean and variance)"""
    value_norm_beta: float = 0.99999
    """decay of the value normaliser's running moments"""

    # --- evaluation, early stopping, files
    eval_interval: int = 10
    """evaluate the greedy policy every this many iterations (0: only at the end)"""
    eval_episodes: int = 20
    """episodes per evaluation (the same ones every time)"""
    eval_seed: int = 10_000
    """evaluation episode k is seeded ``eval_seed + k``"""
    patience: int = 10
    """stop after this many evaluations without improvement (0: never stop early)"""
    min_delta: float = 0.0
    """an evaluation improves when its cost is below the best by more than this"""
    run_dir: Annotated[str | None, tyro.conf.arg(aliases=("--out",))] = None
    """where TensorBoard logs and checkpoints go (``None``: ``runs/happo/<env>-<preset>-s<seed>-<time>``);
    a directory that holds another run is refused unless ``overwrite``"""
    overwrite: bool = False
    """allow ``run_dir`` to be a directory that holds another run (its files are replaced)"""
    tensorboard: bool = True
    """write TensorBoard logs"""
    checkpoint_interval: int = 10
    """save a resumable checkpoint every this many iterations (0: only at the end)"""
    keep_checkpoints: int = 2
    """numbered checkpoints kept in ``<run_dir>/checkpoints`` (``last.pt`` is always kept)"""
    save: bool = True
    """write checkpoints and ``best.pt`` at all"""
    resume: str | None = None
    """a checkpoint (``.pt``) or run directory to resume from (a full pickle: only resume from files
    you made); the run's saved settings are used, except ``total_timesteps``, ``time_limit``,
    ``progress``, ``run_dir``, ``overwrite`` and the final table's"""
    progress: bool = True
    """show a progress bar (only when stderr is a terminal)"""
    final_table: bool = True
    """at the end, compare the best model with base-stock baselines on fresh episodes"""
    test_episodes: int = 100
    """episodes of the final table"""
    test_seed: int = 20_000
    """final-table episode k is seeded ``test_seed + k`` (disjoint from evaluation)"""
    heuristic_budget: int = 100
    """trials per heuristic family tuned for the final table (forecast-driven order-up-to, (s, S)
    on a forecast, capped base-stock, ...: the best of them is the bar to beat; 0: none; needs
    the tune extra)"""

    def __post_init__(self) -> None:
        self.hidden_sizes = tuple(int(h) for h in self.hidden_sizes)
        if isinstance(self.preset, str) and self.preset.lower() == "none":
            self.preset = None
        try:
            env_entry(self.env)
        except ValueError as e:
            raise ValueError(f"Args.env={self.env!r} is not allowed: {e}") from None
        checks = [
            ("policy", self.policy in ("mlp", "gru"), "'mlp' or 'gru'"),
            ("actor_input", self.actor_input in ("local", "global"), "'local' or 'global'"),
            ("action_head", self.action_head in ("categorical", "ordinal"), "'categorical' or 'ordinal'"),
            ("action_mode", self.action_mode in ("order", "level"), "'order' or 'level'"),
            (
                "level_position",
                self.level_position in ("installation", "echelon"),
                "'installation' or 'echelon'",
            ),
            ("max_level", self.max_level is None or self.max_level >= 1, "None or >= 1"),
            ("num_envs", self.num_envs >= 1, ">= 1"),
            ("num_steps", self.num_steps >= 1, ">= 1"),
            ("total_timesteps", self.total_timesteps >= 1, ">= 1"),
            ("hidden_sizes", len(self.hidden_sizes) >= 1 and min(self.hidden_sizes) >= 1, "positive widths"),
            ("update_epochs", self.update_epochs >= 1, ">= 1"),
            ("num_minibatches", self.num_minibatches >= 1, ">= 1"),
            ("gamma", 0.0 <= self.gamma <= 1.0, "in [0, 1]"),
            ("gae_lambda", 0.0 <= self.gae_lambda <= 1.0, "in [0, 1]"),
            ("eval_episodes", self.eval_episodes >= 1, ">= 1"),
            ("gru_layers", self.gru_layers >= 1, ">= 1"),
            ("chunk_length", self.chunk_length >= 1, ">= 1"),
            ("train_max_cycles", self.train_max_cycles is None or self.train_max_cycles >= 1, "None or >= 1"),
        ]
        for name, ok, allowed in checks:
            if not ok:
                raise ValueError(f"Args.{name}={getattr(self, name)!r} is not allowed; it must be {allowed}")
        if self.policy == "gru" and self.num_steps % self.chunk_length:
            raise ValueError(
                f"Args.chunk_length={self.chunk_length} must divide num_steps={self.num_steps} for a gru policy"
            )
        chunks = self.num_envs * (
            self.num_steps // self.chunk_length if self.policy == "gru" else self.num_steps
        )
        if self.num_minibatches > chunks:
            raise ValueError(
                f"Args.num_minibatches={self.num_minibatches} is larger than the {chunks} sequences of a rollout"
            )

    @property
    def batch_size(self) -> int:
        """Env-steps per iteration: ``num_envs * num_steps``."""
        return self.num_envs * self.num_steps

    @property
    def env_preset(self) -> str | None:
        """The preset the env is built with: ``preset``, or the env's default preset for ``default``."""
        return env_entry(self.env).default_preset if self.preset == DEFAULT_PRESET else self.preset


#: The configuration's name in the other learners' style.
HappoConfig = Args


def args_dict(args: Args) -> dict[str, Any]:
    """The fields of ``args``, shallow (``dataclasses.asdict`` would turn demand objects in
    ``env_kwargs`` into dicts)."""
    return {f.name: getattr(args, f.name) for f in fields(args)}


def paper_args(**overrides: Any) -> Args:
    """The settings of Liu et al.'s HAPPO code (REFERENCES.md section 1), as an :class:`Args`.

    GRU actors (2 layers) over 128 x 2 hidden layers with LayerNorm, learning rate 1e-4, 15
    epochs of one minibatch, clip 0.2, entropy 0.01, gamma and lambda 0.95, 5 envs x 200
    steps, evaluation every 5 iterations on 20 episodes, early stop after 10 evaluations
    without improvement. About as slow per sample as the original, by design.
    """
    kw: dict[str, Any] = dict(
        policy="gru",
        hidden_sizes=(128, 128),
        gru_layers=2,
        chunk_length=10,
        actor_lr=1e-4,
        critic_lr=1e-4,
        update_epochs=15,
        num_minibatches=1,
        ent_coef=0.01,
        max_grad_norm=10.0,
        num_envs=5,
        num_steps=200,
        gamma=0.95,
        gae_lambda=0.95,
        eval_interval=5,
        eval_episodes=20,
        patience=10,
    )
    kw.update(overrides)
    return Args(**kw)


def make_env(args: Args) -> Any:
    """The ParallelEnv of ``args`` (env, preset, env kwargs, reward mix)."""
    kwargs = dict(args.env_kwargs)
    if args.reward_mix is not None:
        kwargs["reward_mix"] = args.reward_mix
    return env_module(args.env).parallel_env(preset=args.env_preset, **kwargs)


# ------------------------------------------------------------------------------ plain JSON form
def _plain(x: Any) -> Any:
    """``x`` as JSON values; the library's demand processes as ``{"__demand__": class, **fields}``."""
    if isinstance(x, _demand.DemandProcess) and dataclasses.is_dataclass(x):
        return {"__demand__": type(x).__name__, **{f.name: _plain(getattr(x, f.name)) for f in fields(x)}}
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    return {"__repr__": repr(x)}  # kept for the record; config_from_json refuses to rebuild it


def _unplain(x: Any) -> Any:
    """Inverse of :func:`_plain`: only the library's own demand classes are ever constructed."""
    if isinstance(x, dict):
        if "__repr__" in x:
            raise ValueError(
                f"a model's configuration holds {x['__repr__']}, which has no plain form; build the env yourself"
            )
        kind = x.get("__demand__")
        if isinstance(kind, str):
            cls = getattr(_demand, kind, None)
            if not (
                isinstance(cls, type) and issubclass(cls, _demand.DemandProcess) and kind in _demand.__all__
            ):
                raise ValueError(f"unknown demand process {kind!r} in a model's configuration")
            return cls(**{k: _unplain(v) for k, v in x.items() if k != "__demand__"})
        return {k: _unplain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_unplain(v) for v in x]
    return x


def config_to_json(args: Args) -> str:
    """``args`` as a JSON text (demand processes of ``env_kwargs`` included, by class and fields;
    other objects only by their ``repr``, which :func:`config_from_json` refuses to rebuild)."""
    return json.dumps(_plain(args_dict(args)))


def config_from_json(text: str) -> Args:
    """The :class:`Args` of :func:`config_to_json`'s text. Builds nothing but the library's own
    demand processes and plain values.

    Raises:
        ValueError: the text is not such a configuration.
    """
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"a model's configuration is not valid JSON: {e}") from None
    if not isinstance(d, dict):
        raise ValueError("a model's configuration must be a JSON object")
    known = {f.name for f in fields(Args)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"a model's configuration has unknown settings {unknown}")
    d = _unplain(d)
    d["hidden_sizes"] = tuple(d.get("hidden_sizes", (64, 64)))
    return Args(**d)
