"""Bridges from the library's envs to other engines (optional extras).

- :mod:`inventory_zoo.integrations.rllib`: RLlib on Ray, for multi-agent training that scales
  from a laptop to a cluster (``pip install inventory-zoo[rllib]``).

Nothing here is imported by ``import inventory_zoo``: each bridge imports its engine only when
it is itself imported.
"""
