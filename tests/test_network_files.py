"""Bad network files, dicts and topologies get clear errors naming the line or key, and
nothing is half-built."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from inventory_zoo import Poisson, network_v0
from inventory_zoo.core import Edge, Node
from inventory_zoo.network_v0 import NetworkError

pytest.importorskip("yaml")

GOOD = """\
# a warehouse and two retailers
outside_suppliers: [factory]
nodes:
  - name: retailer_0
    holding_cost: 1.0
    backorder_cost: 4
    demand: {type: poisson, rate: 3}
  - name: retailer_1
    lost_sales: true
    backorder_cost: 6
    demand: {type: trace, data: [1, 2, 3]}
  - name: warehouse_0
    holding_cost: 0.5
    initial_inventory: 10
edges:
  - {supplier: warehouse_0, customer: retailer_0, lead_time: 1}
  - {supplier: warehouse_0, customer: retailer_1, lead_time: {1: 0.5, 2: 0.5}, priority: 1}
  - supplier: factory
    customer: warehouse_0
    lead_time: 3
    unit_cost: 1.5e-1
"""


def _write(tmp_path, text, name="net.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_good_yaml_file(tmp_path):
    spec = network_v0.load_network(_write(tmp_path, GOOD))
    assert spec.node_names == ["retailer_0", "retailer_1", "warehouse_0"]
    assert spec.edges[2].supplier is None and spec.edges[2].unit_cost == 0.15  # 1.5e-1 is a number
    assert spec.edges[1].lead_time.values == (1, 2)
    env = network_v0.parallel_env(network=_write(tmp_path, GOOD), max_cycles=5)
    env.reset(seed=0)


def test_trace_file_is_relative_to_the_network_file(tmp_path):
    (tmp_path / "demand.csv").write_text("d\n4\n5\n")
    text = GOOD.replace("{type: trace, data: [1, 2, 3]}", "{type: trace, file: demand.csv}")
    spec = network_v0.load_network(_write(tmp_path, text))
    assert spec.nodes[1].demand.data.tolist() == [[4, 5]]


def test_json_file_with_string_lead_time_keys(tmp_path):
    doc = {
        "nodes": [{"name": "shop_0", "demand": 3}],
        "edges": [{"supplier": None, "customer": "shop_0", "lead_time": {"1": 0.25, "2": 0.75}}],
    }
    spec = network_v0.load_network(_write(tmp_path, json.dumps(doc, indent=2), "net.json"))
    assert spec.edges[0].lead_time.values == (1, 2)


# Each case: file text, expected line, pieces the message must contain.
BAD_YAML = [
    # syntax errors: the line is in the message
    ("nodes:\n  - name: a\n    holding_cost: 1\n     demand: 3\nedges: []\n", 4, ["YAML syntax error"]),
    ("nodes:\n  - name: [a, b\nedges: []\n", 3, ["YAML syntax error", "started on line 2"]),
    ("nodes: []\nedges: []\nnodes: []\n", 3, ["duplicate key 'nodes'"]),
    ("nodes: []\nedges: !!python/object/apply:os.system [echo]\n", 2, ["python/object/apply"]),
    # unknown keys
    (GOOD.replace("    holding_cost: 0.5", "    holdng_cost: 0.5"), 13,
     ["nodes[2] ('warehouse_0').holdng_cost", "unknown key 'holdng_cost'", "allowed: name, holding_cost"]),
    (GOOD.replace("    lead_time: 3", "    lead_tme: 3"), 20, ["edges[2] ('factory'->'warehouse_0').lead_tme"]),
    (GOOD + "alocation: priority\n", 22, ["unknown key 'alocation'", "allocation"]),
    (GOOD.replace("rate: 3", "rat: 3"), 7, ["unknown key 'rat' in a poisson demand"]),
    # wrong types and values
    (GOOD.replace("holding_cost: 1.0", "holding_cost: cheap"), 5,
     ["nodes[0] ('retailer_0').holding_cost", "must be a real number", "'cheap'"]),
    (GOOD.replace("lost_sales: true", "lost_sales: 1"), 9, ["lost_sales must be True or False"]),
    (GOOD.replace("initial_inventory: 10", "initial_inventory: -2"), 14, ["initial_inventory must be an integer >= 0"]),
    (GOOD.replace("lead_time: 3", "lead_time: three"), 20, ["edges[2]", "lead_time must be an integer"]),
    (GOOD.replace("{1: 0.5, 2: 0.5}", "{1: 0.5, 2: 0.6}"), 17, ["sum to 1"]),
    (GOOD.replace("type: poisson", "type: poison"), 7, ["demand type must be one of", "'poison'"]),
    (GOOD.replace("rate: 3", "rate: -3"), 7, ["poisson demand", "rate"]),
    (GOOD + "allocation: fair\n", 22, ["allocation='fair' is not allowed"]),
    ("nodes: {name: a}\nedges: []\n", 1, ["nodes: must be a list"]),
    ("- name: a\n", None, ["must be a mapping with 'nodes' and 'edges'"]),
    # missing keys
    ("nodes: []\n", 1, ["missing key 'edges'"]),
    (GOOD.replace("  - name: retailer_1\n", "  - nme: retailer_1\n"), 8, ["unknown key 'nme'"]),
    (GOOD.replace("customer: retailer_0, ", ""), 16, ["needs a 'customer'"]),
    (GOOD.replace("{type: poisson, rate: 3}", "{type: poisson}"), 7, ["needs 'rate'"]),
    # topology
    (GOOD.replace("supplier: warehouse_0, customer: retailer_0", "supplier: warehous_0, customer: retailer_0"),
     16, ["unknown supplier 'warehous_0'", "nodes are retailer_0, retailer_1, warehouse_0"]),
    (GOOD.replace("customer: retailer_1,", "customer: retailer_0,"), 17, ["duplicate edge 'warehouse_0'->'retailer_0'"]),
    (GOOD.replace("  - name: retailer_1\n", "  - name: retailer_0\n"), 8, ["duplicate node name 'retailer_0'"]),
    (GOOD + "  - {supplier: retailer_0, customer: warehouse_0}\n", 22,
     ["edges[3] ('retailer_0'->'warehouse_0')", "cycle retailer_0 -> warehouse_0 -> retailer_0"]),
    (GOOD.replace("    holding_cost: 0.5\n", "    holding_cost: 0.5\n  - name: spare_0\n"), 14,
     ["nodes[3] ('spare_0')", "node 'spare_0' has no supplier"]),
    (GOOD.replace("    holding_cost: 0.5\n", "    holding_cost: 0.5\n  - name: spare_0\n")
     + "  - {supplier: factory, customer: spare_0}\n", 14, ["['spare_0'] have no path to customer demand"]),
    (GOOD.replace("[factory]", "[factory, warehouse_0]"), 12, ["'warehouse_0' is both a node and an outside supplier"]),
    (GOOD.replace("[factory]", "[factory, port]"), 2, ["outside suppliers ['port'] are listed but supply no node"]),
]  # fmt: skip


@pytest.mark.parametrize("text, line, pieces", BAD_YAML)
def test_bad_yaml_files(tmp_path, text, line, pieces):
    path = _write(tmp_path, text)
    with pytest.raises(NetworkError) as info:
        network_v0.parallel_env(network=path)
    msg = str(info.value)
    assert msg.startswith(path)
    assert info.value.source == path and info.value.line == line
    if line is not None:
        assert f"line {line}" in msg
    for piece in pieces:
        assert piece in msg, msg


@pytest.mark.parametrize(
    "text, line, piece",
    [
        ('{\n  "nodes": [\n    {"name": "a", "demand": 3},\n  ],\n  "edges": []\n}\n', 4, "JSON syntax error"),
        ('{"nodes": [], "edges": [], "nodes": []}', None, "duplicate key 'nodes'"),
        ('{"nodes": [{"name": "a", "demand": 3, "colour": 1}], "edges": [{"customer": "a"}]}', None,
         "nodes[0] ('a').colour: unknown key 'colour'"),
        ('{"nodes": [{"name": "a", "demand": 3}], "edges": [{"customer": "a", "lead_time": {"x": 1}}]}', None,
         "edges[0] (None->'a').lead_time"),
    ],
)  # fmt: skip
def test_bad_json_files(tmp_path, text, line, piece):
    path = _write(tmp_path, text, "net.json")
    with pytest.raises(NetworkError) as info:
        network_v0.load_network(path)
    assert info.value.line == line
    assert piece in str(info.value), str(info.value)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(NetworkError, match="cannot read the file"):
        network_v0.load_network(tmp_path / "nope.yaml")
    with pytest.raises(NetworkError, match=r"unknown file type '\.toml'"):
        network_v0.load_network(_write(tmp_path, "x = 1", "net.toml"))


def test_yaml_without_pyyaml_says_what_to_install(tmp_path, monkeypatch):
    path = _write(tmp_path, GOOD)
    monkeypatch.setitem(sys.modules, "yaml", None)  # import yaml now fails
    with pytest.raises(ImportError, match=r"pip install pyyaml.*JSON"):
        network_v0.load_network(path)
    doc = {"nodes": [{"name": "a", "demand": 3}], "edges": [{"customer": "a"}]}
    json_path = _write(tmp_path, json.dumps(doc), "net.json")
    assert network_v0.load_network(json_path).node_names == ["a"]  # JSON needs nothing extra


# ----------------------------------------------------------------- dicts and Python objects
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"network": {"nodes": [], "edges": []}}, NetworkError, "at least one node"),
        ({"network": 3}, TypeError, "network must be a file path, a dict or a SupplyChain"),
        ({"network": {"nodes": [{"name": "a", "demand": "lots"}], "edges": []}}, NetworkError,
         r"nodes\[0\] \('a'\)\.demand: demand must be an integer"),
        ({"network": {"nodes": [{"name": "a", "demand": {"type": "trace", "data": [1], "file": "x.csv"}}],
                      "edges": []}}, NetworkError, "exactly one of 'data'"),
        ({"network": {"nodes": ["a"], "edges": []}}, NetworkError, r"nodes\[0\]: a node must be a mapping"),
        ({"network": {"nodes": [{"name": "a", "demand": 1}], "edges": [("a", None)]}}, NetworkError,
         r"edges\[0\]: an edge must be a mapping"),
        ({"network": network_v0.EXAMPLE_NETWORK, "nodes": [Node("a", demand=Poisson(1))]}, ValueError, "not both"),
        ({"nodes": [Node("a", demand=Poisson(1))]}, ValueError, "go together"),
        ({"nodes": [Node("a", demand=Poisson(1))], "edges": [Edge("b", "a")]}, NetworkError, "unknown supplier 'b'"),
        ({"nodes": [Node("a", demand=Poisson(1)), Node("b")], "edges": [Edge(None, "a"), Edge("a", "b"), Edge("b", "a")]},
         NetworkError, "cycle"),
        ({"nodes": [Node("a", demand=Poisson(1))], "edges": [Edge(None, "a"), Edge(None, "a")], "allocation": "fair"},
         ValueError, "allocation"),
        ({"max_ordr": 3}, TypeError, "unknown argument"),
        ({"max_order": 0}, ValueError, "max_order"),
        ({"reward_mix": 2.0}, ValueError, "reward_mix"),
    ],
)  # fmt: skip
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        network_v0.parallel_env(**kwargs)


def test_duplicate_internal_edges_are_refused_but_several_outside_suppliers_are_fine():
    a, b = Node("a", demand=Poisson(1)), Node("b")
    with pytest.raises(NetworkError, match="duplicate edge 'b'->'a'"):
        network_v0.parallel_env(nodes=[a, b], edges=[Edge("b", "a"), Edge("b", "a"), Edge(None, "b")])
    env = network_v0.parallel_env(nodes=[a], edges=[Edge(None, "a", lead_time=1), Edge(None, "a", lead_time=4)])
    assert env.batch.max_in == 2


def test_a_failed_build_leaves_nothing_behind(tmp_path):
    good = network_v0.parallel_env(network=_write(tmp_path, GOOD), max_cycles=6)
    bad = _write(tmp_path, GOOD.replace("rate: 3", "rate: -3"), "bad.yaml")
    example = dict(network_v0.EXAMPLE_NETWORK)
    with pytest.raises(NetworkError):
        network_v0.parallel_env(network=bad)
    assert network_v0.EXAMPLE_NETWORK == example
    again = network_v0.parallel_env(network=_write(tmp_path, GOOD, "again.yaml"), max_cycles=6)
    o1, _ = good.reset(seed=3)
    o2, _ = again.reset(seed=3)
    for k in o1:
        assert (o1[k] == o2[k]).all()


def test_network_to_dict_refuses_custom_demand():
    from inventory_zoo.core.demand import DemandProcess

    class Mine(DemandProcess):
        def sample(self, rng, batch, periods):
            raise NotImplementedError

    env = network_v0.parallel_env(nodes=[Node("a", demand=Mine())], edges=[Edge(None, "a")])
    with pytest.raises(NetworkError, match="cannot write the demand process Mine"):
        network_v0.network_to_dict(env.spec)
