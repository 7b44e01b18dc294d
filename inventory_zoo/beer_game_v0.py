"""beer_game_v0: the beer game, played on the board as Sterman (1989) describes it, and its variants.

| | |
|---|---|
| Agents | `retailer`, `wholesaler`, `distributor`, `factory` |
| Actions | `Discrete(max_order + 1)`: cases ordered from the supplier (brewed, for the factory) |
| Observations | `Box(0, float32 max, (3 + L_max + 1 + D_max [+ 4],), float32)`; `(7,)` in the classic game |
| State | `Box(0, float32 max, (4 * (3 + L_max + 1 + D_max),), float32)` |
| Import | `from inventory_zoo import beer_game_v0` |
| Registry | `pettingzoo.make("parallel", "inventory_zoo/beer-game-v0")` (also `"aec"`), after `import inventory_zoo` |

Customer demand arrives at the retailer; the retailer orders from the wholesaler, the
wholesaler from the distributor, the distributor from the factory, and the factory brews
(orders from an outside source with unlimited capacity). It is a four-stage serial chain built
on the same engine as every other env here; what makes it the beer game is its timing, its
initial board and its presets.

### The board week and the engine period

The board game's week has five steps (Sterman 1989; Edali & Yasarcan 2014): 1. receive
inventory and advance the shipping delays, 2. fill the incoming order and backlog, 3. record
inventory or backlog, 4. advance the order slips, 5. place orders. The engine's period places
orders first, then receives, ships and charges costs. Read from the board's step 4 of week
`t - 1` to its step 3 of week `t`, a board week **is** an engine period: step `t` of this env
takes the orders placed at the end of week `t - 1` (after the players have seen week `t - 1`'s
deliveries and incoming orders) and plays week `t`'s steps 1-3. Hence:

* the board's 2-week order delay (placed in week `t`, read by the supplier in week `t + 2`) is
  `order_delays = 1` here, and the factory's 1-week production request is `order_delays = 0`:
  in board weeks, the order delay is this env's `order_delays + 1`;
* shipping and production delays are the same in both counts (`lead_times = 2`);
* the retailer does not know next week's demand card when it orders (`demand_visible=False`),
  and every player sees the order it received this week (`incoming`) before ordering;
* the first action (step 1) is the order slip that sits in the "orders placed" box (the
  factory's production request) when the board is set up: 4 on the board. Step `t`'s costs
  are week `t`'s, so 36 steps play the board's 36 weeks.

No engine option is needed for the board: its five steps are the engine's period with the
order step moved to the end of the week.

### Observations

Each agent's vector (divided by the scale when `normalize_obs` is set): `[on_hand, backlog,
incoming, transit_1 .. transit_Lmax, owed_by_supplier, order_slot_1 .. order_slot_Dmax,
(one-hot id)]`. `backlog` is what the agent owes (customers at the retailer, the stage below
elsewhere), `incoming` the order it received this week (the demand it served at the retailer;
with `demand_visible=True`, the demand it is about to serve), `transit_k` what arrives `k`
weeks from now, `owed_by_supplier` the supplier's backlog to it and `order_slot_k` its orders
still on their way to the supplier. In the classic game: `[inventory, backlog, incoming order,
shipping delay 2, shipping delay 1, supplier's backlog, order slip at the supplier]` (for the
factory, the two production delays and no slip). Inventory position = `on_hand - backlog +
transit + owed_by_supplier + order slots`: Sterman's `S + SL`.

### Rewards

Agent i's reward is `-((1 - reward_mix) * cost_i + reward_mix * mean_j cost_j)`;
`infos[agent]["cost"]` holds the raw own cost. `cost_i` = `holding_costs[i]` x on hand +
`backorder_costs[i]` x backlog (x units lost with `lost_sales`) + `pipeline_holding_costs[i]` x
units in transit to i + `order_costs[i]` x units ordered (with quantity discounts) +
`fixed_order_costs[i]` if it ordered. Episodes end by truncation after `max_cycles` weeks.

### Arguments

Per-stage arguments take a scalar or four values, retailer first; the factory's entry of
`lead_times`/`order_delays` is its production delay and production-request delay.

| argument | default (= `"classic"`) | meaning |
|---|---|---|
| `preset` | `None` | `"classic"`, `"dqn_uniform_0_2"`, `"dqn_uniform_0_8"`, `"dqn_normal_10_2"`, `"plooto"`; other arguments override it |
| `lead_times` | 2 | per stage: shipping (production) delay, weeks >= 1; an int or a `{weeks: probability}` dict (random, drawn per shipment) |
| `order_delays` | (1, 1, 1, 0) | per stage: engine order delay (board weeks minus one, see above) |
| `demand` | `Step(4, 8, 5)` | the retailer's customer demand: a `DemandProcess` or an int |
| `holding_costs` | 0.5 | per stage, per case on hand per week |
| `backorder_costs` | 1.0 | per stage, per case of backlog per week |
| `pipeline_holding_costs` | 0.0 | per stage, per case in transit to the stage per week |
| `order_costs` | 0.0 | per stage, per case ordered |
| `fixed_order_costs` | 0.0 | per stage, per week with a non-zero order |
| `quantity_discounts` | `()` | all-units price breaks `((min_qty, multiplier), ...)` on `order_costs` |
| `lost_sales` | False | the retailer loses the customer demand it cannot fill (penalty `backorder_costs[0]`); the stages above always backlog |
| `shipping_loss` | 0.0 | most percent lost per arrival, a whole percent in [0, 0.99] (see serial_v0) |
| `max_order` | 100 | largest order per week (actions are `0..max_order`) |
| `initial_inventory` | 12 | per stage, cases on hand at setup |
| `initial_pipeline` | 4 | per stage, cases in every shipping (production) slot at setup |
| `initial_orders` | 4 | per stage, cases on every order slip already on its way to the supplier at setup |
| `max_cycles` | 36 | weeks per episode (alias `episode_length`) |
| `reward_mix` | 0.0 | weight of the team's mean cost in each reward, in [0, 1] |
| `normalize_obs` | False | divide observations by `obs_scale` (default `max_order`) |
| `obs_scale` | `None` | the divisor used when `normalize_obs` is True |
| `demand_visible` | False | the retailer sees the next demand before ordering (False on the board) |
| `agent_id` | False | append a one-hot agent id to observations |
| `render_mode` | `None` | `"ansi"` returns a text table of the week from `render()`; `"human"` prints it |

### Presets

* `"classic"`: the board game (the defaults above). With every player following
  `inventory_zoo.policies.Sterman(0, 1, 1, (28, 28, 28, 20))` the 36-week costs are 46, 50,
  54, 54: 204 (`STERMAN_BENCHMARK`).
* `"dqn_uniform_0_2"`, `"dqn_uniform_0_8"`, `"dqn_normal_10_2"`: the three literature settings
  of Oroojlooyjadid et al. (MSOM 2021), 100 weeks, their costs, lead times and start states.
* `"plooto"`: the small beer-game example this project grew from: orders up to 100, lead time
  2, holding 1, stockout 2.

The docs page (`docs/envs/beer_game_v0.md`) details each preset, how to reproduce 204, and why
the published base-stock levels of the DQN settings are the Clark-Scarf optimum with lead times
`shipping + order delay`.

### Version History

* v0: initial release.
"""

