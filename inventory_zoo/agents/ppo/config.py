"""The settings of a PPO run: one dataclass, whose field docstrings are the command line's help
(``inventory-zoo train ppo --help``, built by tyro)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Args", "ACTIONS", "ENV_SETTINGS", "load_config"]

#: The action modes (``--actions``).
ACTIONS = ("order-up-to", "continuous", "discrete")

#: The settings that fix the env a model was trained on (restored by ``--eval-only`` and loaders).
ENV_SETTINGS = ("env", "preset", "agent_id", "global_obs", "reward_mix", "scale_obs")


@dataclass
class Args:
    """Shared-parameter PPO (Stable-Baselines3) on an inventory-zoo env, then a comparison with
    the base-stock baselines on the same episodes."""

    env: str = "serial_v0"
    """env: serial_v0, network_v0 or beer_game_v0"""
    preset: str | None = None
    """preset of the env (None: the env's default preset; 'none': no preset)"""
    timesteps: int = 2_000_000
    """training steps, one per agent per period"""
    device: str = "auto"
    """torch device: auto, cpu or cuda"""
    seed: int = 0
    """seed of torch, numpy and the env copies (copy b gets seed + b)"""
    vector: bool = False
    """use the library's vector env (fast) instead of SuperSuit"""
    actions: str = "order-up-to"
    """'order-up-to': a Gaussian policy on [-1, 1] chooses an order-up-to level; 'continuous': the
    Gaussian's action is rounded to the order; 'discrete': categorical orders"""
    max_level: float | None = None
    """order-up-to: the level of action 1 (action a -> level (a+1)/2 max_level); None:
    max_order x (longest lead time covered + 1)"""
    order_up_to_position: str = "installation"
    """order-up-to: the position lifted to the level, 'installation' (the agent's own) or
    'echelon' (serial chains; reads the full state)"""
    agent_id: bool = True
    """append a one-hot agent id to observations"""
    global_obs: bool = False
    """append the env's global state to every agent's observation (centralised)"""
    n_envs: int = 16
    """env copies (rows = copies x agents)"""
    reward_mix: float | None = None
    """training reward = -((1-m) own cost + m team mean cost); None: 1 if some agent has no
    backorder cost, else the env's own"""
    max_cycles: int | None = None
    """periods per training episode (None: the env's)"""
    eval_max_cycles: int | None = None
    """periods per evaluation episode (None: the env's)"""
    scale_obs: bool = True
    """divide observations by the env's obs_scale (default max_order)"""
    n_steps: int = 256
    """periods per rollout, per row"""
    batch_size: int = 1024
    """minibatch size (rows)"""
    n_epochs: int = 10
    """optimisation epochs per rollout"""
    lr: float = 1e-3
    """Adam learning rate (decays linearly to 0)"""
    gamma: float = 0.95
    """discount factor"""
    gae_lambda: float = 0.95
    """GAE lambda"""
    clip_range: float = 0.2
    """PPO clip range"""
    ent_coef: float = 0.0
    """entropy bonus"""
    start_at_demand: bool = True
    """the untrained policy's mean order is the mean demand (order-up-to: its mean level is the
    mean demand x (lead time + 1))"""
    log_std_init: float | None = None
    """initial log std of the Gaussian policy; None: -2 with order-up-to levels, -1 with
    continuous orders"""
    net_arch: str = "64,64"
    """hidden layer sizes of actor and critic"""
    norm_obs: bool = False
    """running observation normalisation (VecNormalize)"""
    norm_reward: bool = True
    """scale rewards by the return's std (VecNormalize)"""
    max_minutes: float | None = None
    """stop training after this many minutes (validation time excluded)"""
    torch_threads: int = 1
    """torch CPU threads (0: torch's default)"""
    out: str | None = None
    """run directory (None: runs/{env}-{preset}-{path}-s{seed})"""
    overwrite: bool = False
    """allow --out to be a directory that holds another run (its files are replaced)"""
    resume: str | None = None
    """continue the run in this directory from its last checkpoint (its config.json is used)"""
    checkpoint_every: int = 500_000
    """save a resumable checkpoint every this many timesteps"""
    curve_points: int = 40
    """validation evaluations during training"""
    curve_episodes: int = 10
    """episodes per validation evaluation"""
    eval_episodes: int = 20
    """episodes of the final evaluation"""
    eval_seed: int = 0
    """evaluation episode k is seeded eval_seed + k"""
    search_episodes: int = 16
    """episodes per candidate in the base-stock search"""
    heuristic_budget: int = 100
    """trials per heuristic family tuned for the final table (forecast-driven order-up-to, (s, S)
    on a forecast, capped base-stock, ...: the best of them is the bar to beat; 0: none; needs
    the tune extra)"""
    progress: bool = True
    """show progress bars (only when stderr is a terminal)"""
    eval_only: str | None = None
    """evaluate this saved model (.zip) or run directory and exit"""


def load_config(path: str | Path) -> dict[str, Any]:
    """The arguments saved in a run's ``config.json`` (plain JSON; unknown keys dropped)."""
    saved = json.loads(Path(path).read_text())
    if not isinstance(saved, dict):
        raise ValueError(f"{path}: expected a JSON object of arguments, got {type(saved).__name__}")
    names = {f.name for f in dataclasses.fields(Args)}
    return {k: v for k, v in saved.items() if k in names}
