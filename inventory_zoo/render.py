"""Rendering: a text table of the current period (``render_mode="ansi"``)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["render_ansi"]


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
    a = spec.arrays
    owed_down = (s.owed @ a["sout"])[member]
    in_transit = s.pipe.sum(2)[member] @ a["cin"]
    ordered = s.ordered[member] @ a["cin"]
    last = b.last
    cost = last.cost[member] if last is not None else np.zeros(spec.num_nodes)
    rows = [
        f"period {s.t}/{b.max_cycles}   next demand: "
        + ", ".join(
            f"{spec.nodes[i].name}={int(s.demand[member, i])}" for i in np.flatnonzero(a["has_demand"])
        )
    ]
    head = f"{'agent':<14}{'on hand':>9}{'backlog':>9}{'transit':>9}{'ordered':>9}{'cost':>10}"
    rows += [head, "-" * len(head)]
    for i, node in enumerate(spec.nodes):
        rows.append(
            f"{node.name:<14}{int(s.on_hand[member, i]):>9}"
            f"{int(s.backlog[member, i] + owed_down[i]):>9}{int(in_transit[i]):>9}"
            f"{int(ordered[i]):>9}{cost[i]:>10.2f}"
        )
    rows.append(f"{'total':<14}{'':>36}{cost.sum():>10.2f}")
    return "\n".join(rows)
