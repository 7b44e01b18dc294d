"""The HAPPO update: the agents' actors one after another in a random order, each weighted by
the product of the probability ratios of the agents updated before it (:func:`update_actors`),
then the centralised critic (:func:`update_critic`)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from inventory_zoo.agents.happo.buffer import ActorData
from inventory_zoo.agents.happo.config import Args
from inventory_zoo.agents.happo.networks import Actor, Critic, ValueNorm, opt_params

__all__ = ["update_actors", "update_critic"]


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
                norms.append(nn.utils.clip_grad_norm_(opt_params(opt), args.max_grad_norm))
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
            norms.append(nn.utils.clip_grad_norm_(opt_params(optimizer), args.max_grad_norm))
            optimizer.step()
            losses.append(loss.detach())
    return {
        "value_loss": float(torch.stack(losses).mean()),
        "critic_grad_norm": float(torch.stack(norms).mean()),
    }
