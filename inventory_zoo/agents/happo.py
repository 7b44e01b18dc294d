"""HAPPO: heterogeneous-agent PPO, the algorithm of the paper this project grew from.

One file, in the CleanRL manner: :class:`Args` (every setting, with its meaning), the networks
(:class:`Actor`, :class:`Critic`, :class:`ValueNorm`), the pieces a test can check on their own
(:func:`compute_gae`, :func:`update_actors`, :func:`update_critic`), and :func:`train`, one
linear loop: rollout, GAE, the sequential actor updates, the critic update, evaluation,
checkpoints, logs.

The algorithm (Kuba et al., "Trust Region Policy Optimisation in Multi-Agent Reinforcement
Learning", ICLR 2022; as HARL and Liu et al.'s inventory code run it):

- every agent ``i`` has its own actor ``pi_i(a_i | o_i)``; one centralised critic ``V(s)`` reads
  the global state ``env.state()`` and has one output per agent, the value of that agent's own
  (mixed) reward ``r_i = -((1 - m) cost_i + m mean_j cost_j)``;
- advantages by GAE, per agent; an episode cut by the time limit is bootstrapped with the value
  of its final state (inventory episodes only ever end that way);
- each iteration draws a random order of the agents and updates them one after another; agent
  ``i_k`` maximises the clipped surrogate weighted by the product ``M`` of the probability
  ratios of the agents updated before it (``M = 1`` for the first)::

      L_k = E[ min(rho_k * M * A_k, clip(rho_k, 1 - eps, 1 + eps) * M * A_k) ] + c_H * H(pi_k)
      rho_k = pi_k_new(a | o) / pi_k_old(a | o),   then   M <- M * rho_k   (detached)

- the critic is updated last, on normalised returns (running mean and variance), with a clipped
  Huber loss: ``max(huber(R - V), huber(R - V_old - clip(V - V_old, -eps_v, eps_v)))``.

An actor's action is the order quantity (the env's own action) or, with
``action_mode="level"``, an order-up-to level: the env then receives
``inventory_zoo.policies.orders_up_to(levels, env, level_position)``, ``clip(level - IP, 0,
max_order)`` with ``IP`` the agent's installation (or, on serial chains, echelon) position.

Logged keys (TensorBoard, under ``<run_dir>/tb``; ``{agent}`` is an agent name):

==================================  ============================================================
``charts/episode_cost``             whole-system cost per period of the training episodes that
                                    ended in the iteration (sampled actions, raw costs)
``charts/episode_reward``           mean over agents of the (mixed) reward per period of them
``charts/learning_rate``            actor learning rate (changes with ``anneal_lr``)
``charts/SPS``                      env-steps per second of wall-clock so far (one env-step =
                                    one period of one env copy, all agents acting)
``charts/SPS_cpu``                  env-steps per CPU-second used by the process so far (less
                                    sensitive than ``charts/SPS`` to other load on the machine)
``charts/rollout_time``             seconds spent collecting the iteration's rollout
``charts/update_time``              seconds spent in the actor and critic updates
``eval/cost_per_period``            greedy whole-system cost per period on the fixed evaluation
                                    episodes (``eval_episodes``, seeds from ``eval_seed``)
``eval/best_cost_per_period``       the lowest of them so far (the kept model)
``eval/fill_rate``                  customer fill rate of the greedy policy on them
``losses/policy_loss/{agent}``      the agent's HAPPO surrogate loss (factor-weighted, clipped)
``losses/entropy/{agent}``          mean entropy of the agent's action distribution
``losses/approx_kl/{agent}``        ``E[(rho - 1) - log rho]`` after the agent's update
``losses/clipfrac/{agent}``         share of samples whose ratio left ``[1 - eps, 1 + eps]``
``losses/grad_norm/{agent}``        gradient norm before clipping, mean over the updates
``losses/factor/{agent}``           mean of the factor ``M`` the agent was weighted with
``losses/update_order/{agent}``     the agent's place in this iteration's order (0 = first)
``losses/value_loss``               clipped Huber loss of the critic (normalised returns)
``losses/critic_grad_norm``         critic gradient norm before clipping
``losses/explained_variance``       ``1 - Var(R - V) / Var(R)`` of the rollout's values
==================================  ============================================================
"""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import math
import os
import pickle
import textwrap
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from inventory_zoo.envs.vector import VectorEnv
from inventory_zoo.evaluation import evaluate, format_table, unwrap_env
from inventory_zoo.policies.base import Policy

__all__ = [
    "Args",
    "Actor",
    "Critic",
    "ValueNorm",
    "HAPPOPolicy",
    "TrainResult",
    "paper_args",
    "args_help",
    "make_env",
    "compute_gae",
    "update_actors",
    "update_critic",
    "flatten_parameters",
    "ActorStack",
    "train",
    "load_policy",
    "baseline_table",
]

#: Env name -> module; the same table as the ``inventory-zoo`` command's.
ENV_MODULES = {
    "serial_v0": "inventory_zoo.serial_v0",
    "network_v0": "inventory_zoo.network_v0",
    "beer_game_v0": "inventory_zoo.beer_game_v0",
}


# ----------------------------------------------------------------------------------- settings
@dataclass
class Args:
    """Every setting of a HAPPO run. Defaults are tuned for speed on a small CPU; see
    :func:`paper_args` for the settings of Liu et al.'s code."""

    # --- the environment
    env: str = "serial_v0"
    """env module: ``serial_v0``, ``network_v0`` or ``beer_game_v0``"""
    preset: str | None = "liu2022"
    """named parameter set of the env (``None``: the env's defaults)"""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """extra keyword arguments of the env (override the preset)"""
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
    total_timesteps: int = 5_000_000
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
    run_dir: str | None = None
    """where TensorBoard logs and checkpoints go (``None``: ``runs/happo/<env>-<preset>-s<seed>-<time>``)"""
    tensorboard: bool = True
    """write TensorBoard logs"""
    checkpoint_interval: int = 10
    """save a resumable checkpoint every this many iterations (0: only at the end)"""
    keep_checkpoints: int = 2
    """numbered checkpoints kept in ``<run_dir>/checkpoints`` (``last.pt`` is always kept)"""
    save: bool = True
    """write checkpoints and ``best.pt`` at all"""
    resume: str | None = None
    """a checkpoint (``.pt``) or run directory to resume from; the run's saved settings are used,
    except ``total_timesteps``, ``time_limit``, ``progress``, ``run_dir`` and the final table's"""
    progress: bool = True
    """show a progress bar"""
    final_table: bool = True
    """at the end, compare the best model with base-stock baselines on fresh episodes"""
    test_episodes: int = 100
    """episodes of the final table"""
    test_seed: int = 20_000
    """final-table episode k is seeded ``test_seed + k`` (disjoint from evaluation)"""

    def __post_init__(self) -> None:
        self.hidden_sizes = tuple(int(h) for h in self.hidden_sizes)
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


def _args_dict(args: Args) -> dict[str, Any]:
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


