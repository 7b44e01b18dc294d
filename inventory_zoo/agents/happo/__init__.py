"""HAPPO: heterogeneous-agent PPO, the algorithm of the paper this project grew from.

The package, one module per part: :mod:`~.config` (:class:`Args`, every setting with its meaning),
:mod:`~.networks` (:class:`Actor`, :class:`ActorStack`, :class:`Critic`, :class:`ValueNorm`),
:mod:`~.buffer` (the rollout and :func:`compute_gae`), :mod:`~.update` (:func:`update_actors`,
:func:`update_critic`), :mod:`~.policy` (:class:`HAPPOPolicy`), :mod:`~.checkpoint` (model files
that load as data, resume checkpoints, :func:`load_policy`, :func:`policy_factory`),
:mod:`~.training` (:class:`Trainer`, :func:`train`) and :mod:`~.cli` (``inventory-zoo train happo``).

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

Use::

    from inventory_zoo.agents import happo
    result = happo.train(happo.Args(env="serial_v0"))          # the env's default preset
    policy = happo.load_policy("runs/happo/<run>/best.pt")      # a model file is data: no code runs
"""

from __future__ import annotations

from inventory_zoo.agents.happo.buffer import ActorData, RolloutBuffer, compute_gae
from inventory_zoo.agents.happo.checkpoint import (
    ModelFile,
    UnsafeModelFileError,
    load_checkpoint,
    load_policy,
    policy_factory,
    read_model,
)
from inventory_zoo.agents.happo.config import (
    Args,
    HappoConfig,
    config_from_json,
    config_to_json,
    make_env,
    paper_args,
)
from inventory_zoo.agents.happo.networks import (
    Actor,
    ActorStack,
    Critic,
    ValueNorm,
    build_networks,
    flatten_parameters,
    obs_scale,
    opt_params,
)
from inventory_zoo.agents.happo.policy import HAPPOPolicy
from inventory_zoo.agents.happo.training import Trainer, TrainResult, train
from inventory_zoo.agents.happo.update import update_actors, update_critic

__all__ = [
    "Actor",
    "ActorData",
    "ActorStack",
    "Args",
    "Critic",
    "HAPPOPolicy",
    "HappoConfig",
    "ModelFile",
    "RolloutBuffer",
    "TrainResult",
    "Trainer",
    "UnsafeModelFileError",
    "ValueNorm",
    "build_networks",
    "compute_gae",
    "config_from_json",
    "config_to_json",
    "flatten_parameters",
    "load_checkpoint",
    "load_policy",
    "make_env",
    "obs_scale",
    "opt_params",
    "paper_args",
    "policy_factory",
    "read_model",
    "train",
    "update_actors",
    "update_critic",
]
