"""Rendering of an env: a text table of the period (``"ansi"``/``"human"``) and a chart of the
episode so far (``"rgb_array"``; charts need matplotlib, the ``plot`` extra).

This module sits just above the engine: the ParallelEnv's ``render()`` calls it, so it imports
nothing from the env classes, the episode runner or evaluation (charts of a whole episode
played by a policy are :func:`inventory_zoo.render.plot_episode`, one layer up).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from inventory_zoo.core import quantities

__all__ = [
    "chart",
    "episode_history",
    "period_flows",
    "record_period",
    "render_ansi",
    "render_rgb",
    "require_matplotlib",
]


def render_ansi(env: Any, member: int = 0) -> str:
    """A table of one batch member's period: stock, backlog, flows and cost per agent.

    Args:
        env: a ParallelEnv of this library (or anything with ``spec`` and ``batch``).
        member: which member of the batch to show.
    """
    b = env.batch
    s, spec = b.state, env.spec
    if s is None:
        return "(not reset)"
    owes = quantities.owes(spec, s)[member]
    in_transit = quantities.in_transit(spec, s)[member]
    ordered = quantities.orders_placed(spec, s)[member]
    last = b.last
    cost = last.cost[member] if last is not None else np.zeros(spec.num_nodes)
    rows = [
        f"period {s.t}/{b.max_cycles}   next demand: "
        + ", ".join(f"{spec.nodes[i].name}={int(s.demand[member, i])}" for i in spec.params.demand_nodes)
    ]
    head = f"{'agent':<14}{'on hand':>9}{'backlog':>9}{'transit':>9}{'ordered':>9}{'cost':>10}"
    rows += [head, "-" * len(head)]
    for i, node in enumerate(spec.nodes):
        rows.append(
            f"{node.name:<14}{int(s.on_hand[member, i]):>9}"
            f"{int(owes[i]):>9}{int(in_transit[i]):>9}"
            f"{int(ordered[i]):>9}{cost[i]:>10.2f}"
        )
    rows.append(f"{'total':<14}{'':>36}{cost.sum():>10.2f}")
    return "\n".join(rows)


def require_matplotlib():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "charts need matplotlib: pip install 'inventory-zoo[plot]' (or pip install matplotlib)"
        ) from None
    return plt


def episode_history(env: Any) -> dict[str, np.ndarray]:
    """The recorded periods of a ParallelEnv (``render_mode="rgb_array"`` records them).

    Returns:
        ``{"on_hand", "backlog", "orders", "demand"}``, each ``[T, N]`` (demand: customer demand
        plus orders received, i.e. the demand each agent saw).
    """
    hist = getattr(env, "_history", None) or []
    keys = ("on_hand", "backlog", "orders", "demand")
    if not hist:
        n = len(env.possible_agents)
        return {k: np.zeros((0, n)) for k in keys}
    return {k: np.array([h[k] for h in hist]) for k in keys}


def record_period(env: Any) -> None:
    """Append the current period of a batch-of-one env to its history (used for rgb_array)."""
    env._history.append({k: v[0] for k, v in period_flows(env.spec, env.batch.state, env.batch.last).items()})


def period_flows(spec: Any, s: Any, out: Any) -> dict[str, np.ndarray]:
    """``[B, N]`` each: on hand, what each node owes (``"backlog"``), what it ordered and the
    demand it saw (customer demand plus orders received) in the period just stepped."""
    return {
        "on_hand": s.on_hand.copy(),
        "backlog": quantities.owes(spec, s),
        "orders": quantities.orders_placed(spec, s),
        "demand": quantities.orders_seen(spec, s, out.demand),
    }


def chart(
    history: dict[str, np.ndarray], agents: list[str], title: str = "", size: tuple[int, int] = (640, 480)
):
    """A matplotlib figure: one panel per agent with on-hand, backlog, orders and demand seen."""
    plt = require_matplotlib()
    n = len(agents)
    dpi = 100
    fig, axes = plt.subplots(
        n, 1, figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, sharex=True, squeeze=False
    )
    t = np.arange(1, history["on_hand"].shape[0] + 1)
    for i, ax in enumerate(axes[:, 0]):
        for key, style in (("on_hand", "-"), ("backlog", "-"), ("orders", "--"), ("demand", ":")):
            ax.plot(t, history[key][:, i] if len(t) else [], style, label=key.replace("_", " "), lw=1.2)
        ax.set_ylabel(agents[i], fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, ncol=4, loc="upper right")
    axes[-1, 0].set_xlabel("period", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def render_rgb(env: Any, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """``[H, W, 3]`` uint8 image of the episode so far (see :func:`chart`)."""
    plt = require_matplotlib()
    fig = chart(episode_history(env), list(env.possible_agents), env.metadata.get("name", ""), size)
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return img