def args_help() -> dict[str, str]:
    """``{field: its docstring}`` of :class:`Args` (the ``--help`` of the example script)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(Args)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    out: dict[str, str] = {}
    for node, nxt in zip(body, body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(nxt, ast.Expr)
            and isinstance(getattr(nxt, "value", None), ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            out[node.target.id] = " ".join(nxt.value.value.split())
    return out


# ----------------------------------------------------------------------------------- networks
def _init(layer: nn.Linear, gain: float) -> nn.Linear:
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.zeros_(layer.bias)
    return layer


def _mlp(in_dim: int, hidden: Sequence[int], layer_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for h in hidden:
        layers += [_init(nn.Linear(in_dim, h), math.sqrt(2)), nn.ReLU()]
        if layer_norm:
            layers.append(nn.LayerNorm(h))
        in_dim = h
    return nn.Sequential(*layers)


def _action_nvec(space: Any) -> tuple[int, ...]:
    """Sizes of the categorical heads of a ``Discrete`` or ``MultiDiscrete`` action space."""
    from gymnasium import spaces

    if isinstance(space, spaces.Discrete):
        return (int(space.n),)
    if isinstance(space, spaces.MultiDiscrete):
        return tuple(int(n) for n in np.asarray(space.nvec).ravel())
    raise TypeError(f"HAPPO needs Discrete or MultiDiscrete actions, got {space}")


class Actor(nn.Module):
    """One agent's policy: an MLP (optionally followed by a GRU) and one categorical head per
    action component (one for ``Discrete(n)``, ``k`` for ``MultiDiscrete``).

    Args:
        obs_dim: length of the agent's observation.
        nvec: number of choices of each action component.
        hidden_sizes, layer_norm: the MLP.
        gru_layers: 0 for a feed-forward actor, else the GRU's number of layers.
    """

    def __init__(
        self,
        obs_dim: int,
        nvec: Sequence[int],
        hidden_sizes: Sequence[int],
        layer_norm: bool,
        gru_layers: int = 0,
        head: str = "categorical",
    ) -> None:
        super().__init__()
        if head not in ("categorical", "ordinal"):
            raise ValueError(f"head={head!r} is not allowed; use 'categorical' or 'ordinal'")
        self.obs_dim = int(obs_dim)
        self.nvec = tuple(int(n) for n in nvec)
        self.head_type = head
        self.base = _mlp(obs_dim, hidden_sizes, layer_norm)
        width = hidden_sizes[-1]
        self.gru_layers = int(gru_layers)
        self.hidden_size = width
        self.gru = nn.GRU(width, width, num_layers=gru_layers) if gru_layers else None
        if self.gru is not None:
            for name, p in self.gru.named_parameters():
                if "weight" in name:
                    nn.init.orthogonal_(p)
                else:
                    nn.init.zeros_(p)
        self.gru_norm = nn.LayerNorm(width) if (gru_layers and layer_norm) else nn.Identity()
        out = sum(self.nvec) if head == "categorical" else 2 * len(self.nvec)
        self.head = _init(nn.Linear(width, out), 0.01)
        self._uniform = len(set(self.nvec)) == 1
        for j, n in enumerate(self.nvec):
            self.register_buffer(f"_grid{j}", torch.arange(n, dtype=torch.float32), persistent=False)

    def _head(self, y: torch.Tensor) -> torch.Tensor:
        return self._transform(self.head(y))

    def _transform(self, z: torch.Tensor) -> torch.Tensor:
        """Logits ``[..., sum(nvec)]`` from the head's raw output ``z [..., out]`` (the
        identity for a categorical head)."""
        if self.head_type == "categorical":
            return z
        # Ordinal: a discretised Gaussian over 0..n-1 per component, logits -(k - mu)^2 / (2 sigma^2),
        # with mu and log sigma read from the head (mu mid-range and sigma n/4 at initialisation).
        out = []
        for j, n in enumerate(self.nvec):
            half = (n - 1) / 2
            mu = half + half * z[..., 2 * j : 2 * j + 1]
            log_sigma = (z[..., 2 * j + 1 : 2 * j + 2] + math.log(max(n - 1, 1) / 4)).clamp(
                math.log(0.1), math.log(n)
            )
            grid = getattr(self, f"_grid{j}")
            out.append(-0.5 * ((grid - mu) * torch.exp(-log_sigma)) ** 2)
        return torch.cat(out, -1)

    @property
    def recurrent(self) -> bool:
        return self.gru is not None

    def initial_state(self, batch: int, device: torch.device | str = "cpu") -> torch.Tensor:
        """Zero GRU state ``[layers, batch, hidden]`` (empty for an MLP actor)."""
        return torch.zeros(self.gru_layers, batch, self.hidden_size if self.gru_layers else 0, device=device)

    def logits(
        self, obs: torch.Tensor, h: torch.Tensor | None = None, starts: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Action logits ``[L, C, sum(nvec)]`` of observation sequences ``obs [L, C, obs_dim]``.

        For a GRU actor, ``h [layers, C, hidden]`` is the state before the first step and
        ``starts [L, C]`` marks steps that begin an episode (the state is zeroed there). Returns
        the logits and the state after the last step (``None`` for an MLP actor).
        """
        x = self.base(obs)
        if self.gru is None:
            return self._head(x), None
        outs = []
        for t in range(x.shape[0]):
            if starts is not None:
                h = h * (1.0 - starts[t]).view(1, -1, 1)
            y, h = self.gru(x[t : t + 1], h)
            outs.append(y)
        y = self.gru_norm(torch.cat(outs, 0))
        return self._head(y), h

    def _log_probs(self, logits: torch.Tensor) -> list[torch.Tensor] | torch.Tensor:
        if self._uniform:
            k, n = len(self.nvec), self.nvec[0]
            return functional.log_softmax(logits.view(*logits.shape[:-1], k, n), -1)  # [..., k, n]
        return [functional.log_softmax(part, -1) for part in torch.split(logits, list(self.nvec), -1)]

    def log_prob_entropy(
        self, logits: torch.Tensor, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Joint log-probability of ``actions [..., k]`` and entropy, both summed over components."""
        lp = self._log_probs(logits)
        actions = actions[..., : len(self.nvec)]
        if self._uniform:
            logp = lp.gather(-1, actions.unsqueeze(-1)).squeeze(-1).sum(-1)
            ent = -(lp.exp() * lp).sum(-1).sum(-1)
            return logp, ent
        logp = sum(p.gather(-1, actions[..., j : j + 1]).squeeze(-1) for j, p in enumerate(lp))
        ent = sum(-(p.exp() * p).sum(-1) for p in lp)
        return logp, ent  # type: ignore[return-value]

    def sample(
        self, logits: torch.Tensor, generator: torch.Generator | None, greedy: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Actions ``[..., k]`` (sampled by the Gumbel-max trick, or the modes) and their log-probability."""
        lp = self._log_probs(logits)
        parts = [lp] if self._uniform else lp
        acts = []
        for p in parts:
            if greedy:
                acts.append(p.argmax(-1))
            else:
                u = torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype)
                acts.append((p - torch.log(-torch.log(u.clamp_min(1e-20)))).argmax(-1))
        a = acts[0] if self._uniform else torch.stack(acts, -1)
        if self._uniform:
            logp = lp.gather(-1, a.unsqueeze(-1)).squeeze(-1).sum(-1)
        else:
            logp = sum(p.gather(-1, a[..., j : j + 1]).squeeze(-1) for j, p in enumerate(lp))
        return a, logp  # type: ignore[return-value]


