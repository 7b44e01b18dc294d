"""HAPPO's files: model files that are data, and resume checkpoints that are not.

**Model files** (``best.pt``, what people share and evaluate) hold only tensors and plain values:
the actors' state dicts, the architecture, and the run's settings as a JSON text. They are read
with ``torch.load(..., weights_only=True)``, which builds tensors, numbers, strings, lists and
dicts and refuses everything else *before* constructing it: loading one runs no code of the file.
:func:`load_policy` refuses any file that needs full unpickling with an
:class:`UnsafeModelFileError`, unless the caller says ``trusted=True``.

**Resume checkpoints** (``last.pt``, ``checkpoints/iter_*.pt``) hold everything a run needs to
continue exactly: optimisers, random generators, the vector env mid-episode (pickled). They are
full pickles, read only by :func:`load_checkpoint` (the ``resume`` path): only resume from files
you made. :func:`load_policy` refuses them.
"""

from __future__ import annotations

import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from inventory_zoo.agents.common import UnsafeModelFileError
from inventory_zoo.agents.happo.config import Args, config_from_json, config_to_json
from inventory_zoo.agents.happo.networks import Actor, action_nvec
from inventory_zoo.agents.happo.policy import HAPPOPolicy, policy_kwargs

__all__ = [
    "MODEL_FORMAT",
    "CHECKPOINT_FORMAT",
    "ModelFile",
    "UnsafeModelFileError",
    "atomic_save",
    "load_checkpoint",
    "load_policy",
    "model_record",
    "policy_factory",
    "read_model",
]

#: ``format`` of a model file (version 1: the keys of :func:`model_record`).
MODEL_FORMAT = "inventory_zoo.happo.model"
#: ``format`` of a resume checkpoint.
CHECKPOINT_FORMAT = "inventory_zoo.happo.checkpoint"
VERSION = 1


def atomic_save(path: Path, obj: dict[str, Any]) -> None:
    """``torch.save`` to a temporary file, then rename: a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def model_record(
    args: Args,
    agents: list[str],
    actors: list[Actor],
    actor_states: list[dict[str, torch.Tensor]],
    obs_scale: float,
    best_cost: float,
    iteration: int,
) -> dict[str, Any]:
    """The content of a model file: only tensors and plain values (``weights_only``-loadable).

    Args:
        actors: the run's actors (for their architecture); ``actor_states``: the weights to store.
    """
    return {
        "format": MODEL_FORMAT,
        "version": VERSION,
        "config": config_to_json(args),
        "agents": list(agents),
        "obs_dims": [int(a.obs_dim) for a in actors],
        "nvecs": [list(a.nvec) for a in actors],
        "policy": policy_kwargs(args),
        "obs_scale": float(obs_scale),
        "actors": [{k: v.detach().cpu().clone() for k, v in sd.items()} for sd in actor_states],
        "best_cost": float(best_cost),
        "iteration": int(iteration),
    }


@dataclass
class ModelFile:
    """A model file's content (see :func:`read_model`).

    Attributes:
        path: where it was read from.
        config_json: the run's settings as JSON (:meth:`config` decodes them).
        agents, obs_dims, nvecs: per agent, its name, input length and action sizes.
        policy: :class:`HAPPOPolicy` arguments (``actor_input``, ``action_mode``, ``level_position``).
        obs_scale: what inputs are divided by.
        actors: per agent, the actor's state dict.
        best_cost, iteration: the evaluation cost per period and iteration it was saved at.
    """

    path: Path
    config_json: str
    agents: list[str]
    obs_dims: list[int]
    nvecs: list[tuple[int, ...]]
    policy: dict[str, str]
    obs_scale: float
    actors: list[dict[str, torch.Tensor]]
    best_cost: float
    iteration: int

    def config(self) -> Args:
        """The run's :class:`Args` (the library's own demand classes are the only objects built)."""
        return config_from_json(self.config_json)


def _model_path(path: str | Path) -> Path:
    p = Path(path)
    if p.is_dir():
        if not (p / "best.pt").exists():
            raise FileNotFoundError(
                f"{p}: no best.pt in this directory (a run writes it at its first evaluation)"
            )
        p = p / "best.pt"
    if not p.exists():
        raise FileNotFoundError(f"no model file at {p}")
    return p


def _unsafe(p: Path, why: str) -> UnsafeModelFileError:
    return UnsafeModelFileError(
        f"{p}: {why}. Loading it would unpickle it, which can run any code the file holds; a HAPPO "
        "model file (best.pt) holds only tensors and settings and loads safely, while resume checkpoints "
        "(last.pt, checkpoints/iter_*.pt) are full pickles. If you made this file yourself or trust its "
        "source, load it deliberately with load_policy(path, trusted=True)."
    )


def read_model(path: str | Path, *, trusted: bool = False) -> ModelFile:
    """Read a model file (``best.pt``, or a run directory holding one) without running its code.

    Args:
        path: the file or run directory.
        trusted: allow a file that needs full unpickling (a resume checkpoint, whose best model
            is returned, or a file written by other code). Never the default: unpickling runs
            whatever code the file holds. Only for files you made or trust.

    Raises:
        UnsafeModelFileError: the file needs full unpickling (and ``trusted`` is false).
        ValueError: the file is not a HAPPO model file.
        FileNotFoundError: no such file.
    """
    p = _model_path(path)
    ck = _load_data(p, trusted)
    if isinstance(ck, dict) and ck.get("format") == CHECKPOINT_FORMAT:
        if not trusted:
            raise _unsafe(p, "this is a resume checkpoint, not a model file (use its run's best.pt)")
        ck = ck["model"]
    return _model_of(ck, p)


def _load_data(p: Path, trusted: bool) -> Any:
    """``torch.load`` with the weights-only unpickler; full unpickling only when ``trusted``."""
    try:
        return torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(e))
        if found is None:
            raise ValueError(f"{p}: not a HAPPO model file (it does not unpickle as data)") from None
        if not trusted:
            why = f"the file holds Python objects other than tensors and plain values (it would call {found[1]})"
            raise _unsafe(p, why) from None
        return torch.load(p, map_location="cpu", weights_only=False)
    except Exception as e:  # a torch.load of anything but a torch file: KeyError, RuntimeError, EOFError...
        raise ValueError(f"{p}: not a HAPPO model file ({type(e).__name__}: {e})") from None


def _model_of(ck: Any, p: Path) -> ModelFile:
    """The :class:`ModelFile` of a loaded model record, checked."""
    if not isinstance(ck, dict) or ck.get("format") != MODEL_FORMAT:
        raise ValueError(f"{p}: not a HAPPO model file (no format {MODEL_FORMAT!r})")
    if ck.get("version") != VERSION:
        raise ValueError(f"{p}: model file version {ck.get('version')!r}; this inventory-zoo reads {VERSION}")
    try:
        model = ModelFile(
            path=p, config_json=str(ck["config"]), agents=[str(a) for a in ck["agents"]],
            obs_dims=[int(d) for d in ck["obs_dims"]], nvecs=[tuple(int(n) for n in nv) for nv in ck["nvecs"]],
            policy={str(k): str(v) for k, v in ck["policy"].items()}, obs_scale=float(ck["obs_scale"]),
            actors=list(ck["actors"]), best_cost=float(ck["best_cost"]), iteration=int(ck["iteration"]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"{p}: a damaged HAPPO model file ({type(e).__name__}: {e})") from None
    if not len(model.agents) == len(model.obs_dims) == len(model.nvecs) == len(model.actors):
        raise ValueError(
            f"{p}: a damaged HAPPO model file (agents, inputs, actions and actors differ in number)"
        )
    return model


def build_policy(model: ModelFile, device: str | torch.device = "cpu") -> HAPPOPolicy:
    """The greedy :class:`HAPPOPolicy` of ``model``'s actors."""
    cfg = model.config()
    gru = cfg.gru_layers if cfg.policy == "gru" else 0
    actors = []
    for d, nv, sd in zip(model.obs_dims, model.nvecs, model.actors, strict=True):
        actor = Actor(d, nv, cfg.hidden_sizes, cfg.layer_norm, gru, cfg.action_head).to(device)
        actor.load_state_dict(sd)
        actor.eval()
        actors.append(actor)
    return HAPPOPolicy(actors, model.obs_scale, device, **model.policy)


