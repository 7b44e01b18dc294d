"""Rendering: a text table of the period (``"ansi"``/``"human"``) and charts of an episode
(``"rgb_array"``, :func:`plot_episode`; charts need matplotlib, the ``plot`` extra).

The env-level pieces live in :mod:`inventory_zoo.envs.rendering` (the ParallelEnv's
``render()`` uses them); this module adds :func:`plot_episode`, which plays an episode with
:mod:`inventory_zoo.rollout`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from inventory_zoo.envs.rendering import (
    chart,
    episode_history,
    period_flows,
    record_period,
    render_ansi,
    render_rgb,
    require_matplotlib,
)
from inventory_zoo.rollout import run_episodes

__all__ = ["chart", "episode_history", "plot_episode", "record_period", "render_ansi", "render_rgb"]


def plot_episode(
    env: Any,
    policy: Any,
    path: str | None = None,
    seed: int | None = 0,
    size: tuple[int, int] = (900, 600),
):
    """Play one episode of ``env`` with ``policy`` and chart it; save a PNG to ``path`` if given.

    Args:
        env: an env of this library.
        policy: a policy (``act(obs, env)``) or a callable.
        path: where to write the PNG (``None``: do not save).
        seed: the episode's seed.
        size: image size in pixels (width, height).

    Returns:
        the matplotlib figure.
    """
    plt = require_matplotlib()
    hist: dict[str, list] = {"on_hand": [], "backlog": [], "orders": [], "demand": []}
    agents: list[str] = []
    for venv, _, _, out in run_episodes(env, policy, 1, seed):
        for k, v in period_flows(venv.spec, venv.engine_state, out).items():
            hist[k].append(v[0])
        agents = venv.agents
    arrays = {k: np.array(v) for k, v in hist.items()}
    fig = chart(arrays, agents, f"{getattr(env, 'metadata', {}).get('name', '')} — {policy!r}", size)
    if path is not None:
        fig.savefig(path, dpi=100)
        plt.close(fig)
    return fig
