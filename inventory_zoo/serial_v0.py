"""serial_v0: an N-stage serial supply chain (retailer, ..., most upstream stage).

| | |
|---|---|
| Agents | `stage_0` (retailer) ... `stage_{N-1}` (most upstream), `num_stages` of them |
| Actions | `Discrete(max_order + 1)`: units ordered from the stage above (outside for the top) |
| Observations | `Box(0, float32 max, (3 + L_max + 1 + D_max [+ N],), float32)` (no finite bound) |
| State | `Box(0, float32 max, (N * (3 + L_max + 1 + D_max),), float32)` |
| Import | `from inventory_zoo import serial_v0` |
| Registry | `pettingzoo.make("parallel", "inventory_zoo/serial-v0")` (after `import inventory_zoo`) |

Customer demand arrives at `stage_0`; every stage orders from the stage above it, and the top
stage from an outside supplier with unlimited stock. One step is one period, with the event
order of the engine (see the concepts page): orders are placed, shipments arrive, every stage
ships what it can of what it owes, costs are charged, then the next demand is revealed.

### Observations

Each agent's vector (divided by the scale when `normalize_obs` is set):
`[on_hand, backlog, incoming, transit_1 .. transit_Lmax, owed_by_supplier,
order_slot_1 .. order_slot_Dmax, (one-hot id)]`. `backlog` is what the stage owes its customer
(unfilled customer demand at the retailer, unshipped orders of the stage below elsewhere);
`incoming` is the customer demand just revealed at the retailer (with `demand_visible=False`,
the demand served last period) and, above it, the order received from the stage below last
period; `transit_k` is what arrives in k periods; `owed_by_supplier` is what the stage above
has received as orders and not yet shipped; `order_slot_k` are orders still on their way to the
supplier. Padding (stages with shorter lead times or delays) is 0. The observation holds the
stage's installation inventory position: on_hand - backlog + transits + owed + order slots
(minus the revealed demand at the retailer).

### Rewards

Agent i's reward is `-((1 - reward_mix) * cost_i + reward_mix * mean_j cost_j)`; `infos[agent]
["cost"]` holds the raw own cost. `cost_i` = `holding_costs[i]` x on-hand + `backorder_costs[i]`
x backlog owed (or x units lost, with lost sales) + `pipeline_holding_costs[i]` x units in
transit into i + `order_costs[i]` x units ordered (with quantity discounts) +
`fixed_order_costs[i]` if it ordered anything. Episodes end by truncation after `max_cycles`.

### Arguments

Per-stage arguments take a scalar or a sequence listed retailer first.

| argument | default | meaning |
|---|---|---|
| `preset` | `None` | a named setting: `"liu2022"`, `"snyder_shen_6_1"`; other arguments override it |
| `num_stages` | 3 | N >= 1 |
| `lead_times` | 2 | per stage: shipping lead time into the stage, periods >= 1 (a shipment sent in t arrives in t+L); an int or a `{periods: probability}` dict for a random lead time, drawn independently for every shipment, so a later shipment can overtake an earlier one |
| `order_delays` | 0 | per stage: periods before its order reaches its supplier |
| `demand` | `Poisson(10)` | a `DemandProcess` or an int (constant) |
| `holding_costs` | 1.0 | per stage, per unit on hand per period |
| `backorder_costs` | 2.0 | per stage, per unit of backlog per period (per unit lost with lost sales) |
| `pipeline_holding_costs` | 0 | per stage, per unit in transit into the stage per period |
| `order_costs` | 0 | per stage, per unit ordered |
| `fixed_order_costs` | 0 | per stage, per period with a non-zero order |
| `order_cost_basis` | `"ordered"` | charge `order_costs` on units `"ordered"` (when the order is placed) or `"shipped"` (by the supplier, that period) |
| `fixed_cost_basis` | `None` | what must be non-zero for `fixed_order_costs`: `"ordered"`, `"shipped"`, or `None` (as `order_cost_basis`) |
| `quantity_discounts` | `()` | all-units price breaks `((min_qty, multiplier), ...)` on `order_costs` |
| `lost_sales` | False | customer demand the retailer cannot fill is lost (penalty `backorder_costs[0]` per unit); stages above always backlog |
| `shipping_loss` | 0.0 | most percent lost per arrival, a whole percent in [0, 0.99]: an arrival of `a` keeps `floor(a * (1 - u/100))`, `u` uniform on 0..100 x shipping_loss (Liu et al.'s random loss) |
| `max_order` | 40 | largest order per period |
| `initial_inventory` | 20 | per stage, units on hand at reset |
| `initial_pipeline` | 0 | per stage, units in every in-transit slot at reset |
| `max_cycles` | 100 | periods per episode (alias `episode_length`) |
| `reward_mix` | 0.0 | weight of the team's mean cost in each reward, in [0, 1] |
| `normalize_obs` | False | divide observations by `obs_scale` (default `max_order`) |
| `obs_scale` | `None` | the divisor used when `normalize_obs` is True |
| `demand_visible` | True | the retailer sees the next demand before ordering (textbook); False: only after serving it |
| `agent_id` | False | append a one-hot agent id to observations |
| `render_mode` | `None` | `"ansi"` returns a text table of the period from `render()`; `"human"` prints it; `"rgb_array"` returns a chart of the episode so far (needs matplotlib) |

### Version History

* v0: initial release.
"""