class ActorStack:
    """Feed-forward actors of one shape evaluated as one batched network.

    The rollout needs every agent's action at every period. Evaluating ``N`` small MLPs one
    after another costs ``N`` times the per-operation overhead, which dominates at these sizes;
    here the weights are stacked along an agent axis and each layer is one ``torch.baddbmm``
    over ``[N, M, in] x [N, in, out]``. The stack is a snapshot of the actors' weights (no
    gradient flows through it): call :meth:`refresh` after they change.

    Args:
        actors: feed-forward :class:`Actor` s with the same observation size, action sizes,
            head type and layer shapes (see :meth:`supports`).
    """

    def __init__(self, actors: Sequence[Actor]) -> None:
        if not self.supports(actors):
            raise ValueError("ActorStack needs feed-forward actors of one shape")
        self.actors = list(actors)
        self.refresh()

    @staticmethod
    def supports(actors: Sequence[Actor]) -> bool:
        """Whether ``actors`` can be stacked: no GRU, and the same shapes everywhere."""
        a0 = actors[0]

        def shape(a: Actor) -> tuple[Any, ...]:
            return (a.obs_dim, a.nvec, a.head_type, tuple(type(m) for m in a.base),
                    tuple(tuple(p.shape) for p in a.parameters()))  # fmt: skip

        return all(not a.recurrent and shape(a) == shape(a0) for a in actors)

    @torch.no_grad()
    def refresh(self) -> None:
        """Copy the actors' current weights into the stack."""
        acts = self.actors

        def linear(j: int | None) -> tuple[str, torch.Tensor, torch.Tensor]:
            mods = [a.head if j is None else a.base[j] for a in acts]
            w = torch.stack([m.weight for m in mods]).transpose(1, 2).contiguous()  # [N, in, out]
            return ("linear", w, torch.stack([m.bias for m in mods])[:, None])  # bias [N, 1, out]

        self.layers: list[tuple[Any, ...]] = []
        for j, m in enumerate(acts[0].base):
            if isinstance(m, nn.Linear):
                self.layers.append(linear(j))
            elif isinstance(m, nn.ReLU):
                self.layers.append(("relu",))
            elif isinstance(m, nn.LayerNorm):
                w = torch.stack([a.base[j].weight for a in acts])[:, None]
                b = torch.stack([a.base[j].bias for a in acts])[:, None]
                self.layers.append(("norm", w, b, m.eps))
            else:  # pragma: no cover - _mlp builds only these
                raise TypeError(f"unexpected layer {m}")
        self.layers.append(linear(None))

    @torch.no_grad()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[N, M, sum(nvec)]`` of observations ``x [N, M, obs_dim]`` (agent ``i``'s
        rows go through actor ``i``)."""
        for kind, *p in self.layers:
            if kind == "linear":
                x = torch.baddbmm(p[1], x, p[0])
            elif kind == "relu":
                x = torch.relu_(x)
            else:
                x = torch.addcmul(p[1], functional.layer_norm(x, x.shape[-1:], eps=p[2]), p[0])
        return self.actors[0]._transform(x)

    def sample(
        self, x: torch.Tensor, generator: torch.Generator | None, greedy: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Actions ``[N, M, k]`` and their log-probabilities ``[N, M]`` for ``x [N, M, obs_dim]``."""
        a, logp = self.actors[0].sample(self.logits(x), generator, greedy)
        return a.view(*logp.shape, -1), logp


class Critic(nn.Module):
    """The centralised critic: ``V(s)`` from the global state, one output per agent (the value of
    that agent's own mixed reward; all equal when ``reward_mix = 1``)."""

    def __init__(
        self, state_dim: int, num_agents: int, hidden_sizes: Sequence[int], layer_norm: bool
    ) -> None:
        super().__init__()
        self.base = _mlp(state_dim, hidden_sizes, layer_norm)
        self.head = _init(nn.Linear(hidden_sizes[-1], num_agents), 1.0)

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        return self.head(self.base(state))


class ValueNorm(nn.Module):
    """Running mean and variance of the returns (one per agent), with debiased exponential
    averages: ``mu <- beta mu + (1 - beta) mean(R)``, the same for ``R^2``; ``var = E[R^2] - mu^2``."""

    def __init__(self, size: int, beta: float = 0.99999, enabled: bool = True) -> None:
        super().__init__()
        self.beta = beta
        self.enabled = enabled
        self.register_buffer("mean", torch.zeros(size, dtype=torch.float64))
        self.register_buffer("mean_sq", torch.zeros(size, dtype=torch.float64))
        self.register_buffer("debias", torch.zeros((), dtype=torch.float64))

    @torch.no_grad()
    def update(self, x: torch.Tensor) -> None:
        """Fold a batch ``[M, size]`` into the running moments."""
        if not self.enabled:
            return
        x = x.double()
        b = self.beta
        self.mean.mul_(b).add_(x.mean(0) * (1 - b))
        self.mean_sq.mul_(b).add_((x * x).mean(0) * (1 - b))
        self.debias.mul_(b).add_(1 - b)

    def _stats(self) -> tuple[torch.Tensor, torch.Tensor]:
        d = self.debias.clamp_min(1e-5)
        mu = self.mean / d
        var = (self.mean_sq / d - mu * mu).clamp_min(1e-2)
        return mu, var.sqrt()

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        if not self.enabled:
            return x
        mu, sd = self._stats()
        return ((x.double() - mu) / sd).to(x.dtype)

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        if not self.enabled:
            return x
        mu, sd = self._stats()
        return (x.double() * sd + mu).to(x.dtype)


