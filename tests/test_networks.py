"""Network generators: valid for every argument, reproducible, exact in shape, and they round-
trip through the file format."""

from __future__ import annotations

import numpy as np
import pytest

from inventory_zoo import network_v0, networks
from inventory_zoo.core import Poisson


def test_distribution_has_the_documented_shape_and_stock():
    net = networks.distribution(3, 4, store_demand=2.0, lead_times=(3, 2, 1))
    names = [n.name for n in net.nodes]
    assert names[:4] == ["factory", "wh0", "wh1", "wh2"] and names[4] == "st0_0" and len(names) == 1 + 3 + 12
    stores = [n for n in net.nodes if n.name.startswith("st")]
    assert all(n.demand == Poisson(2.0) for n in stores)
    assert all(n.demand is None for n in net.nodes if not n.name.startswith("st"))
    # Mean flow x (lead time + 1): stores 2 * 2, warehouses 4 stores * 2 * 3, factory 24 * 4.
    stock = {n.name: n.initial_inventory for n in net.nodes}
    assert stock["st1_3"] == 4 and stock["wh2"] == 24 and stock["factory"] == 96
    leads = {(e.supplier, e.customer): int(L) for e, L in zip(net.edges, net.params.lead_time, strict=True)}
    assert leads[(None, "factory")] == 3 and leads[("factory", "wh1")] == 2 and leads[("wh1", "st1_0")] == 1
    pipe = {(e.supplier, e.customer): e.initial_pipeline for e in net.edges}
    assert pipe[(None, "factory")] == 24 and pipe[("factory", "wh0")] == 8 and pipe[("wh0", "st0_0")] == 2


def test_distribution_heterogeneity_is_seeded_and_bounded():
    a = networks.distribution(2, 50, heterogeneity=0.4, seed=1)
    b = networks.distribution(2, 50, heterogeneity=0.4, seed=1)
    c = networks.distribution(2, 50, heterogeneity=0.4, seed=2)
    rates = np.array([n.demand.rate for n in a.nodes if n.demand is not None])
    assert a == b and a != c
    assert rates.min() >= 3.0 and rates.max() <= 7.0 and rates.std() > 0.5


@pytest.mark.parametrize("num_nodes, layers, multi", [(1, 1, 0.0), (7, 7, 1.0), (50, 3, 0.0), (300, 6, 0.5),
                                                      (40, 2, 1.0), (200, 10, 0.3)])  # fmt: skip
@pytest.mark.parametrize("seed", range(5))
def test_random_dag_is_always_a_valid_network(num_nodes, layers, multi, seed):
    # A SupplyChain exists only if it passes the topology check (acyclic, supplied, a path
    # to demand); the env runs it.
    net = networks.random_dag(num_nodes, layers, multi_sourcing=multi, seed=seed)
    assert len(net.nodes) == num_nodes
    layer_of = {n.name: int(n.name[1:].split("_")[0]) for n in net.nodes}
    assert set(layer_of.values()) == set(range(layers))
    for e in net.edges:
        if e.supplier is None:
            assert layer_of[e.customer] == 0
        else:
            assert layer_of[e.supplier] < layer_of[e.customer]
    assert all((n.demand is not None) == (layer_of[n.name] == layers - 1) for n in net.nodes)
    env = network_v0.parallel_env(network=net, max_order=10, max_cycles=3)
    env.reset(seed=0)
    env.step({a: env.action_space(a).sample() for a in env.agents})


def test_random_dag_multi_sourcing_gives_second_suppliers():
    none = networks.random_dag(400, 4, multi_sourcing=0.0, seed=0)
    many = networks.random_dag(400, 4, multi_sourcing=0.8, seed=0)
    assert len(many.edges) - len(many.nodes) > 200 > len(none.edges) - len(none.nodes)
    assert networks.random_dag(400, 4, seed=5) == networks.random_dag(400, 4, seed=5)


def test_serial_chain():
    net = networks.serial(4, demand=3.0, lead_time=2)
    assert [(e.supplier, e.customer) for e in net.edges] == [
        ("stage_1", "stage_0"), ("stage_2", "stage_1"), ("stage_3", "stage_2"), (None, "stage_3")
    ]  # fmt: skip
    assert [n.initial_inventory for n in net.nodes] == [9, 9, 9, 9]


@pytest.mark.parametrize("ext", ["yaml", "json"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: networks.distribution(2, 3, heterogeneity=0.2, seed=1),
        lambda: networks.random_dag(60, 4, seed=2),
    ],
)
def test_generated_networks_round_trip_through_files(tmp_path, ext, make):
    net = make()
    path = tmp_path / f"net.{ext}"
    network_v0.save_network(net, path)
    assert network_v0.load_network(path) == net
    a = network_v0.parallel_env(network=net, max_cycles=5)
    b = network_v0.parallel_env(network=str(path), max_cycles=5)
    assert a.reset(seed=1)[0].keys() == b.reset(seed=1)[0].keys()


def test_save_network_refuses_other_extensions(tmp_path):
    with pytest.raises(ValueError, match=r"\.yaml, \.yml or \.json"):
        network_v0.save_network(networks.serial(2), tmp_path / "net.txt")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: networks.distribution(0, 5), "warehouses"),
        (lambda: networks.distribution(2, 5, heterogeneity=1.0), "heterogeneity"),
        (lambda: networks.distribution(2, 5, lead_times=(1, 2)), "lead_times"),
        (lambda: networks.distribution(2, 5, lead_times=(1, 0, 1)), r"lead_times\[1\]"),
        (lambda: networks.random_dag(3, 4), "num_nodes"),
        (lambda: networks.random_dag(10, 2, multi_sourcing=1.5), "multi_sourcing"),
        (lambda: networks.serial(0), "num_stages"),
    ],
)
def test_bad_generator_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("preset, agents", [("distribution_56", 56), ("distribution_1021", 1021)])
def test_distribution_presets(preset, agents):
    env = network_v0.parallel_env(preset=preset)
    obs, _ = env.reset(seed=0)
    assert len(obs) == agents and env.max_order >= 500


def test_file_reader_checks_a_long_chain_without_recursion():
    # 5,000 nodes in a chain and a cycle at its end: found by the core's linear check and
    # reported at the cycle's edge (the old reader recursed once per node).
    nodes = [
        {"name": f"s{i}", "demand": {"type": "constant", "value": 1} if i == 0 else None} for i in range(5000)
    ]
    edges = [{"supplier": f"s{i + 1}", "customer": f"s{i}"} for i in range(4999)]
    edges.append({"supplier": "s0", "customer": "s4999"})
    with pytest.raises(network_v0.NetworkError, match=r"edges\[4999\].*cycle"):
        network_v0.network_from_dict({"nodes": [{k: v for k, v in n.items() if v is not None} for n in nodes],
                                      "edges": edges})  # fmt: skip
