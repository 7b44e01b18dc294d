"""network_v0: any acyclic supply network, built from Python objects or read from a file.

| | |
|---|---|
| Agents | one per node, named and ordered as the nodes are listed (e.g. `retailer_0`, `warehouse_0`) |
| Actions | `Discrete(max_order + 1)` when every node has one supplier; else `MultiDiscrete([max_order + 1] * k)`, `k` = most suppliers of any node (padded); or `Discrete((max_order + 1) ** k)` with `action_type="discrete"` |
| Observations | `Box(0, float32 max, (3 + k * (L_max + 1 + D_max) [+ N],), float32)` |
| State | `Box(0, float32 max, (N * (3 + k * (L_max + 1 + D_max)),), float32)` |
| Import | `from inventory_zoo import network_v0` |
| Registry | `pettingzoo.make("parallel", "inventory_zoo/network-v0", network="net.yaml")` (also `"aec"`) |

A network is a set of nodes (stocking points, one agent each) and edges (supplier -> customer
links). Customer demand enters at any node that has a demand process; a node may supply several
customers (divergent), order from several suppliers (multi-sourcing, with different lead times
and prices), and the most upstream nodes order from outside suppliers with unlimited stock. The
network must be acyclic, every node needs a supplier, and every node must have a path to
customer demand. One step is one period, with the engine's event order (docs: concepts):
orders, arrivals, shipping (a short supplier splits its stock by the allocation rule), costs,
then the next demand is revealed.

Build one from code (`nodes=[Node(...)]`, `edges=[Edge(...)]`, or `network=` a dict), from a
YAML or JSON file (`network="net.yaml"`; YAML needs PyYAML), or take the preset
`"liu2022_2x3"`. With no network argument the env is the example network of the docs page.

### Observations

Every agent gets a vector of the same length: `[on_hand, backlog, incoming]`, then for each of
its suppliers, in the order of its inbound edges, `[transit_1 .. transit_Lmax, owed_by_supplier,
order_slot_1 .. order_slot_Dmax]`, padded with zeros up to `k` suppliers; optionally a one-hot
agent id (`agent_id=True`). `backlog` is what the node owes (its customer backlog plus unshipped
orders of its downstream nodes); `incoming` is the customer demand just revealed (with
`demand_visible=False`, the demand served last period) plus the orders that reached it from
downstream nodes last period.

### Actions

One order quantity in `0..max_order` per supplier, in the order of the node's inbound edges.
Agents with fewer than `k` suppliers get the same space; their extra entries are ignored. With
`action_type="discrete"` an action is one integer `sum_j q_j * (max_order + 1) ** (k - 1 - j)`
(Liu et al.'s flattened action: `5 * q_0 + q_1` for `max_order=4`); a per-supplier vector is
accepted too.

### Rewards

Agent i's reward is `-((1 - reward_mix) * cost_i + reward_mix * mean_j cost_j)`; `infos[agent]
["cost"]` is the raw own cost: holding on hand + backlog (or lost-sales) penalty + in-transit
holding of its inbound edges + unit and fixed ordering costs of its inbound edges. Episodes
end by truncation after `max_cycles` periods.

### Arguments

| argument | default | meaning |
|---|---|---|
| `preset` | `None` | a named setting: `"liu2022_2x3"`; other arguments override it |
| `network` | `None` | a YAML/JSON file path, a dict (file format), or a `SupplyChain`; `None` with no `nodes`: the example network |
| `nodes` | `None` | a list of `Node`s (or dicts of Node fields), with `edges` instead of `network` |
| `edges` | `None` | a list of `Edge`s (or dicts of Edge fields) |
| `allocation` | from the network, else `"priority"` | how a short supplier splits its stock: `"priority"` or `"proportional"` |
| `order_cost_basis` | from the network, else `"ordered"` | charge ordering costs on units `"ordered"` or `"shipped"` |
| `fixed_cost_basis` | from the network, else as `order_cost_basis` | what must be non-zero for an edge's `fixed_cost`: units `"ordered"` or `"shipped"` |
| `quantity_discounts` | from the network, else `()` | all-units price breaks `((min_qty, multiplier), ...)` |
| `shipping_loss` | from the network, else 0.0 | most percent lost per arrival, a whole percent in [0, 0.99]: an arrival of `a` keeps `floor(a * (1 - u/100))`, `u` uniform on 0..100 x shipping_loss |
| `max_order` | 20 | largest order per supplier per period |
| `action_type` | `"multidiscrete"` | `"discrete"`: one flat index per agent (multi-sourcing only) |
| `max_cycles` | 100 | periods per episode (alias `episode_length`) |
| `reward_mix` | 0.0 | weight of the team's mean cost in each reward, in [0, 1] |
| `normalize_obs` | False | divide observations by `obs_scale` (default `max_order`) |
| `obs_scale` | `None` | the divisor used when `normalize_obs` is True |
| `demand_visible` | True | agents see the next demand before ordering; False: only after serving it |
| `agent_id` | False | append a one-hot agent id to observations |
| `render_mode` | `None` | `"ansi"`, `"human"` or `"rgb_array"` |

Lead times may be random (`{periods: probability}`): each shipment draws its own, so a later
shipment can overtake an earlier one.

### Version History

* v0: initial release.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from inventory_zoo.core import demand as _demand
from inventory_zoo.core.demand import DemandProcess
from inventory_zoo.core.leadtime import LeadTime
from inventory_zoo.core.spec import Edge, Node, SupplyChain
from inventory_zoo.core.topology import TopologyError, check_topology
from inventory_zoo.envs.factory import make_aec, make_parallel, make_raw_aec
from inventory_zoo.envs.parallel import SupplyChainParallelEnv
from inventory_zoo.presets import resolve_env_kwargs

__all__ = [
    "DEFAULTS",
    "EXAMPLE_NETWORK",
    "NetworkError",
    "build_spec",
    "env",
    "load_network",
    "network_from_dict",
    "network_to_dict",
    "parallel_env",
    "raw_env",
    "resolve_kwargs",
    "save_network",
]

NAME = "network_v0"

#: Network-wide options: a network description may set them; an env argument overrides it.
NETWORK_OPTIONS = ("allocation", "order_cost_basis", "fixed_cost_basis", "quantity_discounts", "shipping_loss")

DEFAULTS: dict[str, Any] = dict(
    network=None,
    nodes=None,
    edges=None,
    allocation=None,
    order_cost_basis=None,
    fixed_cost_basis=None,
    quantity_discounts=None,
    shipping_loss=None,
    max_order=20,
    action_type="multidiscrete",
    max_cycles=100,
    reward_mix=0.0,
    normalize_obs=False,
    obs_scale=None,
    demand_visible=True,
    agent_id=False,
    render_mode=None,
)

#: The default network (drawn on the docs page): a plant feeds a warehouse that serves two
#: retailers; retailer_1 loses unmet sales and can also buy, dearer, straight from the plant.
EXAMPLE_NETWORK: dict[str, Any] = {
    "outside_suppliers": ["raw_material"],
    "allocation": "priority",
    "nodes": [
        {"name": "retailer_0", "holding_cost": 1.0, "backorder_cost": 4.0, "initial_inventory": 8,
         "demand": {"type": "poisson", "rate": 4}},
        {"name": "retailer_1", "holding_cost": 1.0, "backorder_cost": 6.0, "lost_sales": True,
         "initial_inventory": 6, "demand": {"type": "poisson", "rate": 3}},
        {"name": "warehouse_0", "holding_cost": 0.5, "backorder_cost": 1.0, "initial_inventory": 14},
        {"name": "plant_0", "holding_cost": 0.25, "backorder_cost": 1.0, "initial_inventory": 20},
    ],
    "edges": [
        {"supplier": "warehouse_0", "customer": "retailer_0", "lead_time": 1, "priority": 0},
        {"supplier": "warehouse_0", "customer": "retailer_1", "lead_time": 1, "priority": 1},
        {"supplier": "plant_0", "customer": "retailer_1", "lead_time": {2: 0.8, 3: 0.2},
         "unit_cost": 0.5, "capacity": 5},
        {"supplier": "plant_0", "customer": "warehouse_0", "lead_time": 2, "unit_cost": 0.1},
        {"supplier": "raw_material", "customer": "plant_0", "lead_time": 3, "fixed_cost": 2.0},
    ],
}  # fmt: skip


class NetworkError(ValueError):
    """A network description (dict or file) that cannot be built.

    The message names the file, the line (YAML files) and the key path, e.g.
    ``net.yaml line 14, edges[2]: unknown key 'lead_tme'``.

    Attributes:
        source: the file path, or ``None`` for a dict.
        line: 1-based line number in a YAML or JSON file, when known.
        key: the key path, e.g. ``"edges[2].lead_time"``, when known.
    """

    def __init__(self, message: str, source: str | None = None, line: int | None = None, key: str | None = None):
        where = ", ".join(
            x
            for x in (
                source if source is not None else "network",
                f"line {line}" if line is not None else None,
                key,
            )
            if x
        )
        super().__init__(f"{where}: {message}")
        self.source, self.line, self.key = source, line, key


# ---------------------------------------------------------------------------------------- files
class _Lines:
    """Line numbers of the mappings (and their keys) of a parsed YAML document."""

    def __init__(self, source: str | None = None) -> None:
        self.source = source
        self.of: dict[int, int] = {}
        self.keys: dict[tuple[int, str], int] = {}
        self._keep: list[Any] = []  # keeps the mappings alive so that their ids stay unique

    def line(self, obj: Any, key: str | None = None) -> int | None:
        if key is not None and (id(obj), key) in self.keys:
            return self.keys[(id(obj), key)]
        return self.of.get(id(obj))

    def error(self, message: str, obj: Any = None, path: str | None = None, key: str | None = None):
        full = f"{path}.{key}" if path and key else (path or key)
        return NetworkError(message, self.source, self.line(obj, key) if obj is not None else None, full)


def _yaml_load(text: str, source: str, lines: _Lines) -> Any:
    try:
        import yaml
    except ImportError:
        raise ImportError(
            f"reading the YAML network file {source!r} needs PyYAML: `pip install pyyaml`, "
            "or write the network as JSON (same keys, a .json file)"
        ) from None

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
        # Keys written in this mapping must be unique; keys merged in with `<<: *anchor` may be
        # overridden by them (YAML's merge rule), so only the mapping's own keys are checked.
        own = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        loader.flatten_mapping(node)
        out: dict = {}
        written: set = set()
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise NetworkError(f"keys must be plain values, got {key!r}", source, key_node.start_mark.line + 1)
            if id(key_node) in own:
                if key in written:
                    raise NetworkError(f"duplicate key {key!r}", source, key_node.start_mark.line + 1)
                written.add(key)
            out[key] = loader.construct_object(value_node, deep=True)
            lines.keys[(id(out), str(key))] = key_node.start_mark.line + 1
        lines.of[id(out)] = node.start_mark.line + 1
        lines._keep.append(out)
        return out

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    # YAML 1.1 reads 1e-3 as text; read it as a number, as YAML 1.2 and JSON do.
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"),
    )
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 (a SafeLoader subclass)
    except RecursionError:
        raise NetworkError("the document is nested too deeply to be a network description", source) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        col = f", column {mark.column + 1}" if mark is not None else ""
        kind = "YAML syntax error" if isinstance(e, (yaml.scanner.ScannerError, yaml.parser.ParserError)) else "YAML error"
        msg = f"{kind}{col}: {e.problem or e.context}"
        if isinstance(e, yaml.constructor.ConstructorError):
            msg += " (the file is read safely: tags that build Python objects are refused)"
        if e.context and e.problem and e.context_mark is not None:
            msg += f" ({e.context} started on line {e.context_mark.line + 1})"
        raise NetworkError(msg, source, line) from None
    except yaml.YAMLError as e:
        raise NetworkError(f"YAML error: {e}", source) from None


def _json_load(text: str, source: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict:
        out: dict = {}
        for k, v in items:
            if k in out:
                raise NetworkError(f"duplicate key {k!r}", source)
            out[k] = v
        return out

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except RecursionError:
        raise NetworkError("the document is nested too deeply to be a network description", source) from None
    except json.JSONDecodeError as e:
        raise NetworkError(f"JSON syntax error, column {e.colno}: {e.msg}", source, e.lineno) from None


def load_network(path: str | os.PathLike) -> SupplyChain:
    """Read a network from a ``.yaml``/``.yml`` (needs PyYAML) or ``.json`` file.

    The file holds the mapping described on the docs page (``nodes``, ``edges`` and optional
    ``outside_suppliers``, ``allocation``, ``order_cost_basis``, ``fixed_cost_basis``, ``quantity_discounts``,
    ``shipping_loss``, ``description``). YAML is read with a safe loader: tags that would build
    Python objects are refused.

    Raises:
        NetworkError: unreadable file, syntax error, unknown or missing key, wrong type or value,
            bad topology; the message names the file, the line (YAML) and the key.
        ImportError: a YAML file without PyYAML installed.
    """
    src = os.fspath(path)
    ext = os.path.splitext(src)[1].lower()
    if ext not in (".yaml", ".yml", ".json"):
        raise NetworkError(f"unknown file type {ext or '(none)'!r}; use .yaml, .yml or .json", src)
    try:
        with open(src, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise NetworkError(f"cannot read the file: {e.strerror or e}", src) from None
    except UnicodeDecodeError as e:
        raise NetworkError(
            f"the file is not UTF-8 text (byte {e.object[e.start]:#04x} at offset {e.start}); save it as UTF-8",
            src,
        ) from None
    lines = _Lines(src)
    data = _json_load(text, src) if ext == ".json" else _yaml_load(text, src, lines)
    return _build(data, lines, base_dir=os.path.dirname(os.path.abspath(src)))


def network_from_dict(data: Mapping[str, Any]) -> SupplyChain:
    """Build a network from a dict in the file format (Node/Edge objects allowed in the lists).

    Raises:
        NetworkError: unknown or missing key, wrong type or value, bad topology.
    """
    return _build(data, _Lines(None), base_dir=None)


# --------------------------------------------------------------------------------- dict -> spec
_TOP_KEYS = ("nodes", "edges", "outside_suppliers", "description") + NETWORK_OPTIONS
_NODE_KEYS = tuple(f.name for f in dataclasses.fields(Node))
_EDGE_KEYS = tuple(f.name for f in dataclasses.fields(Edge))
_DEMANDS: dict[str, type[DemandProcess]] = {
    "constant": _demand.Constant,
    "poisson": _demand.Poisson,
    "normal": _demand.Normal,
    "uniform": _demand.Uniform,
    "step": _demand.Step,
    "merton": _demand.Merton,
    "trace": _demand.Trace,
}


def _keys_of(cls: type) -> tuple[list[str], list[str]]:
    """(all, required) constructor argument names of a demand class."""
    params = list(inspect.signature(cls).parameters.values())
    return [p.name for p in params], [p.name for p in params if p.default is inspect.Parameter.empty]


def _check_keys(d: Mapping, allowed: Sequence[str], lines: _Lines, path: str, what: str) -> None:
    for k in d:
        if k not in allowed:
            hint = f"; allowed: {', '.join(allowed)}"
            raise lines.error(f"unknown key {k!r} in {what}{hint}", d, path, str(k))


def _demand_of(value: Any, lines: _Lines, path: str, base_dir: str | None) -> DemandProcess | None:
    if value is None or isinstance(value, DemandProcess):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise lines.error(f"constant demand must be >= 0, got {value}", None, path)
        return _demand.Constant(value)
    if not isinstance(value, Mapping):
        raise lines.error(
            f"demand must be an integer (constant) or a mapping with a 'type' "
            f"({', '.join(_DEMANDS)}), got {value!r}",
            None,
            path,
        )
    kind = value.get("type")
    if not isinstance(kind, str) or kind not in _DEMANDS:
        raise lines.error(f"demand type must be one of {', '.join(_DEMANDS)}, got {kind!r}", value, path, "type")
    cls = _DEMANDS[kind]
    names, required = _keys_of(cls)
    allowed = ["type", *names] + (["file"] if kind == "trace" else [])
    _check_keys(value, allowed, lines, path, f"a {kind} demand")
    kw = {k: v for k, v in value.items() if k != "type"}
    if kind == "trace":
        if ("data" in kw) == ("file" in kw):
            raise lines.error("a trace demand needs exactly one of 'data' (a list) or 'file' (a CSV path)", value, path)
        if "file" in kw:
            f = kw.pop("file")
            if not isinstance(f, str):
                raise lines.error(f"must be a CSV file path, got {f!r}", value, path, "file")
            kw["data"] = f if base_dir is None or os.path.isabs(f) else os.path.join(base_dir, f)
    missing = [k for k in required if k not in kw]
    if missing:
        raise lines.error(f"a {kind} demand needs {', '.join(map(repr, missing))}", value, path)
    try:
        return cls(**kw)
    except (TypeError, ValueError) as e:
        raise lines.error(f"{kind} demand: {e}", value, path) from None


def _lead_time_of(value: Any, lines: _Lines, obj: Any, path: str) -> Any:
    """JSON object keys are strings: ``{"1": 0.5, "3": 0.5}`` means ``{1: 0.5, 3: 0.5}``."""
    if not isinstance(value, Mapping):
        return value
    out = {}
    for k, p in value.items():
        if isinstance(k, str) and k.strip().isdigit():
            k = int(k)
        if not isinstance(k, int) or isinstance(k, bool):
            raise lines.error(
                f"a random lead time maps whole periods to probabilities, got key {k!r}", obj, path, "lead_time"
            )
        out[k] = p
    return out


def _field_named(message: str, entry: Mapping) -> str | None:
    """The key of ``entry`` that an error message of Node/Edge is about, if it names one."""
    text = message.split(": ", 1)[-1] if message.startswith(("node ", "edge ")) else message
    return next((k for k in entry if isinstance(k, str) and re.search(rf"\b{re.escape(k)}\b", text)), None)


def _entry_label(i: int, entry: Any, kind: str) -> str:
    label = f"{kind}[{i}]"
    if kind == "nodes":
        name = entry.name if isinstance(entry, Node) else entry.get("name") if isinstance(entry, Mapping) else None
        return f"{label} ({name!r})" if isinstance(name, str) else label
    if isinstance(entry, Edge):
        return f"{label} ({entry.supplier!r}->{entry.customer!r})"
    if isinstance(entry, Mapping):
        return f"{label} ({entry.get('supplier')!r}->{entry.get('customer')!r})"
    return label


def _as_list(data: Mapping, key: str, lines: _Lines) -> list:
    value = data.get(key)
    if value is None:
        raise lines.error(f"missing key {key!r}: a network needs 'nodes' and 'edges' lists", data)
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise lines.error(f"must be a list, got {type(value).__name__}", data, None, key)
    return list(value)


def _build(data: Any, lines: _Lines, base_dir: str | None) -> SupplyChain:
    if not isinstance(data, Mapping):
        raise lines.error(f"the network must be a mapping with 'nodes' and 'edges', got {type(data).__name__}")
    _check_keys(data, _TOP_KEYS, lines, "", "a network")
    node_entries = _as_list(data, "nodes", lines)
    edge_entries = _as_list(data, "edges", lines)
    outside = data.get("outside_suppliers") or []
    if isinstance(outside, str) or not isinstance(outside, Sequence) or not all(isinstance(x, str) for x in outside):
        raise lines.error(f"must be a list of names, got {outside!r}", data, None, "outside_suppliers")

    nodes: list[Node] = []
    node_line: dict[str, tuple[Any, str]] = {}
    for i, entry in enumerate(node_entries):
        path = _entry_label(i, entry, "nodes")
        if isinstance(entry, Node):
            node = entry
        elif isinstance(entry, Mapping):
            _check_keys(entry, _NODE_KEYS, lines, path, "a node")
            if "name" not in entry:
                raise lines.error("a node needs a 'name'", entry, path)
            kw = dict(entry)
            kw["demand"] = _demand_of(kw.get("demand"), lines, f"{path}.demand", base_dir)
            try:
                node = Node(**kw)
            except (TypeError, ValueError) as e:
                raise lines.error(str(e), entry, path, _field_named(str(e), entry)) from None
        else:
            raise lines.error(f"a node must be a mapping of node fields, got {entry!r}", None, path)
        if node.name in node_line:
            raise lines.error(f"duplicate node name {node.name!r}", entry, path, "name")
        if node.name in outside:
            raise lines.error(f"{node.name!r} is both a node and an outside supplier", entry, path, "name")
        node_line[node.name] = (entry, path)
        nodes.append(node)

    edges: list[Edge] = []
    edge_at: list[tuple[Any, str]] = []
    seen: set[tuple[str | None, str]] = set()
    used_outside: set[str] = set()
    for i, entry in enumerate(edge_entries):
        path = _entry_label(i, entry, "edges")
        if isinstance(entry, Edge):
            edge, sup_name = entry, entry.supplier
        elif isinstance(entry, Mapping):
            _check_keys(entry, _EDGE_KEYS, lines, path, "an edge")
            if "customer" not in entry:
                raise lines.error("an edge needs a 'customer' (the ordering node)", entry, path)
            kw = dict(entry)
            sup_name = kw.setdefault("supplier", None)  # omitted: an outside supplier
            if sup_name in outside:
                kw["supplier"] = None
                used_outside.add(sup_name)
            for role in ("supplier", "customer"):
                nm = kw.get(role)
                if isinstance(nm, str) and nm not in node_line and not (role == "supplier" and sup_name in outside):
                    known = ", ".join(node_line) + (f"; outside suppliers: {', '.join(outside)}" if outside else "")
                    raise lines.error(f"unknown {role} {nm!r}; nodes are {known}", entry, path, role)
            if "lead_time" in kw:
                kw["lead_time"] = _lead_time_of(kw["lead_time"], lines, entry, path)
            try:
                edge = Edge(**kw)
            except (TypeError, ValueError) as e:
                raise lines.error(str(e), entry, path, _field_named(str(e), entry)) from None
        else:
            raise lines.error(f"an edge must be a mapping of edge fields, got {entry!r}", None, path)
        key = (sup_name, edge.customer)
        if sup_name is not None and key in seen:
            raise lines.error(f"duplicate edge {sup_name!r}->{edge.customer!r}", entry, path)
        seen.add(key)
        edges.append(edge)
        edge_at.append((entry, path))
    unused = [x for x in outside if x not in used_outside]
    if unused:
        raise lines.error(f"outside suppliers {unused} are listed but supply no node", data, None, "outside_suppliers")

    _check_topology(nodes, edges, node_line, edge_at, lines)
    options = {k: data[k] for k in NETWORK_OPTIONS if data.get(k) is not None}
    try:
        return SupplyChain(tuple(nodes), tuple(edges), **options)
    except (TypeError, ValueError) as e:
        key = next((k for k in options if str(e).startswith(k)), None)
        raise lines.error(str(e), data if key else None, None, key) from None


def _check_topology(
    nodes: list[Node], edges: list[Edge], node_at: dict[str, tuple[Any, str]], edge_at: list, lines: _Lines
) -> None:
    """The core topology check (:func:`check_topology`), its error mapped to the entry (and
    line) at fault: the node named, or for a cycle the cycle's edge listed last."""
    if any(e.customer not in node_at or (e.supplier is not None and e.supplier not in node_at) for e in edges):
        return  # Edge objects naming unknown nodes: the spec's own message says which
    try:
        check_topology(
            [n.name for n in nodes],
            [e.supplier for e in edges],
            [e.customer for e in edges],
            [n.demand is not None for n in nodes],
        )
    except TopologyError as err:
        if err.edges and err.rule != "unknown_node":
            entry, path = edge_at[max(err.edges)]
        elif err.nodes:
            entry, path = node_at[err.nodes[0]]
        else:
            entry, path = None, None
        raise lines.error(str(err), entry, path) from None