# ----------------------------------------------------------------------------------- the algorithm
def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    next_values: torch.Tensor,
    dones: torch.Tensor,
    terminations: torch.Tensor,
    gamma: float,
    lam: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimates, cut at episode ends and bootstrapped at truncation.

    Args:
        rewards, values: ``[T, ...]`` reward of step t and ``V(s_t)``.
        next_values: ``[T, ...]`` value of the state step t led to: ``V(s_{t+1})``, or, when the
            episode ended at step t, the value of its final state (not of the next episode's
            first state).
        dones: ``[T, ...]`` 1 where an episode ended at step t (by termination or truncation):
            the advantage recursion stops there.
        terminations: ``[T, ...]`` 1 where it ended by termination (no bootstrap). Inventory
            episodes are only truncated, so these are 0 and the final state is bootstrapped.

    Returns:
        advantages and returns (``advantages + values``), ``[T, ...]``.
    """
    adv = torch.zeros_like(rewards)
    last = torch.zeros_like(rewards[0])
    for t in range(rewards.shape[0] - 1, -1, -1):
        delta = rewards[t] + gamma * (1.0 - terminations[t]) * next_values[t] - values[t]
        last = delta + gamma * lam * (1.0 - dones[t]) * last
        adv[t] = last
    return adv, adv + values


@dataclass
class ActorData:
    """One rollout as the actors see it, cut into ``C`` sequences of ``L`` steps (``L = 1`` for
    MLP actors). ``N`` agents, ``k`` action components.

    Attributes:
        obs: ``[L, C, N, obs_dim]``.
        actions: ``[L, C, N, k]`` (int64).
        logp: ``[L, C, N]`` log-probabilities of the actions under the rollout's policies.
        adv: ``[L, C, N]`` advantages.
        starts: ``[L, C]`` 1 where a step begins an episode (GRU state reset).
        h0: per agent ``[layers, C, hidden]``, the GRU state before each sequence (or ``None``).
    """

    obs: torch.Tensor
    actions: torch.Tensor
    logp: torch.Tensor
    adv: torch.Tensor
    starts: torch.Tensor
    h0: list[torch.Tensor] | None = None


def flatten_parameters(module: nn.Module) -> nn.Parameter:
    """Move ``module``'s parameters into one contiguous tensor and return it as one Parameter.

    Every parameter becomes a view of the returned tensor, and its gradient a view of the
    returned tensor's gradient buffer, so the module works as before while an optimiser built
    on ``[flat]`` does one fused step over one tensor, and gradient zeroing and norm clipping
    are one operation each. Why: these networks have ~10 small tensors each, and per-tensor
    overhead made the optimiser step, zeroing and clipping a quarter of a minibatch step.
    Gradients must then be zeroed in place (``zero_grad(set_to_none=False)``), never set to
    ``None``.

    Returns:
        the flat parameter (``[P]``, ``P`` = number of weights) with ``.grad`` set to zeros.
    """
    params = list(module.parameters())
    first = params[0]
    flat = torch.zeros(sum(p.numel() for p in params), dtype=first.dtype, device=first.device)
    grad = torch.zeros_like(flat)
    o = 0
    with torch.no_grad():
        for p in params:
            n = p.numel()
            flat[o : o + n].copy_(p.reshape(-1))
            p.data = flat[o : o + n].view_as(p)
            p.grad = grad[o : o + n].view_as(p)
            o += n
    out = nn.Parameter(flat)  # shares flat's storage: the optimiser's in-place step moves the module
    out.grad = grad
    return out


def _opt_params(opt: torch.optim.Optimizer) -> list[torch.Tensor]:
    """The tensors ``opt`` steps (the flat parameter, when there is one)."""
    return [p for g in opt.param_groups for p in g["params"]]


def _agent_logp(actor: Actor, data: ActorData, i: int, idx: torch.Tensor | None = None):
    obs, act, starts = data.obs[:, :, i], data.actions[:, :, i], data.starts
    h0 = data.h0[i] if data.h0 is not None else None
    if idx is not None:
        obs, act, starts = obs[:, idx], act[:, idx], starts[:, idx]
        h0 = h0[:, idx] if h0 is not None else None
    logits, _ = actor.logits(obs, h0, starts)
    return actor.log_prob_entropy(logits, act)


def update_actors(
    actors: Sequence[Actor],
    optimizers: Sequence[torch.optim.Optimizer],
    data: ActorData,
    order: Sequence[int],
    args: Args,
    generator: torch.Generator,
) -> tuple[dict[str, list[float]], list[torch.Tensor | None]]:
    """The HAPPO actor step: update the agents one by one in ``order``, each weighted by the
    product of the earlier agents' probability ratios.

    Args:
        actors, optimizers: one per agent.
        data: the rollout (:class:`ActorData`).
        order: a permutation of the agent indices.
        args: ``update_epochs``, ``num_minibatches``, ``clip_coef``, ``ent_coef``,
            ``max_grad_norm``, ``norm_adv``.
        generator: a CPU generator for the minibatch shuffles.

    Returns:
        per-agent statistics (lists indexed by agent: ``policy_loss``, ``entropy``,
        ``approx_kl``, ``clipfrac``, ``grad_norm``, ``factor``) and, per agent, the factor
        ``[L, C]`` its surrogate was weighted with (1 for the first agent of the order).
    """
    n = len(actors)
    L, C = data.logp.shape[:2]
    device = data.logp.device
    adv = data.adv
    if args.norm_adv:
        mu = adv.mean(dim=(0, 1), keepdim=True)
        sd = adv.std(dim=(0, 1), keepdim=True)
        adv = (adv - mu) / (sd + 1e-5)
    factor = torch.ones(L, C, device=device)
    used: list[torch.Tensor | None] = [None] * n
    stats: dict[str, list[float]] = {
        k: [0.0] * n for k in ("policy_loss", "entropy", "approx_kl", "clipfrac", "grad_norm", "factor")
    }
    mb = max(C // args.num_minibatches, 1)
    for i in order:
        actor, opt = actors[i], optimizers[i]
        used[i] = factor.clone()
        stats["factor"][i] = float(factor.mean())
        old_logp = data.logp[:, :, i]
        # This agent's slices, contiguous once, and its old log-probability, advantage and factor
        # side by side: a minibatch is then three row gathers instead of six strided ones.
        obs_i = data.obs[:, :, i].contiguous()  # [L, C, obs_dim]
        act_i = data.actions[:, :, i, : len(actor.nvec)].contiguous()  # [L, C, k]
        h0_i = data.h0[i] if data.h0 is not None else None
        side = torch.stack([old_logp, adv[:, :, i], factor], -1)  # [L, C, 3]
        losses, ents, norms = [], [], []
        for _ in range(args.update_epochs):
            perm = torch.randperm(C, generator=generator).to(device)
            for s in range(0, mb * args.num_minibatches, mb):
                idx = perm[s : s + mb]
                h0 = h0_i[:, idx] if h0_i is not None else None
                starts = data.starts[:, idx] if h0_i is not None else None
                logits, _ = actor.logits(obs_i[:, idx], h0, starts)
                logp, ent = actor.log_prob_entropy(logits, act_i[:, idx])
                sd = side[:, idx]
                ratio = torch.exp(logp - sd[..., 0])
                a, f = sd[..., 1], sd[..., 2]
                surr = torch.min(ratio * a, ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef) * a)
                policy_loss = -(f * surr).mean()
                entropy = ent.mean()
                # In place, not to None: with flat parameters (see flatten_parameters) the
                # gradients are views of one buffer, which must stay.
                opt.zero_grad(set_to_none=False)
                (policy_loss - args.ent_coef * entropy).backward()
                # Kept as tensors: float() here would wait for the GPU at every step.
                norms.append(nn.utils.clip_grad_norm_(_opt_params(opt), args.max_grad_norm))
                opt.step()
                losses.append(policy_loss.detach())
                ents.append(entropy.detach())
        with torch.no_grad():
            new_logp, _ = _agent_logp(actor, data, i)
            log_ratio = new_logp - old_logp
            ratio = log_ratio.exp()
            factor = factor * ratio  # the next agents see this agent's change
            stats["approx_kl"][i] = float(((ratio - 1) - log_ratio).mean())
            stats["clipfrac"][i] = float(((ratio - 1).abs() > args.clip_coef).float().mean())
        stats["policy_loss"][i] = float(torch.stack(losses).mean())
        stats["entropy"][i] = float(torch.stack(ents).mean())
        stats["grad_norm"][i] = float(torch.stack(norms).mean())
    return stats, used


def _huber(x: torch.Tensor, delta: float) -> torch.Tensor:
    a = x.abs()
    return torch.where(a <= delta, 0.5 * x * x, delta * (a - 0.5 * delta))


def update_critic(
    critic: Critic,
    optimizer: torch.optim.Optimizer,
    value_norm: ValueNorm,
    states: torch.Tensor,
    returns: torch.Tensor,
    old_values: torch.Tensor,
    args: Args,
    generator: torch.Generator,
) -> dict[str, float]:
    """Fit ``V(s)`` to the returns: normalised targets, clipped Huber loss, gradient clipping.

    Args:
        states: ``[M, state_dim]``; returns, old_values: ``[M, N]`` (raw scale; ``old_values``
            are the rollout's predictions, for the value clip).
    """
    value_norm.update(returns)
    target = value_norm.normalize(returns)
    old = value_norm.normalize(old_values)
    M = states.shape[0]
    mb = max(M // args.num_minibatches, 1)
    losses, norms = [], []
    for _ in range(args.update_epochs):
        perm = torch.randperm(M, generator=generator).to(states.device)
        for s in range(0, mb * args.num_minibatches, mb):
            idx = perm[s : s + mb]
            v = critic(states[idx])
            loss = _huber(target[idx] - v, args.huber_delta)
            if args.value_clip > 0:
                v_clip = old[idx] + (v - old[idx]).clamp(-args.value_clip, args.value_clip)
                loss = torch.max(loss, _huber(target[idx] - v_clip, args.huber_delta))
            loss = loss.mean()
            optimizer.zero_grad(set_to_none=False)
            loss.backward()
            norms.append(nn.utils.clip_grad_norm_(_opt_params(optimizer), args.max_grad_norm))
            optimizer.step()
            losses.append(loss.detach())
    return {
        "value_loss": float(torch.stack(losses).mean()),
        "critic_grad_norm": float(torch.stack(norms).mean()),
    }


# ----------------------------------------------------------------------------------- the policy
class HAPPOPolicy(Policy):
    """Trained actors as a library policy: ``act(obs [B, N, obs_dim], env) -> actions``.

    Greedy (the mode of every head) by default. Usable with :func:`inventory_zoo.evaluate`,
    ``compare`` and, through ``policy(observations, env)``, with a ParallelEnv's dicts.

    Args:
        actors: one per agent.
        obs_scale: observations (or states) are divided by this.
        greedy: play the mode of every head (else sample, from a generator seeded 0).
        actor_input: ``local`` (each agent's observation) or ``global`` (``env.state()``).
        action_mode: ``order`` (the actions are the orders) or ``level`` (they are order-up-to
            levels, turned into orders by :func:`inventory_zoo.policies.orders_up_to`).
        level_position: the position a level lifts (``installation`` or ``echelon``).
    """

    def __init__(
        self,
        actors: Sequence[Actor],
        obs_scale: float,
        device: torch.device | str = "cpu",
        greedy: bool = True,
        actor_input: str = "local",
        action_mode: str = "order",
        level_position: str = "installation",
    ) -> None:
        self.actors = list(actors)
        self.actor_input = actor_input
        self.action_mode = action_mode
        self.level_position = level_position
        # Reads more than each agent's own observation: the global state, or echelon positions.
        self.needs_state = actor_input == "global" or (action_mode == "level" and level_position == "echelon")
        self._stack = ActorStack(self.actors) if ActorStack.supports(self.actors) else None
        self.obs_scale = float(obs_scale)
        self.device = torch.device(device)
        self.greedy = greedy
        self.k_max = max(len(a.nvec) for a in self.actors)
        self._h: list[torch.Tensor] | None = None
        self._gen = torch.Generator(device=self.device)
        self._gen.manual_seed(0)

    def reset(self, env: Any) -> None:
        self._h = None
        if self._stack is not None:
            self._stack.refresh()  # the actors may have been trained since

    @torch.no_grad()
    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        if self.actor_input == "global":
            state = np.atleast_2d(np.asarray(env.state(), np.float32))  # [B, state_dim]
            x = torch.as_tensor(state, device=self.device)[:, None].expand(-1, len(self.actors), -1)
        else:
            x = torch.as_tensor(np.asarray(obs, np.float32), device=self.device)
        x = x / self.obs_scale
        B = x.shape[0]
        if self._stack is not None:
            a, _ = self._stack.sample(x.transpose(0, 1), self._gen, greedy=self.greedy)
            res = a.transpose(0, 1).cpu().numpy()  # [B, N, k]
        else:
            if self._h is None or (self._h and self._h[0].shape[1] != B):
                self._h = [a.initial_state(B, self.device) for a in self.actors]
            out = torch.zeros(B, len(self.actors), self.k_max, dtype=torch.int64, device=self.device)
            for i, actor in enumerate(self.actors):
                logits, h = actor.logits(x[None, :, i], self._h[i] if actor.recurrent else None)
                if actor.recurrent:
                    self._h[i] = h
                a, _ = actor.sample(logits[0], self._gen, greedy=self.greedy)
                out[:, i, : len(actor.nvec)] = a.view(B, -1)
            res = out.cpu().numpy()
        if self.action_mode == "level":
            return _level_orders(res[:, :, 0], env, self.level_position)
        return res[:, :, 0] if self.k_max == 1 else res


# ----------------------------------------------------------------------------------- helpers
def _level_orders(levels: np.ndarray, env: Any, position: str) -> np.ndarray:
    """The env's actions for order-up-to ``levels [B, N]`` (see :class:`Args` ``action_mode``)."""
    from inventory_zoo.policies import orders_up_to

    return orders_up_to(levels, env, position)


def _max_level(args: Args, penv: Any) -> int:
    """The highest level of a ``level`` action: ``args.max_level``, else
    ``max_order * (longest lead time + 1)`` (room for a position covering the lead time)."""
    if args.max_level is not None:
        return int(args.max_level)
    return int(penv.max_order) * (int(penv.spec.params.max_lead_time) + 1)


def make_env(args: Args):
    """The ParallelEnv of ``args`` (env module, preset, env kwargs, reward mix)."""
    if args.env not in ENV_MODULES:
        raise ValueError(f"Args.env={args.env!r} is not allowed; envs are {sorted(ENV_MODULES)}")
    try:
        module = importlib.import_module(ENV_MODULES[args.env])
    except ModuleNotFoundError as e:
        if e.name == ENV_MODULES[args.env]:
            raise ValueError(f"Args.env={args.env!r}: {ENV_MODULES[args.env]} is not installed") from None
        raise
    kwargs = dict(args.env_kwargs)
    if args.reward_mix is not None:
        kwargs["reward_mix"] = args.reward_mix
    return module.parallel_env(preset=args.preset, **kwargs)


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"Args.device={name!r}: CUDA is not available (use 'cpu' or 'auto')")
    if not (name == "cpu" or name.startswith("cuda")):
        raise ValueError(f"Args.device={name!r} is not allowed; use 'auto', 'cpu' or 'cuda'")
    return torch.device(name)


def _policy_kwargs(args: Args) -> dict[str, str]:
    """The :class:`HAPPOPolicy` arguments that ``args`` decides."""
    return dict(
        actor_input=args.actor_input, action_mode=args.action_mode, level_position=args.level_position
    )


def _obs_scale(args: Args, penv: Any) -> float:
    if args.obs_scale is not None:
        return float(args.obs_scale)
    return 1.0 if penv.batch.obs_scale is not None else float(penv.max_order)


def _build(args: Args, penv: Any, device: torch.device):
    agents = list(penv.possible_agents)
    if args.actor_input == "global":
        obs_dims = [int(penv.state_space.shape[0])] * len(agents)
    else:
        obs_dims = [int(penv.observation_space(a).shape[0]) for a in agents]
    if args.action_mode == "level":
        if args.level_position == "echelon" and not penv.spec.is_serial:
            raise ValueError(
                "Args.level_position='echelon' needs a serial chain (serial_v0, or a serial network_v0)"
            )
        nvecs = [(_max_level(args, penv) + 1,)] * len(agents)
    else:
        nvecs = [_action_nvec(penv.action_space(a)) for a in agents]
    gru = args.gru_layers if args.policy == "gru" else 0
    actors = [
        Actor(d, nv, args.hidden_sizes, args.layer_norm, gru, args.action_head).to(device)
        for d, nv in zip(obs_dims, nvecs, strict=True)
    ]
    critic = Critic(int(penv.state_space.shape[0]), len(agents), args.hidden_sizes, args.layer_norm).to(
        device
    )
    return agents, actors, critic


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes:
        policy: the best model found (greedy), a :class:`HAPPOPolicy`.
        best_cost: its evaluation cost per period (``inf`` if never evaluated).
        best_iteration: the iteration it was saved at.
        history: one dict per evaluation (iteration, global_step, cost_per_period, fill_rate, time).
        global_step: env-steps trained.
        iterations: iterations done.
        wall_time: seconds of training (this run and the runs it resumed).
        cpu_time: CPU seconds of this process in them (all threads; evaluation included).
        sps: env-steps per second of wall-clock.
        stopped_early: the patience ran out.
        run_dir: where logs and checkpoints went.
        table: the final comparison rows (see :func:`baseline_table`), or ``None``.
        actors, critic: the networks at the end of training (not the best ones).
    """

    policy: HAPPOPolicy
    best_cost: float
    best_iteration: int
    history: list[dict[str, float]]
    global_step: int
    iterations: int
    wall_time: float
    cpu_time: float
    sps: float
    stopped_early: bool
    run_dir: Path | None
    table: list[dict[str, Any]] | None = None
    actors: list[Actor] = field(default_factory=list, repr=False)
    critic: Critic | None = field(default=None, repr=False)


def _save(path: Path, obj: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _load(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if p.is_dir():
        p = p / "last.pt"
    if not p.exists():
        raise FileNotFoundError(f"no checkpoint at {p}")
    return torch.load(p, map_location="cpu", weights_only=False)


def load_policy(path: str | Path, device: str = "cpu") -> HAPPOPolicy:
    """The greedy policy of a ``best.pt`` (or the best model of a checkpoint / run directory)."""
    ck = _load(path)
    args = Args(**ck["args"])
    penv = make_env(args)
    dev = _device(device)
    _, actors, _ = _build(args, penv, dev)
    for a, sd in zip(actors, ck["best_actors"] if "best_actors" in ck else ck["actors"], strict=True):
        a.load_state_dict(sd)
    return HAPPOPolicy(actors, ck["obs_scale"], dev, **_policy_kwargs(args))


def baseline_table(
    env: Any,
    policy: Any,
    episodes: int = 100,
    seed: int = 20_000,
    name: str = "happo",
    show: bool = True,
    search_kwargs: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Compare ``policy`` with the base-stock baselines on the same episodes.

    Rows: the policy; installation base-stock at the levels of
    :func:`~inventory_zoo.policies.search_base_stock` (searched on its own episodes, seeds 0..);
    for serial envs inside the Clark-Scarf model, echelon base-stock at the exact optimal levels
    (row ``exact_expected`` holds the optimum's expected cost); a random policy for scale.

    Returns:
        rows of :func:`inventory_zoo.compare` (sorted by cost; the searched base-stock row also
        has ``"levels"``) plus, when it exists, a row named ``"optimum (expected)"`` with the
        exact expected cost per period.
    """
    from inventory_zoo.evaluation import compare
    from inventory_zoo.policies import (
        EchelonBaseStock,
        RandomPolicy,
        optimal_serial_base_stock,
        search_base_stock,
    )

    penv = unwrap_env(env)
    found = search_base_stock(penv, progress=False, **(search_kwargs or {}))
    policies: dict[str, Any] = {name: policy, f"base-stock {found.levels}": found.policy()}
    optimum = None
    try:
        levels, optimum = optimal_serial_base_stock(penv)
        policies[f"echelon optimum {levels}"] = EchelonBaseStock(levels)
    except ValueError:
        pass
    policies["random"] = RandomPolicy(seed)
    rows = compare(penv, policies, episodes=episodes, seed=seed, show=False)
    for r in rows:
        r["kind"] = "simulated"
        if r["policy"].startswith("base-stock"):
            r["levels"] = found.levels
    if optimum is not None:
        rows.append(
            {"policy": "optimum (expected)", "cost_per_period": float(optimum), "cost_per_period_ci95": 0.0,
             "fill_rate": float("nan"), "kind": "exact"}
        )  # fmt: skip
    if show:
        print(format_table(rows))
    return rows


# ----------------------------------------------------------------------------------- training
def train(args: Args) -> TrainResult:
    """Train HAPPO as ``args`` says; return the best model and the run's record."""
    resume_ck = None
    if args.resume:
        resume_ck = _load(args.resume)
        keep = {
            k: getattr(args, k)
            for k in (
                "total_timesteps",
                "time_limit",
                "progress",
                "resume",
                "final_table",
                "test_episodes",
                "test_seed",
            )
        }
        keep["run_dir"] = args.run_dir if args.run_dir is not None else resume_ck["args"]["run_dir"]
        args = replace(Args(**resume_ck["args"]), **keep)

    # --- seeding and devices
    device = _device(args.device)
    torch.set_num_threads(args.num_threads or 1)
    if args.deterministic and device.type == "cuda":
        # CPU kernels used here are deterministic for a fixed thread count; on CUDA ask for it.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
    torch.manual_seed(args.seed)
    order_rng = np.random.default_rng(args.seed)
    sample_gen = torch.Generator(device=device)
    sample_gen.manual_seed(args.seed)
    shuffle_gen = torch.Generator()
    shuffle_gen.manual_seed(args.seed + 1)

    # --- env, networks, optimisers
    penv = make_env(args)
    eval_env = make_env(args)
    venv = VectorEnv(penv, args.num_envs, auto_reset=True, seeding="batched")
    if args.train_max_cycles is not None:
        venv.max_cycles = int(args.train_max_cycles)
    agents, actors, critic = _build(args, penv, device)
    N, B, T = len(agents), args.num_envs, args.num_steps
    k_max = max(len(a.nvec) for a in actors)
    scale = _obs_scale(args, penv)
    # Fused Adam over one flat tensor per network: one kernel per step instead of one per tensor
    # (these networks are small, and per-tensor overhead dominated the optimiser step). Not for
    # GRU actors: on CUDA, nn.GRU re-packs its weights into cuDNN's own buffer, which would cut
    # them off from the flat tensor.
    actor_opts = [
        torch.optim.Adam(
            list(a.parameters()) if a.recurrent else [flatten_parameters(a)],
            lr=args.actor_lr,
            eps=args.adam_eps,
            fused=True,
        )
        for a in actors
    ]
    critic_opt = torch.optim.Adam(
        [flatten_parameters(critic)], lr=args.critic_lr, eps=args.adam_eps, fused=True
    )
    value_norm = ValueNorm(N, args.value_norm_beta, args.value_norm).to(device)
    num_iterations = max(1, args.total_timesteps // args.batch_size)
    recurrent = args.policy == "gru"

    # --- the loop's state (all of it goes into a checkpoint)
    obs_np, _ = venv.reset(seed=args.seed)
    starts_np = np.ones(B, np.float32)
    hidden = [a.initial_state(B, device) for a in actors]
    ep_cost = np.zeros(B)
    ep_reward = np.zeros(B)
    ep_len = 0
    iteration, global_step, elapsed, cpu_time = 0, 0, 0.0, 0.0
    best = {"cost": math.inf, "iteration": -1, "actors": [copy.deepcopy(a.state_dict()) for a in actors]}
    history: list[dict[str, float]] = []
    bad_evals = 0
    stopped_early = False

    if resume_ck is not None:
        for a, sd in zip(actors, resume_ck["actors"], strict=True):
            a.load_state_dict(sd)
        critic.load_state_dict(resume_ck["critic"])
        value_norm.load_state_dict(resume_ck["value_norm"])
        for o, sd in zip(actor_opts, resume_ck["actor_opts"], strict=True):
            o.load_state_dict(sd)
        critic_opt.load_state_dict(resume_ck["critic_opt"])
        torch.set_rng_state(resume_ck["torch_rng"])
        sample_gen.set_state(resume_ck["sample_gen"])
        shuffle_gen.set_state(resume_ck["shuffle_gen"])
        order_rng.bit_generator.state = resume_ck["order_rng"]
        venv = pickle.loads(resume_ck["venv"])
        obs_np, starts_np = resume_ck["obs"], resume_ck["starts"]
        hidden = [h.to(device) for h in resume_ck["hidden"]]
        ep_cost, ep_reward, ep_len = resume_ck["ep_cost"], resume_ck["ep_reward"], resume_ck["ep_len"]
        iteration, global_step = resume_ck["iteration"], resume_ck["global_step"]
        elapsed, cpu_time = resume_ck["elapsed"], resume_ck["cpu_time"]
        best = {"cost": resume_ck["best_cost"], "iteration": resume_ck["best_iteration"],
                "actors": resume_ck["best_actors"]}  # fmt: skip
        history, bad_evals = list(resume_ck["history"]), resume_ck["bad_evals"]

    run_dir = (
        Path(args.run_dir)
        if args.run_dir
        else Path("runs/happo", f"{args.env}-{args.preset}-s{args.seed}-{time.strftime('%Y%m%d-%H%M%S')}")
    )
    args = replace(args, run_dir=str(run_dir))
    writer = None
    if args.tensorboard:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(run_dir / "tb"), purge_step=global_step if resume_ck else None)
        if resume_ck is None:
            writer.add_text("args", "\n".join(f"- {k}: {v!r}" for k, v in _args_dict(args).items()))
    bar = None
    if args.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=num_iterations * args.batch_size, initial=global_step, unit="step", desc="happo",
                   dynamic_ncols=True)  # fmt: skip

    # Rollout buffers, created on the device once.
    D, S = actors[0].obs_dim, int(penv.state_space.shape[0])
    global_input = args.actor_input == "global"
    level_mode = args.action_mode == "level"
    stack = ActorStack(actors) if ActorStack.supports(actors) else None
    obs_buf = torch.zeros(T, B, N, D, device=device)
    state_buf = torch.zeros(T + 1, B, S, device=device)
    act_buf = torch.zeros(T, B, N, k_max, dtype=torch.int64, device=device)
    logp_buf = torch.zeros(T, B, N, device=device)
    rew_buf = torch.zeros(T, B, N, device=device)
    done_buf = torch.zeros(T, B, device=device)
    start_buf = torch.zeros(T, B, device=device)
    h_buf = (
        [torch.zeros(T, a.gru_layers, B, a.hidden_size, device=device) for a in actors] if recurrent else None
    )
    final_states: dict[int, torch.Tensor] = {}

    def to_dev(x: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(x, dtype=torch.float32, device=device)

    def checkpoint(tag: str | None) -> None:
        if not args.save:
            return
        ck = {
            "args": _args_dict(args), "agents": agents, "obs_scale": scale,
            "actors": [a.state_dict() for a in actors], "critic": critic.state_dict(),
            "value_norm": value_norm.state_dict(), "actor_opts": [o.state_dict() for o in actor_opts],
            "critic_opt": critic_opt.state_dict(), "torch_rng": torch.get_rng_state(),
            "sample_gen": sample_gen.get_state(), "shuffle_gen": shuffle_gen.get_state(),
            "order_rng": order_rng.bit_generator.state, "venv": pickle.dumps(venv),
            "obs": obs_np, "starts": starts_np, "hidden": [h.cpu() for h in hidden],
            "ep_cost": ep_cost, "ep_reward": ep_reward, "ep_len": ep_len,
            "iteration": iteration, "global_step": global_step, "elapsed": elapsed, "cpu_time": cpu_time,
            "best_cost": best["cost"], "best_iteration": best["iteration"], "best_actors": best["actors"],
            "history": history, "bad_evals": bad_evals,
        }  # fmt: skip
        _save(run_dir / "last.pt", ck)
        if tag is not None and args.keep_checkpoints > 0:
            _save(run_dir / "checkpoints" / f"{tag}.pt", ck)
            old = sorted((run_dir / "checkpoints").glob("iter_*.pt"))[: -args.keep_checkpoints]
            for p in old:
                p.unlink()

    def log(key: str, value: float) -> None:
        if writer is not None:
            writer.add_scalar(key, value, global_step)

    t_start = time.perf_counter() - elapsed
    c_start = time.process_time() - cpu_time
    while iteration < num_iterations:
        if args.time_limit and time.perf_counter() - t_start >= args.time_limit:
            break
        if args.anneal_lr:
            done_frac = iteration / num_iterations
            if args.time_limit:
                done_frac = max(done_frac, (time.perf_counter() - t_start) / args.time_limit)
            frac = max(1.0 - done_frac, 0.0)
            for o in actor_opts:
                o.param_groups[0]["lr"] = frac * args.actor_lr
            critic_opt.param_groups[0]["lr"] = frac * args.critic_lr

        # ---------------------------------------------------------------- rollout
        t0 = time.perf_counter()
        if stack is not None:
            stack.refresh()  # the actors changed in the last update
        finished_cost: list[float] = []
        finished_reward: list[float] = []
        final_states.clear()
        with torch.no_grad():
            for t in range(T):
                state_buf[t] = to_dev(venv.state()) / scale
                obs_t = state_buf[t][:, None].expand(B, N, S) if global_input else to_dev(obs_np) / scale
                obs_buf[t] = obs_t
                st = to_dev(starts_np)
                start_buf[t] = st
                if stack is not None:
                    # Every agent in one batched pass (same actions as one pass per actor).
                    a, lp = stack.sample(obs_t.transpose(0, 1), sample_gen)  # [N, B, k], [N, B]
                    act_buf[t] = a.transpose(0, 1)
                    logp_buf[t] = lp.T
                else:
                    for i, actor in enumerate(actors):
                        if recurrent:
                            h_buf[i][t] = hidden[i]  # type: ignore[index]
                            logits, hidden[i] = actor.logits(obs_t[None, :, i], hidden[i], st[None])
                        else:
                            logits, _ = actor.logits(obs_t[None, :, i])
                        a, lp = actor.sample(logits[0], sample_gen)
                        act_buf[t, :, i, : len(actor.nvec)] = a.view(B, -1)
                        logp_buf[t, :, i] = lp
                actions = act_buf[t].cpu().numpy()
                if level_mode:
                    env_actions = _level_orders(actions[:, :, 0], venv, args.level_position)
                else:
                    env_actions = actions[:, :, 0] if k_max == 1 else actions
                obs_np, rew, term, trunc, info = venv.step(env_actions)
                rew_buf[t] = to_dev(rew)
                done = np.logical_or(term, trunc).any(1)
                done_buf[t] = to_dev(done.astype(np.float32))
                ep_cost += info["cost"].sum(1)
                ep_reward += rew.mean(1)
                ep_len += 1
                if done.any():
                    final_states[t] = to_dev(info["final_state"]) / scale
                    finished_cost += list(ep_cost[done] / ep_len)
                    finished_reward += list(ep_reward[done] / ep_len)
                    ep_cost[done] = 0.0
                    ep_reward[done] = 0.0
                    if done.all():
                        ep_len = 0
                starts_np = done.astype(np.float32)
            state_buf[T] = to_dev(venv.state()) / scale

            # ------------------------------------------------------------ values and GAE
            v_all = value_norm.denormalize(critic(state_buf))  # [T + 1, B, N]
            values = v_all[:T]
            next_values = v_all[1:].clone()
            for t, fs in final_states.items():
                d = done_buf[t].bool()
                next_values[t, d] = value_norm.denormalize(critic(fs[d]))
            dones = done_buf[:, :, None].expand(T, B, N)
            adv, returns = compute_gae(
                rew_buf, values, next_values, dones, torch.zeros_like(dones), args.gamma, args.gae_lambda
            )
        global_step += args.batch_size
        t_roll = time.perf_counter() - t0

        # ---------------------------------------------------------------- HAPPO update
        t0 = time.perf_counter()
        L = args.chunk_length if recurrent else 1

        def chunks(x: torch.Tensor, L: int = L) -> torch.Tensor:  # [T, B, ...] -> [L, C, ...]
            return (
                x.reshape(T // L, L, B, *x.shape[2:]).transpose(0, 1).reshape(L, (T // L) * B, *x.shape[2:])
            )

        data = ActorData(
            obs=chunks(obs_buf),
            actions=chunks(act_buf),
            logp=chunks(logp_buf),
            adv=chunks(adv),
            starts=chunks(start_buf),
            h0=[h[::L].transpose(0, 1).reshape(h.shape[1], -1, h.shape[3]) for h in h_buf] if h_buf else None,
        )
        order = [int(i) for i in order_rng.permutation(N)]
        for a in actors:
            a.train()
        a_stats, _ = update_actors(actors, actor_opts, data, order, args, shuffle_gen)
        c_stats = update_critic(
            critic, critic_opt, value_norm, state_buf[:T].reshape(T * B, S), returns.reshape(T * B, N),
            values.reshape(T * B, N), args, shuffle_gen,
        )  # fmt: skip
        t_upd = time.perf_counter() - t0
        iteration += 1
        elapsed = time.perf_counter() - t_start
        cpu_time = time.process_time() - c_start

        # ---------------------------------------------------------------- logs
        sps = global_step / max(elapsed, 1e-9)
        if finished_cost:
            log("charts/episode_cost", float(np.mean(finished_cost)))
            log("charts/episode_reward", float(np.mean(finished_reward)))
        log("charts/learning_rate", actor_opts[0].param_groups[0]["lr"])
        log("charts/SPS", sps)
        log("charts/SPS_cpu", global_step / max(cpu_time, 1e-9))
        log("charts/rollout_time", t_roll)
        log("charts/update_time", t_upd)
        for i, name in enumerate(agents):
            for k in ("policy_loss", "entropy", "approx_kl", "clipfrac", "grad_norm", "factor"):
                log(f"losses/{k}/{name}", a_stats[k][i])
            log(f"losses/update_order/{name}", order.index(i))
        log("losses/value_loss", c_stats["value_loss"])
        log("losses/critic_grad_norm", c_stats["critic_grad_norm"])
        with torch.no_grad():
            var_r = returns.var()
            log(
                "losses/explained_variance",
                float(1 - (returns - values).var() / var_r) if var_r > 0 else math.nan,
            )

        # ---------------------------------------------------------------- evaluation
        last_iter = iteration >= num_iterations or (
            args.time_limit and time.perf_counter() - t_start >= args.time_limit
        )
        if (args.eval_interval and iteration % args.eval_interval == 0) or last_iter:
            for a in actors:
                a.eval()
            rep = evaluate(
                eval_env,
                HAPPOPolicy(actors, scale, device, **_policy_kwargs(args)),
                args.eval_episodes,
                args.eval_seed,
            )
            cost = rep.cost_per_period
            history.append({"iteration": iteration, "global_step": global_step, "cost_per_period": cost,
                            "fill_rate": rep.fill_rate, "time": time.perf_counter() - t_start})  # fmt: skip
            if cost < best["cost"] - args.min_delta:
                best = {"cost": cost, "iteration": iteration,
                        "actors": [copy.deepcopy(a.state_dict()) for a in actors]}  # fmt: skip
                bad_evals = 0
                if args.save:
                    _save(run_dir / "best.pt", {"args": _args_dict(args), "agents": agents, "obs_scale": scale,
                                                "best_actors": best["actors"], "best_cost": cost,
                                                "iteration": iteration})  # fmt: skip
            else:
                bad_evals += 1
            log("eval/cost_per_period", cost)
            log("eval/best_cost_per_period", best["cost"])
            log("eval/fill_rate", rep.fill_rate)
            if args.patience and bad_evals >= args.patience:
                stopped_early = True
        elapsed = time.perf_counter() - t_start
        cpu_time = time.process_time() - c_start
        if bar is not None:
            bar.update(args.batch_size)
            bar.set_postfix_str(
                f"cost {np.mean(finished_cost) if finished_cost else float('nan'):.2f} "
                f"best {best['cost']:.2f} sps {global_step / max(elapsed, 1e-9):,.0f}"
            )
        if args.checkpoint_interval and iteration % args.checkpoint_interval == 0:
            checkpoint(f"iter_{iteration:06d}")
        if stopped_early:
            break

    elapsed = time.perf_counter() - t_start
    cpu_time = time.process_time() - c_start
    checkpoint(None)
    if bar is not None:
        bar.close()
    if writer is not None:
        writer.flush()
        writer.close()

    best_actors = [copy.deepcopy(a) for a in actors]
    for a, sd in zip(best_actors, best["actors"], strict=True):
        a.load_state_dict(sd)
        a.eval()
    policy = HAPPOPolicy(best_actors, scale, device, **_policy_kwargs(args))
    table = None
    if args.final_table:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            print(f"\nHAPPO on {args.env} preset={args.preset}: best model of iteration {best['iteration']}, "
                  f"{global_step:,} env-steps in {elapsed:.0f} s ({global_step / max(elapsed, 1e-9):,.0f} env-steps/s)")  # fmt: skip
            print(f"test: {args.test_episodes} episodes from seed {args.test_seed}")
            table = baseline_table(eval_env, policy, args.test_episodes, args.test_seed)
    return TrainResult(
        policy=policy,
        best_cost=float(best["cost"]),
        best_iteration=int(best["iteration"]),
        history=history,
        global_step=global_step,
        iterations=iteration,
        wall_time=elapsed,
        cpu_time=cpu_time,
        sps=global_step / max(elapsed, 1e-9),
        stopped_early=stopped_early,
        run_dir=run_dir if (args.save or args.tensorboard) else None,
        table=table,
        actors=actors,
        critic=critic,
    )