from __future__ import annotations

from typing import Any

from inventory_zoo.core.demand import Step
from inventory_zoo.core.spec import SupplyChain
from inventory_zoo.envs.chain import chain_spec
from inventory_zoo.envs.factory import make_aec, make_parallel, make_raw_aec
from inventory_zoo.envs.parallel import SupplyChainParallelEnv
from inventory_zoo.presets import resolve_env_kwargs

__all__ = [
    "AGENTS",
    "DEFAULTS",
    "STERMAN_BENCHMARK",
    "build_spec",
    "env",
    "parallel_env",
    "raw_env",
    "resolve_kwargs",
    "sterman_benchmark_policy",
]

NAME = "beer_game_v0"

#: The four positions, downstream first.
AGENTS = ("retailer", "wholesaler", "distributor", "factory")

#: Sterman's (1989) benchmark: 36-week costs of the classic game when every position follows
#: the anchor-and-adjust rule with theta = 0, alpha_S = 1, beta = 1, S' = (28, 28, 28, 20).
STERMAN_BENCHMARK: dict[str, float] = {
    "retailer": 46.0,
    "wholesaler": 50.0,
    "distributor": 54.0,
    "factory": 54.0,
}

DEFAULTS: dict[str, Any] = dict(
    lead_times=2,
    order_delays=(1, 1, 1, 0),
    demand=Step(4, 8, 5),
    holding_costs=0.5,
    backorder_costs=1.0,
    pipeline_holding_costs=0.0,
    order_costs=0.0,
    fixed_order_costs=0.0,
    quantity_discounts=(),
    lost_sales=False,
    shipping_loss=0.0,
    max_order=100,
    initial_inventory=12,
    initial_pipeline=4,
    initial_orders=4,
    max_cycles=36,
    reward_mix=0.0,
    normalize_obs=False,
    obs_scale=None,
    demand_visible=False,
    agent_id=False,
    render_mode=None,
)


def sterman_benchmark_policy():
    """The policy of Sterman's benchmark: ``Sterman(0, 1, 1, (28, 28, 28, 20))``.

    Played by all four positions on the classic preset it costs ``STERMAN_BENCHMARK``.
    """
    from inventory_zoo.policies.sterman import Sterman

    return Sterman.benchmark()


def resolve_kwargs(preset: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """The full argument set: defaults, then the preset, then the caller's arguments.

    Raises:
        TypeError: an unknown argument.
        ValueError: an unknown preset, or ``max_cycles`` and ``episode_length`` that disagree.
    """
    return resolve_env_kwargs(NAME, DEFAULTS, preset, kwargs)


def build_spec(cfg: dict[str, Any]) -> SupplyChain:
    """The :class:`SupplyChain` of a resolved beer-game configuration (the four positions)."""
    return chain_spec(cfg, AGENTS)


def parallel_env(preset: str | None = None, **kwargs: Any) -> SupplyChainParallelEnv:
    """The beer game as a PettingZoo ParallelEnv (arguments: see the module doc)."""
    cfg = resolve_kwargs(preset, **kwargs)
    return make_parallel(NAME, build_spec(cfg), cfg)


def raw_env(preset: str | None = None, **kwargs: Any):
    """The AEC env without PettingZoo's safety wrappers."""
    return make_raw_aec(parallel_env(preset, **kwargs))


def env(preset: str | None = None, **kwargs: Any):
    """The AEC env, wrapped with per-agent action checks and PettingZoo's order enforcing."""
    return make_aec(parallel_env(preset, **kwargs))
