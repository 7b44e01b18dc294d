"""RLlib policies as data: a model file that loads without unpickling.

RLlib's own checkpoints are pickles (``cloudpickle`` of classes and constructor arguments,
``pickle`` of states): loading one runs whatever code it holds. So a run of
:mod:`inventory_zoo.integrations.rllib_train` also writes ``rllib_policy.pt``: each module's
weights as plain tensors, its observation and action spaces as numbers, its model settings and
the run's metadata as JSON text. :func:`load_policy_file` reads it with
``torch.load(weights_only=True)`` and rebuilds the modules from the library's own choice of
class (RLlib's default PPO torch module), never from anything named in the file.

Imports Ray and torch (only when called).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from inventory_zoo.agents.common import UnsafeModelFileError

__all__ = ["POLICY_FILE", "FORMAT", "save_policy_file", "load_policy_file"]

#: The model file's name in a run directory.
POLICY_FILE = "rllib_policy.pt"
#: ``format`` of the model file.
FORMAT = "inventory_zoo.rllib_policy/1"


def _space_record(space: Any) -> dict[str, Any]:
    import torch
    from gymnasium import spaces

    if isinstance(space, spaces.Box):
        return {"type": "box", "low": torch.as_tensor(space.low), "high": torch.as_tensor(space.high)}
    if isinstance(space, spaces.Discrete):
        return {"type": "discrete", "n": int(space.n)}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "multidiscrete", "nvec": torch.as_tensor(space.nvec)}
    raise TypeError(f"cannot save a {type(space).__name__} space in an RLlib policy file")


def _space(rec: Mapping[str, Any]) -> Any:
    from gymnasium import spaces

    kind = rec.get("type")
    if kind == "box":
        low, high = np.asarray(rec["low"].numpy()), np.asarray(rec["high"].numpy())
        return spaces.Box(low, high, dtype=low.dtype)
    if kind == "discrete":
        return spaces.Discrete(int(rec["n"]))
    if kind == "multidiscrete":
        return spaces.MultiDiscrete(np.asarray(rec["nvec"].numpy()))
    raise ValueError(f"unknown space type {kind!r} in an RLlib policy file")


def save_policy_file(modules: Mapping[str, Any], meta: Mapping[str, Any], path: str | Path) -> Path:
    """Write ``{module_id: RLModule}`` (RLlib's default PPO torch modules) and the run's
    ``meta`` (JSON-able) to ``path``; returns the path."""
    import torch

    record = {
        "format": FORMAT,
        "meta": json.dumps(dict(meta)),
        "modules": {
            mid: {
                "observation_space": _space_record(m.observation_space),
                "action_space": _space_record(m.action_space),
                "model_config": json.dumps(dict(m.model_config)),
                "state": {k: v.detach().cpu() for k, v in m.state_dict().items()},
            }
            for mid, m in modules.items()
        },
    }
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    torch.save(record, tmp)
    tmp.replace(path)
    return path


def load_policy_file(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The modules ``{module_id: RLModule}`` (eval mode, CPU) and the metadata of a policy file.

    Raises:
        UnsafeModelFileError: the file needs full unpickling (it is not such a file, or it was
            crafted to run code): nothing of it is executed.
        ValueError: a file of another format, or weights that do not fit the modules.
    """
    import torch
    from ray.rllib.algorithms.ppo.torch.default_ppo_torch_rl_module import DefaultPPOTorchRLModule
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    path = Path(path)
    try:
        rec = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch's UnpicklingError: objects other than tensors and plain data
        raise UnsafeModelFileError(
            f"{path}: refused, it is not an RLlib policy file of inventory-zoo (plain tensors and JSON) "
            f"and loading it would need full unpickling, which can run code ({type(e).__name__})"
        ) from None
    if not isinstance(rec, dict) or rec.get("format") != FORMAT:
        raise ValueError(f"{path}: not an RLlib policy file of inventory-zoo (format {FORMAT!r})")
    modules = {}
    for mid, r in rec["modules"].items():
        spec = RLModuleSpec(
            module_class=DefaultPPOTorchRLModule,
            observation_space=_space(r["observation_space"]),
            action_space=_space(r["action_space"]),
            model_config=json.loads(r["model_config"]),
        )
        module = spec.build()
        try:
            module.load_state_dict(r["state"])
        except RuntimeError as e:
            raise ValueError(f"{path}: the weights of module {mid!r} do not fit its settings ({e})") from None
        module.eval()
        modules[mid] = module
    return modules, json.loads(rec["meta"])
