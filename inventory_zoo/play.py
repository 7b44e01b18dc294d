"""Play one position of the beer game in the terminal.

    python -m inventory_zoo.play beer-game --role retailer
    inventory-zoo play beer-game --role retailer        (the same, through the console script)

You play one of the four positions of the classic board game (``beer_game_v0``, preset
``"classic"``); the three others follow Sterman's anchor-and-adjust rule at its benchmark
parameters. Every week the terminal shows what you received, the order you must fill, what you
shipped, your inventory or backlog and what is on its way to you, then asks for your order.
When the game ends it prints every position's costs next to Sterman's benchmark: the costs of
the same game when all four positions follow the rule (46, 50, 54, 54 = 204 over 36 weeks).

Input: a whole number of cases; Enter repeats your last order; ``h`` shows the rules again;
``q`` ends the game early. Invalid input is refused with a message; the end of the input
(Ctrl-D, or a script that runs out of lines) ends the game as ``q`` does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

import numpy as np

from inventory_zoo import beer_game_v0
from inventory_zoo.beer_game_v0 import AGENTS, STERMAN_BENCHMARK
from inventory_zoo.core import quantities
from inventory_zoo.policies.sterman import Sterman

__all__ = ["main", "build_parser", "play_beer_game"]

GAMES = ("beer-game",)

RULES = """\
The beer game (Sterman 1989). Four positions pass beer down and orders up the chain:
    factory -> distributor -> wholesaler -> retailer -> customers
Every week: 1. the beer shipped to you two weeks ago arrives; 2. you fill the order you
received plus your backlog from stock (what you cannot ship stays in backlog); 3. costs are
charged: 0.50 per case in stock, 1.00 per case of backlog; 4-5. you place your order. An order
takes two weeks to reach your supplier (the factory's brewing request one week), and the beer
then takes two weeks to arrive (brewing: two weeks). Nobody knows the customers' demand
except the retailer, who sees it one week at a time. Your three teammates follow Sterman's
rule. Keep the team's total cost low."""


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line (no usage dump), exit status 2, like ``inventory-zoo``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="inventory-zoo play",
        description="Play one position of the beer game against Sterman-rule teammates "
        "(also: python -m inventory_zoo.play).",
    )
    p.add_argument("game", choices=GAMES, help="the game to play")
    p.add_argument("--role", choices=AGENTS, default="retailer", help="your position (default: retailer)")
    p.add_argument("--weeks", type=_positive_int, default=36, help="weeks to play (default: 36)")
    return p


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of weeks, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"the game needs at least 1 week, got {value}")
    return value


def _teammate_actions(policy: Sterman, obs: dict[str, np.ndarray], env: Any) -> dict[str, int]:
    return {a: int(q) for a, q in policy(obs, env).items()}


def sterman_costs(weeks: int) -> dict[str, float]:
    """Each position's cost over ``weeks`` weeks when all four follow Sterman's benchmark rule."""
    env = beer_game_v0.parallel_env(preset="classic", max_cycles=weeks)
    policy = Sterman.benchmark(env)
    obs, _ = env.reset(seed=0)
    total = dict.fromkeys(AGENTS, 0.0)
    while env.agents:
        obs, _, _, _, infos = env.step(_teammate_actions(policy, obs, env))
        for a in AGENTS:
            total[a] += infos[a]["cost"]
    return total


def _week_report(env: Any, role: str, week: int, costs: dict[str, float]) -> str:
    """What the player sees at the end of a week's steps 1-3."""
    s, p, out = env.engine_state, env.spec.params, env.batch.last
    i = AGENTS.index(role)
    e_in = int(p.in_edges(i)[0])
    if i == 0:
        order_in, shipped = int(out.demand[0, 0]), int(out.sold[0, 0])
        who = "your customers"
    else:
        e_out = int(p.out_edges(i)[0])
        order_in, shipped = int(out.received[0, e_out]), int(out.shipped[0, e_out])
        who = f"the {AGENTS[i - 1]}"
    owed_down = int(quantities.owes(env.spec, s)[0, i])
    pipe = [int(x) for x in s.pipe[0, e_in]]
    arriving = (
        ", ".join(f"{q} in {k + 1} week{'s' if k else ''}" for k, q in enumerate(pipe) if q) or "nothing"
    )
    upstream = "brewing" if i == len(AGENTS) - 1 else "in transit to you"
    slips = int(s.opipe[0, e_in].sum())
    owed_up = int(s.owed[0, e_in])
    lines = [
        f"--- Week {week} --- you are the {role}",
        f"  received {int(out.arrived[0, i])} cases; order from {who}: {order_in}; shipped {shipped}",
        f"  inventory {int(s.on_hand[0, i])}   backlog {owed_down}   "
        f"cost this week {float(out.cost[0, i]):.2f}   your total {costs[role]:.2f}   "
        f"team total {sum(costs.values()):.2f}",
        f"  {upstream}: {arriving}",
    ]
    if i < len(AGENTS) - 1:
        lines.append(
            f"  your orders not yet read by your supplier: {slips}; your supplier's backlog to you: {owed_up}"
        )
    elif p.order_delay[e_in] > 0:
        lines.append(f"  brewing requests not yet started: {slips}")
    return "\n".join(lines)


