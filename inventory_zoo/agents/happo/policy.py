"""Trained actors as a library policy (:class:`HAPPOPolicy`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from inventory_zoo.agents.happo.config import Args
from inventory_zoo.agents.happo.networks import Actor, ActorStack
from inventory_zoo.policies.base import Policy

__all__ = ["HAPPOPolicy", "level_orders", "policy_kwargs"]


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
            return level_orders(res[:, :, 0], env, self.level_position)
        return res[:, :, 0] if self.k_max == 1 else res


def level_orders(levels: np.ndarray, env: Any, position: str) -> np.ndarray:
    """The env's actions for order-up-to ``levels [B, N]`` (see :class:`Args` ``action_mode``)."""
    from inventory_zoo.policies import orders_up_to

    return orders_up_to(levels, env, position)


def policy_kwargs(args: Args) -> dict[str, str]:
    """The :class:`HAPPOPolicy` arguments that ``args`` decides."""
    return dict(
        actor_input=args.actor_input, action_mode=args.action_mode, level_position=args.level_position
    )