# --------------------------------------------------------------------------------- spec -> dict
def _demand_to_dict(d: DemandProcess | None) -> Any:
    if d is None:
        return None
    if isinstance(d, _demand.Constant):
        return int(d.value)
    for kind, cls in _DEMANDS.items():
        if type(d) is cls:
            if cls is _demand.Trace:
                data = d.data.tolist()
                return {"type": kind, "data": data[0] if len(data) == 1 else data, "when_short": d.when_short}
            out: dict[str, Any] = {"type": kind}
            for f in dataclasses.fields(d):
                v = getattr(d, f.name)
                if f.default is dataclasses.MISSING or v != f.default:
                    out[f.name] = v
            return out
    raise NetworkError(
        f"cannot write the demand process {type(d).__name__} to a file; built-in ones are {', '.join(_DEMANDS)}"
    )


def _lead_time_to_plain(lt: LeadTime) -> Any:
    if lt.is_fixed:
        return int(lt.values[0])
    return {int(v): float(p) for v, p in zip(lt.values, lt.probs, strict=True)}


def _non_default(obj: Any, always: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if f.name in always or f.default is dataclasses.MISSING or v != f.default:
            out[f.name] = v
    return out


def network_to_dict(spec: SupplyChain) -> dict[str, Any]:
    """The file-format dict of a network (plain values: ready for ``json.dump`` or YAML).

    ``network_from_dict(network_to_dict(spec))`` rebuilds an equal network. Outside suppliers
    are written as ``supplier: null``.

    Raises:
        NetworkError: a demand process that has no file form (a custom subclass).
    """
    nodes = []
    for n in spec.nodes:
        d = _non_default(n, ("name",))
        if "demand" in d:
            d["demand"] = _demand_to_dict(n.demand)
        nodes.append(d)
    edges = []
    for e in spec.edges:
        d = _non_default(e, ("supplier", "customer"))
        d["lead_time"] = _lead_time_to_plain(e.lead_time)
        edges.append(d)
    out: dict[str, Any] = {"nodes": nodes, "edges": edges}
    out["allocation"] = spec.allocation
    out["order_cost_basis"] = spec.order_cost_basis
    if spec.fixed_cost_basis is not None:
        out["fixed_cost_basis"] = spec.fixed_cost_basis
    if spec.quantity_discounts:
        out["quantity_discounts"] = [[int(q), float(m)] for q, m in spec.quantity_discounts]
    if spec.shipping_loss:
        out["shipping_loss"] = spec.shipping_loss
    return out


def save_network(spec: SupplyChain, path: str | os.PathLike) -> None:
    """Write ``spec`` to a network file: YAML for ``.yaml``/``.yml`` (needs PyYAML), JSON for
    ``.json``. :func:`load_network` reads it back into an equal network.

    Raises:
        ValueError: another extension.
        NetworkError: a demand process that has no file form (a custom subclass).
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()
    data = network_to_dict(spec)
    if ext in (".yaml", ".yml"):
        import yaml

        text = yaml.safe_dump(data, sort_keys=False)
    elif ext == ".json":
        text = json.dumps(data, indent=1)
    else:
        raise ValueError(f"path must end in .yaml, .yml or .json, got {os.fspath(path)!r}")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# ------------------------------------------------------------------------------------ the env
def resolve_kwargs(preset: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """The full argument set: defaults, then the preset, then the caller's arguments.

    Raises:
        TypeError: an unknown argument.
        ValueError: an unknown preset, or ``max_cycles`` and ``episode_length`` that disagree.
    """
    def drop_preset_network(merged: dict[str, Any]) -> None:
        if preset is not None and ("nodes" in kwargs or "edges" in kwargs) and "network" not in kwargs:
            merged.pop("network", None)  # the caller's nodes/edges replace the preset's network

    return resolve_env_kwargs(NAME, DEFAULTS, preset, kwargs, drop_preset_network)


def build_spec(cfg: dict[str, Any]) -> SupplyChain:
    """The :class:`SupplyChain` of a resolved configuration.

    Raises:
        NetworkError: a bad network description (dict or file).
        TypeError, ValueError: bad ``Node``/``Edge`` objects or network options.
    """
    network, nodes, edges = cfg["network"], cfg["nodes"], cfg["edges"]
    if network is not None and (nodes is not None or edges is not None):
        raise ValueError("give the network either as network=... or as nodes=... and edges=..., not both")
    if (nodes is None) != (edges is None):
        raise ValueError("nodes= and edges= go together: give both (or network=...)")
    if nodes is not None:
        network = {"nodes": nodes, "edges": edges}
    elif network is None:
        network = EXAMPLE_NETWORK
    if isinstance(network, SupplyChain):
        spec = network
    elif isinstance(network, (str, os.PathLike)):
        spec = load_network(network)
    elif isinstance(network, Mapping):
        spec = network_from_dict(network)
    else:
        raise TypeError(
            f"network must be a file path, a dict or a SupplyChain, got {network!r} ({type(network).__name__})"
        )
    overrides = {k: cfg[k] for k in NETWORK_OPTIONS if cfg[k] is not None}
    return dataclasses.replace(spec, **overrides) if overrides else spec


def parallel_env(preset: str | None = None, **kwargs: Any) -> SupplyChainParallelEnv:
    """A supply network as a PettingZoo ParallelEnv (arguments: see the module doc)."""
    cfg = resolve_kwargs(preset, **kwargs)
    return make_parallel(NAME, build_spec(cfg), cfg)


def raw_env(preset: str | None = None, **kwargs: Any):
    """The AEC env without PettingZoo's safety wrappers."""
    return make_raw_aec(parallel_env(preset, **kwargs))


def env(preset: str | None = None, **kwargs: Any):
    """The AEC env, wrapped with per-agent action checks and PettingZoo's order enforcing."""
    return make_aec(parallel_env(preset, **kwargs))
