"""HAPPO's networks: one :class:`Actor` per agent, the :class:`ActorStack` that evaluates
same-shaped feed-forward actors as one batched network, the centralised :class:`Critic`, the
return normaliser :class:`ValueNorm`, and :func:`flatten_parameters` (one tensor per network, for
a fused optimiser step)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from inventory_zoo.agents.happo.config import Args

__all__ = [
    "Actor",
    "ActorStack",
    "Critic",
    "ValueNorm",
    "action_nvec",
    "build_networks",
    "flatten_parameters",
    "max_level",
    "obs_scale",
    "opt_params",
]


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


def action_nvec(space: Any) -> tuple[int, ...]:
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


def opt_params(opt: torch.optim.Optimizer) -> list[torch.Tensor]:
    """The tensors ``opt`` steps (the flat parameter, when there is one)."""
    return [p for g in opt.param_groups for p in g["params"]]


def max_level(args: Args, penv: Any) -> int:
    """The highest level of a ``level`` action: ``args.max_level``, else
    ``max_order * (longest lead time + 1)`` (room for a position covering the lead time)."""
    if args.max_level is not None:
        return int(args.max_level)
    return int(penv.max_order) * (int(penv.spec.params.max_lead_time) + 1)


def obs_scale(args: Args, penv: Any) -> float:
    """What observations and states are divided by: ``args.obs_scale``, else 1 when the env
    normalises them, else its ``max_order``."""
    if args.obs_scale is not None:
        return float(args.obs_scale)
    return 1.0 if penv.batch.obs_scale is not None else float(penv.max_order)


def build_networks(args: Args, penv: Any, device: torch.device) -> tuple[list[str], list[Actor], Critic]:
    """The agents of ``penv``, one :class:`Actor` per agent and the :class:`Critic`, as ``args`` says
    (initialised from torch's global generator)."""
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
        nvecs = [(max_level(args, penv) + 1,)] * len(agents)
    else:
        nvecs = [action_nvec(penv.action_space(a)) for a in agents]
    gru = args.gru_layers if args.policy == "gru" else 0
    actors = [
        Actor(d, nv, args.hidden_sizes, args.layer_norm, gru, args.action_head).to(device)
        for d, nv in zip(obs_dims, nvecs, strict=True)
    ]
    critic = Critic(int(penv.state_space.shape[0]), len(agents), args.hidden_sizes, args.layer_norm).to(
        device
    )
    return agents, actors, critic