def load_policy(path: str | Path, device: str = "cpu", *, trusted: bool = False) -> HAPPOPolicy:
    """The greedy policy of a model file (``best.pt``) or of the run directory holding one.

    The file is read as data (see :func:`read_model`); a file that needs full unpickling, such
    as a resume checkpoint, is refused with :class:`UnsafeModelFileError` unless ``trusted``.
    """
    return build_policy(read_model(path, trusted=trusted), torch.device(device))


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """A resume checkpoint (``last.pt``, ``checkpoints/iter_*.pt``, or a run directory's ``last.pt``).

    A full pickle (optimisers, generators, the vector env): it can run code. Only resume from
    files you made.

    Raises:
        FileNotFoundError: no checkpoint there. ValueError: the file is not a HAPPO checkpoint.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "last.pt"
    if not p.exists():
        raise FileNotFoundError(f"no checkpoint at {p}")
    ck = torch.load(p, map_location="cpu", weights_only=False)
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{p}: not a HAPPO resume checkpoint (a model file cannot be resumed)")
    return ck


def _check_env(model: ModelFile, env: Any) -> None:
    """Refuse an env whose agents, inputs or actions do not fit the model's actors."""
    from inventory_zoo.envs.unwrap import unwrap_env

    penv = unwrap_env(env)
    where = f"happo:{model.path}"
    agents = list(penv.possible_agents)
    if agents != model.agents:
        raise ValueError(f"{where}: the model was trained for agents {model.agents}; this env has {agents}")
    for i, name in enumerate(agents):
        space = (
            penv.state_space if model.policy.get("actor_input") == "global" else penv.observation_space(name)
        )
        if int(space.shape[0]) != model.obs_dims[i]:
            raise ValueError(
                f"{where}: agent {name} reads inputs of length {model.obs_dims[i]}; this env gives {space.shape[0]}"
            )
        if (
            model.policy.get("action_mode") == "order"
            and action_nvec(penv.action_space(name)) != model.nvecs[i]
        ):
            raise ValueError(
                f"{where}: agent {name} orders from {model.nvecs[i]} choices; this env's action space is "
                f"{penv.action_space(name)}"
            )


def policy_factory(
    env: Any, args: str, *, seed: int = 0, budget: int | None = None, device: str = "cpu", **_: Any
) -> HAPPOPolicy:
    """``happo:PATH`` in the policy registry: the greedy policy of a model file or run directory.

    Loads the file as data (never unpickles code; a resume checkpoint or other pickle is refused
    with :class:`UnsafeModelFileError`) and checks that ``env`` fits the model.

    Raises:
        ValueError: no path, a file that is not a model, or an env the model does not fit.
    """
    if not args:
        raise ValueError("happo:PATH needs the path of a HAPPO model file (best.pt) or of a run directory")
    from inventory_zoo.agents.common import resolve_device

    try:
        model = read_model(args)
    except FileNotFoundError as e:
        raise ValueError(f"happo:{args}: {e}") from None
    _check_env(model, env)
    return build_policy(model, torch.device(resolve_device(device)))