from __future__ import annotations

from typing import Any

from inventory_zoo.core.demand import Poisson
from inventory_zoo.core.spec import SupplyChain
from inventory_zoo.core.validation import (
    check_int,
)
from inventory_zoo.envs.chain import chain_spec
from inventory_zoo.envs.factory import make_aec, make_parallel, make_raw_aec
from inventory_zoo.envs.parallel import SupplyChainParallelEnv
from inventory_zoo.presets import resolve_env_kwargs

__all__ = ["parallel_env", "env", "raw_env", "build_spec", "DEFAULTS"]

NAME = "serial_v0"

DEFAULTS: dict[str, Any] = dict(
    num_stages=3,
    lead_times=2,
    order_delays=0,
    demand=Poisson(10),
    holding_costs=1.0,
    backorder_costs=2.0,
    pipeline_holding_costs=0.0,
    order_costs=0.0,
    fixed_order_costs=0.0,
    order_cost_basis="ordered",
    fixed_cost_basis=None,
    quantity_discounts=(),
    lost_sales=False,
    shipping_loss=0.0,
    max_order=40,
    initial_inventory=20,
    initial_pipeline=0,
    max_cycles=100,
    reward_mix=0.0,
    normalize_obs=False,
    obs_scale=None,
    demand_visible=True,
    agent_id=False,
    render_mode=None,
)


def resolve_kwargs(preset: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """The full argument set: defaults, then the preset, then the caller's arguments.

    Raises:
        TypeError: an unknown argument.
        ValueError: an unknown preset, or ``max_cycles`` and ``episode_length`` that disagree.
    """
    return resolve_env_kwargs(NAME, DEFAULTS, preset, kwargs)


def build_spec(cfg: dict[str, Any]) -> SupplyChain:
    """The :class:`SupplyChain` of a resolved serial configuration: stages ``stage_0``
    (the retailer) to ``stage_{num_stages - 1}``."""
    n = check_int("num_stages", cfg["num_stages"], low=1)
    return chain_spec(cfg, [f"stage_{i}" for i in range(n)])


def parallel_env(preset: str | None = None, **kwargs: Any) -> SupplyChainParallelEnv:
    """A serial supply chain as a PettingZoo ParallelEnv (arguments: see the module doc)."""
    cfg = resolve_kwargs(preset, **kwargs)
    return make_parallel(NAME, build_spec(cfg), cfg)


def raw_env(preset: str | None = None, **kwargs: Any):
    """The AEC env without PettingZoo's safety wrappers."""
    return make_raw_aec(parallel_env(preset, **kwargs))


def env(preset: str | None = None, **kwargs: Any):
    """The AEC env, wrapped with per-agent action checks and PettingZoo's order enforcing."""
    return make_aec(parallel_env(preset, **kwargs))
