"""The parts of a HAPPO run's state, each with ``state_dict()``/``load_state_dict()``:
the networks and their optimisers (:class:`Learner`), the random generators
(:class:`Generators`), the training envs mid-episode (:class:`EnvState`) and the run's record
(:class:`Record`). A resume checkpoint is their four state dicts; restoring them replays the run
bit for bit."""

from __future__ import annotations

import copy
import math
import pickle
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import torch

from inventory_zoo.agents.happo.config import Args
from inventory_zoo.agents.happo.networks import ValueNorm, build_networks, flatten_parameters
from inventory_zoo.envs.vector import VectorEnv

__all__ = ["EnvState", "Generators", "Learner", "Record"]


class Generators:
    """Every source of randomness of a run: torch's global generator (network initialisation),
    the action sampler's, the minibatch shuffles' and the agent order's.

    Seeding torch's global generator here, before the networks are built, is what makes two
    runs of one seed start from the same weights.
    """

    def __init__(self, seed: int, device: torch.device) -> None:
        torch.manual_seed(seed)
        self.order = np.random.default_rng(seed)
        self.sample = torch.Generator(device=device)
        self.sample.manual_seed(seed)
        self.shuffle = torch.Generator()
        self.shuffle.manual_seed(seed + 1)

    def state_dict(self) -> dict[str, Any]:
        return {
            "torch": torch.get_rng_state(),
            "sample": self.sample.get_state(),
            "shuffle": self.shuffle.get_state(),
            "order": self.order.bit_generator.state,
        }

    def load_state_dict(self, d: dict[str, Any]) -> None:
        torch.set_rng_state(d["torch"])
        self.sample.set_state(d["sample"])
        self.shuffle.set_state(d["shuffle"])
        self.order.bit_generator.state = d["order"]


class Learner:
    """The actors, the critic, the value normaliser and their optimisers.

    Fused Adam over one flat tensor per network: one kernel per step instead of one per tensor
    (these networks are small, and per-tensor overhead dominated the optimiser step). Not for
    GRU actors: on CUDA, nn.GRU re-packs its weights into cuDNN's own buffer, which would cut
    them off from the flat tensor.
    """

    def __init__(self, args: Args, penv: Any, device: torch.device) -> None:
        self.agents, self.actors, self.critic = build_networks(args, penv, device)
        self.actor_opts = [
            torch.optim.Adam(
                list(a.parameters()) if a.recurrent else [flatten_parameters(a)],
                lr=args.actor_lr,
                eps=args.adam_eps,
                fused=True,
            )
            for a in self.actors
        ]
        self.critic_opt = torch.optim.Adam(
            [flatten_parameters(self.critic)], lr=args.critic_lr, eps=args.adam_eps, fused=True
        )
        self.value_norm = ValueNorm(len(self.agents), args.value_norm_beta, args.value_norm).to(device)

    def set_learning_rates(self, actor_lr: float, critic_lr: float) -> None:
        for o in self.actor_opts:
            o.param_groups[0]["lr"] = actor_lr
        self.critic_opt.param_groups[0]["lr"] = critic_lr

    def actor_states(self) -> list[dict[str, torch.Tensor]]:
        """Copies of the actors' current weights."""
        return [copy.deepcopy(a.state_dict()) for a in self.actors]

    def state_dict(self) -> dict[str, Any]:
        return {
            "actors": [a.state_dict() for a in self.actors],
            "critic": self.critic.state_dict(),
            "value_norm": self.value_norm.state_dict(),
            "actor_opts": [o.state_dict() for o in self.actor_opts],
            "critic_opt": self.critic_opt.state_dict(),
        }

    def load_state_dict(self, d: dict[str, Any]) -> None:
        for a, sd in zip(self.actors, d["actors"], strict=True):
            a.load_state_dict(sd)
        self.critic.load_state_dict(d["critic"])
        self.value_norm.load_state_dict(d["value_norm"])
        for o, sd in zip(self.actor_opts, d["actor_opts"], strict=True):
            o.load_state_dict(sd)
        self.critic_opt.load_state_dict(d["critic_opt"])


class EnvState:
    """The training envs between two iterations: the vector env itself (mid-episode), the last
    observations, which rows start an episode, the GRU states, and the running episode sums.

    Attributes:
        venv: ``num_envs`` copies of the env, reset automatically.
        obs: ``[B, N, obs_dim]`` the last observations; starts: ``[B]`` 1 where an episode begins.
        hidden: per actor ``[layers, B, hidden]``.
        ep_cost, ep_reward: ``[B]`` sums over the running episodes; ep_len: their length so far.
    """

    def __init__(self, args: Args, penv: Any, actors: list[Any], device: torch.device) -> None:
        self.venv = VectorEnv(penv, args.num_envs, auto_reset=True, seeding="batched")
        if args.train_max_cycles is not None:
            self.venv.max_cycles = int(args.train_max_cycles)
        B = args.num_envs
        self.obs, _ = self.venv.reset(seed=args.seed)
        self.starts = np.ones(B, np.float32)
        self.hidden = [a.initial_state(B, device) for a in actors]
        self.ep_cost = np.zeros(B)
        self.ep_reward = np.zeros(B)
        self.ep_len = 0
        self.device = device

    def state_dict(self) -> dict[str, Any]:
        return {
            "venv": pickle.dumps(self.venv),
            "obs": self.obs,
            "starts": self.starts,
            "hidden": [h.cpu() for h in self.hidden],
            "ep_cost": self.ep_cost,
            "ep_reward": self.ep_reward,
            "ep_len": self.ep_len,
        }

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.venv = pickle.loads(d["venv"])
        self.obs, self.starts = d["obs"], d["starts"]
        self.hidden = [h.to(self.device) for h in d["hidden"]]
        self.ep_cost, self.ep_reward, self.ep_len = d["ep_cost"], d["ep_reward"], d["ep_len"]


@dataclass
class Record:
    """How far the run got and what it found.

    Attributes:
        iteration, global_step: iterations and env-steps done.
        elapsed, cpu_time: wall-clock and CPU seconds of training so far (all resumed runs).
        best_cost, best_iteration, best_actors: the best evaluation and the actors' weights then.
        history: one dict per evaluation.
        bad_evals: evaluations since the last improvement.
    """

    iteration: int = 0
    global_step: int = 0
    elapsed: float = 0.0
    cpu_time: float = 0.0
    best_cost: float = math.inf
    best_iteration: int = -1
    best_actors: list[dict[str, torch.Tensor]] = field(default_factory=list)
    history: list[dict[str, float]] = field(default_factory=list)
    bad_evals: int = 0

    def state_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        for f in fields(self):
            setattr(self, f.name, d[f.name])
        self.history = list(self.history)