def _summary(costs: dict[str, float], bench: dict[str, float], weeks: int, role: str) -> str:
    head = f"{'position':<14}{'your game':>12}{'Sterman':>12}"
    rows = [f"Costs after {weeks} week{'s' if weeks != 1 else ''}:", head, "-" * len(head)]
    for a in AGENTS:
        mark = "  <- you" if a == role else ""
        rows.append(f"{a:<14}{costs[a]:>12.2f}{bench[a]:>12.2f}{mark}")
    rows.append("-" * len(head))
    rows.append(f"{'team':<14}{sum(costs.values()):>12.2f}{sum(bench.values()):>12.2f}")
    if weeks == 36:
        ref = " / ".join(f"{v:g}" for v in STERMAN_BENCHMARK.values())
        rows.append(
            f"Sterman benchmark (Sterman 1989): {ref} = {sum(STERMAN_BENCHMARK.values()):g}; "
            "human teams average about ten times that."
        )
    else:
        rows.append("Sterman column: the same game with all four positions following Sterman's rule.")
    return "\n".join(rows)


def _interactive(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _read_order(
    stdin: TextIO, stdout: TextIO, week: int, last: int, max_order: int
) -> tuple[str, int | None]:
    """Ask until the input is an order (``("order", q)``), ``("quit", None)`` or ``("eof", None)``."""
    while True:
        stdout.write(f"Your order for week {week} (0-{max_order}, Enter = {last}, h = help, q = quit): ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            return "eof", None
        if not _interactive(stdin):
            stdout.write(line if line.endswith("\n") else line + "\n")  # echo scripted input
        text = line.strip().lower()
        if text in ("q", "quit", "exit"):
            return "quit", None
        if text in ("h", "help", "?"):
            stdout.write(RULES + "\n")
            continue
        if not text:
            return "order", last
        try:
            q = int(text)
        except ValueError:
            stdout.write(
                f"  {line.strip()!r} is not a number of cases: type a whole number from 0 to {max_order}.\n"
            )
            continue
        if not 0 <= q <= max_order:
            stdout.write(f"  {q} is out of range: orders are 0 to {max_order} cases.\n")
            continue
        return "order", q


def play_beer_game(role: str, weeks: int, stdin: TextIO, stdout: TextIO) -> int:
    """Play ``weeks`` weeks as ``role``; returns the exit status (0)."""
    env = beer_game_v0.parallel_env(preset="classic", max_cycles=weeks)
    teammates = Sterman.benchmark(env)
    obs, _ = env.reset(seed=0)
    costs = dict.fromkeys(AGENTS, 0.0)
    stdout.write(RULES + f"\n\nYou are the {role}. The game lasts {weeks} weeks.\n\n")

    def advance(order: int) -> None:
        nonlocal obs
        actions = _teammate_actions(teammates, obs, env)
        actions[role] = order
        obs, _, _, _, infos = env.step(actions)
        for a in AGENTS:
            costs[a] += infos[a]["cost"]

    # The order slips already on the board at setup: 4 cases each, like the teammates'.
    last = 4
    advance(last)
    played = 1
    stdout.write(_week_report(env, role, played, costs) + "\n")
    while env.agents:
        kind, q = _read_order(stdin, stdout, played, last, env.max_order)
        if kind != "order":
            reason = "No more input" if kind == "eof" else "You quit"
            stdout.write(f"\n{reason}: the game ends after week {played}.\n")
            break
        last = int(q)
        advance(last)
        played += 1
        stdout.write(_week_report(env, role, played, costs) + "\n")
    stdout.write("\n" + _summary(costs, sterman_costs(played), played, role) + "\n")
    return 0


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Entry point: ``main(["beer-game", "--role", "retailer"])``; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error (2), already printed by argparse
        return int(e.code or 0)
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    try:
        return play_beer_game(args.role, args.weeks, stdin, stdout)
    except KeyboardInterrupt:
        stdout.write("\nInterrupted: game over.\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
