"""A rollout's storage (:class:`RolloutBuffer`), generalised advantage estimation
(:func:`compute_gae`) and the rollout as the actors' updates read it (:class:`ActorData`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from inventory_zoo.agents.happo.networks import Actor, Critic, ValueNorm

__all__ = ["ActorData", "RolloutBuffer", "compute_gae"]


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


class RolloutBuffer:
    """One iteration's rollout, on the device: ``T`` periods of ``B`` env copies, ``N`` agents.

    Attributes:
        obs: ``[T, B, N, obs_dim]`` what each actor saw (scaled).
        states: ``[T + 1, B, state_dim]`` global states (scaled); row ``T`` is the state after
            the rollout, for the bootstrap.
        actions: ``[T, B, N, k]`` (int64), the actors' own outputs (orders or levels).
        logp: ``[T, B, N]`` their log-probabilities.
        rewards: ``[T, B, N]``.
        dones: ``[T, B]`` 1 where an episode ended at step t.
        starts: ``[T, B]`` 1 where step t began an episode.
        hidden: per GRU actor ``[T, layers, B, hidden]``, its state before step t (else ``None``).
        final_states: ``{t: [B, state_dim]}`` the final states of the episodes that ended at step t.
    """

    def __init__(self, actors: Sequence[Actor], T: int, B: int, state_dim: int, device: torch.device) -> None:
        N, D = len(actors), actors[0].obs_dim
        k_max = max(len(a.nvec) for a in actors)
        self.T, self.B, self.N, self.state_dim = T, B, N, state_dim
        self.obs = torch.zeros(T, B, N, D, device=device)
        self.states = torch.zeros(T + 1, B, state_dim, device=device)
        self.actions = torch.zeros(T, B, N, k_max, dtype=torch.int64, device=device)
        self.logp = torch.zeros(T, B, N, device=device)
        self.rewards = torch.zeros(T, B, N, device=device)
        self.dones = torch.zeros(T, B, device=device)
        self.starts = torch.zeros(T, B, device=device)
        recurrent = any(a.recurrent for a in actors)
        self.hidden = (
            [torch.zeros(T, a.gru_layers, B, a.hidden_size, device=device) for a in actors]
            if recurrent
            else None
        )
        self.final_states: dict[int, torch.Tensor] = {}

    @torch.no_grad()
    def advantages(
        self, critic: Critic, value_norm: ValueNorm, gamma: float, lam: float
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """GAE of the rollout: ``(advantages, returns, values)``, each ``[T, B, N]`` (raw scale).

        An episode that ended at step t is bootstrapped with the value of its final state.
        """
        T, B, N = self.T, self.B, self.N
        v_all = value_norm.denormalize(critic(self.states))  # [T + 1, B, N]
        values = v_all[:T]
        next_values = v_all[1:].clone()
        for t, fs in self.final_states.items():
            d = self.dones[t].bool()
            next_values[t, d] = value_norm.denormalize(critic(fs[d]))
        dones = self.dones[:, :, None].expand(T, B, N)
        adv, returns = compute_gae(
            self.rewards, values, next_values, dones, torch.zeros_like(dones), gamma, lam
        )
        return adv, returns, values

    def actor_data(self, adv: torch.Tensor, chunk_length: int) -> ActorData:
        """The rollout cut into sequences of ``chunk_length`` periods (1 for feed-forward actors)."""
        T, B, L = self.T, self.B, chunk_length

        def chunks(x: torch.Tensor) -> torch.Tensor:  # [T, B, ...] -> [L, C, ...]
            return (
                x.reshape(T // L, L, B, *x.shape[2:]).transpose(0, 1).reshape(L, (T // L) * B, *x.shape[2:])
            )

        h0 = None
        if self.hidden:
            h0 = [h[::L].transpose(0, 1).reshape(h.shape[1], -1, h.shape[3]) for h in self.hidden]
        return ActorData(
            obs=chunks(self.obs),
            actions=chunks(self.actions),
            logp=chunks(self.logp),
            adv=chunks(adv),
            starts=chunks(self.starts),
            h0=h0,
        )
