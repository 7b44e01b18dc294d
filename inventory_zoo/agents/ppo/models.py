"""Trained PPO models as inventory-zoo policies, loaded without unpickling.

A model file is SB3's ``.zip``: a JSON ``data`` entry (settings; some values cloudpickled
inside it), ``policy.pth`` (the network's state dict) and more. :func:`load_policy` reads
only the plain JSON values and ``policy.pth`` with ``torch.load(weights_only=True)``, builds the
network from them, and never unpickles; its observation normaliser is the ``.npz`` beside it
(:mod:`~inventory_zoo.agents.ppo.normalizer`). ``trusted=True`` loads through SB3's
``PPO.load`` and pickled ``.pkl`` normalisers instead: only for files you made yourself.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from inventory_zoo.agents.common import UnsafeModelFileError
from inventory_zoo.agents.ppo.config import ENV_SETTINGS, Args, load_config
from inventory_zoo.agents.ppo.normalizer import ObsNormalizer, save_vecnormalize
from inventory_zoo.policies import Policy, orders_up_to

__all__ = [
    "PPOPolicy",
    "model_file",
    "vecnormalize_path",
    "model_settings",
    "load_policy",
    "policy_factory",
    "convert_vecnormalize",
]


class PPOPolicy(Policy):
    """A shared-parameter SB3 policy acting for every agent, as the env's orders.

    Each agent's observation (with the global state appended when trained with
    ``global_obs``) is one row of the model's batch. The rows are rebuilt as in training when
    the env's observation options differ (an env built with raw observations and no agent id,
    as the CLI builds it): observations are rescaled to the training ``obs_scale`` and the
    one-hot id appended. Then the saved normaliser, the model's greedy action, and the action
    mapping: order-up-to levels ``(a + 1) / 2 * max_level`` turned into orders by
    :func:`~inventory_zoo.policies.orders_up_to`, continuous actions rounded to orders, or
    discrete orders as they are.

    Args:
        model: anything with ``predict(rows, deterministic=True)`` and ``action_space``.
        mapping: ``{"actions": "order-up-to", "max_level": L, "position": P}``,
            ``{"actions": "continuous"}`` or ``{"actions": "discrete"}``.
        obs_transform: the observation normaliser (``[rows, dim] -> [rows, dim]``) or None.
        obs_scale: the divisor of the training observations (None: raw counts).
        agent_id: the training observations ended with a one-hot agent id.
        global_obs: the training rows ended with the env's global state.
        order_space: an agent's action space in the env (continuous actions are rounded to it).
    """

    def __init__(
        self,
        model: Any,
        mapping: dict[str, Any],
        obs_transform: Any = None,
        obs_scale: float | None = None,
        agent_id: bool = False,
        global_obs: bool = False,
        order_space: Any = None,
    ) -> None:
        self.model = model
        self.order_space = order_space
        self.mapping = dict(mapping)
        self.obs_transform = obs_transform
        self.obs_scale = obs_scale
        self.agent_id = agent_id
        self.global_obs = global_obs
        levels = self.mapping.get("actions") == "order-up-to"
        self.needs_state = global_obs or (levels and self.mapping.get("position") == "echelon")

    def _rescale(self, x: np.ndarray, batch: Any) -> np.ndarray:
        """Counts shown with the env's scale as the training observations showed them."""
        if batch.obs_scale == self.obs_scale:
            return x
        if batch.obs_scale is not None:
            raise ValueError(
                f"the model was trained with obs_scale={self.obs_scale}; the env divides observations "
                f"by {batch.obs_scale}: build it with normalize_obs=False (or the training scale)"
            )
        if self.obs_scale is None:
            return x
        # As the env computes it: the exact count times 1/scale in float64, rounded once.
        return (x.astype(np.float64) * (np.float64(1.0) / self.obs_scale)).astype(np.float32)

    def rows(self, obs: np.ndarray, env: Any) -> np.ndarray:
        """The model's input rows ``[B * N, dim]`` for observations ``[B, N, obs_dim]``."""
        batch = env.batch
        B, N = obs.shape[:2]
        if (batch.obs_scale, batch.agent_id) != (self.obs_scale, self.agent_id):
            obs = self._rescale(obs[..., : batch.base_obs_dim], batch)
            if self.agent_id:
                obs = np.concatenate([obs, np.broadcast_to(np.eye(N, dtype=np.float32), (B, N, N))], axis=2)
        if self.global_obs:
            state = self._rescale(env.state(), batch)  # [B, state_dim]
            obs = np.concatenate([obs, np.broadcast_to(state[:, None, :], (B, N, state.shape[1]))], axis=2)
        flat = obs.reshape(B * N, -1)
        return flat if self.obs_transform is None else self.obs_transform(flat)

    def act(self, obs: np.ndarray, env: Any) -> np.ndarray:
        from gymnasium import spaces

        from inventory_zoo.envs.sb3 import levels_from_continuous, orders_from_continuous

        B, N = obs.shape[:2]
        actions, _ = self.model.predict(self.rows(obs, env), deterministic=True)
        actions = np.asarray(actions)
        kind = self.mapping.get("actions")
        if kind == "order-up-to":
            levels = levels_from_continuous(actions.reshape(B, N, -1), self.mapping["max_level"])
            return orders_up_to(levels, env, self.mapping["position"])
        if isinstance(self.model.action_space, spaces.Box):  # continuous orders
            space = self.order_space
            scalar = isinstance(space, spaces.Discrete)
            max_order = int(space.n - 1 if scalar else space.nvec.flat[0] - 1)
            actions = orders_from_continuous(actions, max_order, scalar)
        return actions.reshape((B, N) + actions.shape[1:])


def model_file(path: str | Path) -> Path:
    """The model of ``path``: the file itself, or in a run directory ``best_model.zip`` (else
    ``model.zip``).

    Raises:
        ValueError: nothing to load there.
    """
    path = Path(path)
    if path.is_dir():
        for name in ("best_model.zip", "model.zip"):
            if (path / name).is_file():
                return path / name
        raise ValueError(f"{path}: a directory without best_model.zip or model.zip (not a PPO run)")
    if not path.is_file():
        raise ValueError(f"{path}: no such model file or run directory")
    return path


def vecnormalize_path(model_path: Path, suffix: str = ".npz") -> Path:
    """The normalisation statistics saved with a model file (``X.zip`` -> ``X.vecnormalize.npz``;
    checkpoints ``ppo_K_steps.zip`` -> ``ppo_vecnormalize_K_steps.npz``)."""
    stem = model_path.name.removesuffix(".zip")
    if stem.startswith("ppo_") and stem.endswith("_steps"):
        return model_path.with_name("ppo_vecnormalize_" + stem.removeprefix("ppo_") + suffix)
    return model_path.with_name(stem + ".vecnormalize" + suffix)


def _read_zip(path: Path, device: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plain JSON values of an SB3 model file (cloudpickled ones dropped, never decoded)
    and its policy's state dict, read with ``torch.load(weights_only=True)``."""
    import torch

    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read("data").decode())
            with archive.open("policy.pth") as fh:
                state = torch.load(fh, map_location=device, weights_only=True)
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a Stable-Baselines3 model file ({e})") from None
    except Exception as e:  # torch's UnpicklingError: the weights need full unpickling
        raise UnsafeModelFileError(f"{path}: refused, its policy.pth is not plain tensors ({e})") from None
    # Pickled values are kept only as the marker "pickled", never decoded.
    plain = {k: "pickled" if isinstance(v, dict) and ":serialized:" in v else v for k, v in data.items()}
    return plain, state


def model_settings(path: Path, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run settings a model was trained with: saved in the model (``train_config``), else
    the ``config.json`` of its run directory (for checkpoints, the parent's)."""
    saved = (data or {}).get("train_config")
    if isinstance(saved, dict):
        return saved
    for cfg in (path.parent / "config.json", path.parent.parent / "config.json"):
        if cfg.is_file():
            return load_config(cfg)
    raise ValueError(f"{path}: no settings (neither in the model nor a config.json of its run)")


def _network(data: dict[str, Any], state: dict[str, Any], env: Any, mapping: dict[str, Any], device: str):
    """SB3's actor-critic network with the saved weights; spaces from the weights' shapes."""
    from gymnasium import spaces
    from stable_baselines3.common.policies import ActorCriticPolicy

    kwargs = data.get("policy_kwargs", {})
    if not isinstance(kwargs, dict) or not {"net_arch", "log_std_init"}.issuperset(kwargs):
        raise ValueError(
            f"policy_kwargs {kwargs!r} need unpickling: load a model you trust with trusted=True"
        )
    first = "mlp_extractor.policy_net.0.weight" if kwargs.get("net_arch") else "action_net.weight"
    obs_dim = int(state[first].shape[1])
    obs_space = spaces.Box(-np.inf, np.inf, (obs_dim,), np.float32)
    if mapping.get("actions") == "discrete":
        act_space = env.action_space(env.possible_agents[0])
    else:
        act_space = spaces.Box(-1.0, 1.0, (int(state["action_net.weight"].shape[0]),), np.float32)
    net = ActorCriticPolicy(obs_space, act_space, lambda _: 0.0, **kwargs).to(device)
    try:
        net.load_state_dict(state)
    except RuntimeError as e:
        raise ValueError(f"the weights do not fit SB3's MlpPolicy with {kwargs}: {e}") from None
    net.set_training_mode(False)
    return net


def load_policy(
    path: str | Path, *, env: Any = None, device: str = "cpu", trusted: bool = False
) -> PPOPolicy:
    """A saved PPO model (a ``.zip`` or a run directory, see :func:`model_file`) as a policy,
    with its observation normaliser and action mapping.

    Args:
        path: the model file or its run directory.
        env: the env it will act in (default: the env it was trained on, rebuilt from its settings).
        device: torch device of the network.
        trusted: load through SB3's ``PPO.load`` and accept a pickled ``.pkl`` normaliser. Both
            unpickle, i.e. can run code from the file: only for files you made yourself.

    Raises:
        ValueError: the file is not a model of this library, or only unpickling could read it.
    """
    from inventory_zoo.agents.ppo.envs import make_env

    model_path = model_file(path)
    data, state = _read_zip(model_path, device)
    args = Args(
        **{k: v for k, v in model_settings(model_path, data).items() if k in Args.__dataclass_fields__}
    )
    env = env if env is not None else make_env(args)
    mapping = data.get("action_mapping")
    mapping = mapping if isinstance(mapping, dict) else {"actions": args.actions}
    if trusted:
        from stable_baselines3 import PPO

        model = PPO.load(str(model_path), device=device)
    else:
        model = _network(data, state, env, mapping, device)
    transform = _normalizer(model_path, trusted)
    obs_scale = data["train_obs_scale"] if "train_obs_scale" in data else _obs_scale(args)
    if obs_scale is not None and not (isinstance(obs_scale, (int, float)) and obs_scale > 0):
        raise ValueError(
            f"{model_path}: train_obs_scale must be a positive number or null, got {obs_scale!r}"
        )
    _check_rows(model_path, args, env, int(model.observation_space.shape[0]))
    space = env.action_space(env.possible_agents[0])
    return PPOPolicy(model, mapping, transform, obs_scale, args.agent_id, args.global_obs, space)


def _check_rows(path: Path, args: Args, env: Any, width: int) -> None:
    """Raise ValueError when ``env``'s observations cannot make the model's rows of ``width``."""
    from inventory_zoo.envs.unwrap import unwrap_env

    batch = unwrap_env(env).batch
    n, base = batch.num_agents, batch.base_obs_dim
    rows = base + (n if args.agent_id else 0) + (n * base if args.global_obs else 0)
    if rows != width:
        raise ValueError(
            f"{path}: trained on {args.env}/{args.preset} with rows of {width} entries; this env's "
            f"observations make rows of {rows} (another env or preset)"
        )


def _obs_scale(args: Args) -> float | None:
    """The observation divisor of a run's env (for models saved before ``train_obs_scale``)."""
    from inventory_zoo.agents.ppo.envs import make_env

    return make_env(args).batch.obs_scale


def _normalizer(model_path: Path, trusted: bool):
    npz, pkl = vecnormalize_path(model_path), vecnormalize_path(model_path, ".pkl")
    if npz.exists():
        return ObsNormalizer.load(npz)
    if pkl.exists():
        if not trusted:
            raise UnsafeModelFileError(
                f"{pkl}: refused, a pickled VecNormalize can run code when loaded. If you made it "
                "yourself, convert it with inventory_zoo.agents.ppo.convert_vecnormalize(path), or "
                "load with trusted=True"
            )
        return _unpickled_normalizer(pkl)
    return None


def _unpickled_normalizer(pkl: Path):
    from stable_baselines3.common.save_util import load_from_pkl

    vn = load_from_pkl(pkl)
    if not vn.norm_obs:
        return None
    return ObsNormalizer(vn.obs_rms.mean, vn.obs_rms.var, vn.clip_obs, vn.epsilon)


def convert_vecnormalize(pkl: str | Path) -> Path:
    """Convert a pickled VecNormalize file **that you made yourself** (it is unpickled, which
    can run code) to the ``.npz`` beside it; returns the new file's path."""
    pkl = Path(pkl)
    from stable_baselines3.common.save_util import load_from_pkl

    out = pkl.with_suffix(".npz")
    save_vecnormalize(load_from_pkl(pkl), out)
    return out


def policy_factory(
    env: Any, args: str, *, seed: int = 0, budget: int | None = None, device: str = "cpu", **_: Any
) -> PPOPolicy:
    """``ppo:PATH`` on the command line: the model at ``PATH`` (a ``.zip`` or a run
    directory) acting in ``env``, loaded without unpickling (see :func:`load_policy`).

    Raises:
        ValueError: ``args`` is empty, the file cannot be loaded safely, or the model was
            trained on an env whose agents differ from ``env``'s.
    """
    from inventory_zoo.envs.unwrap import unwrap_env

    if not args:
        raise ValueError("ppo:PATH needs the path of a model .zip or a run directory, e.g. ppo:runs/x")
    pol = load_policy(args, env=env, device=device)
    trained = load_policy_settings(args)
    n = len(unwrap_env(env).possible_agents)
    if trained.get("n_agents") not in (None, n):
        raise ValueError(f"ppo:{args}: trained for {trained['n_agents']} agents, the env has {n}")
    return pol


def load_policy_settings(path: str | Path) -> dict[str, Any]:
    """The env settings a model was trained with (``env``, ``preset``, ...), read without unpickling."""
    model_path = model_file(path)
    with zipfile.ZipFile(model_path) as archive:
        data = json.loads(archive.read("data").decode())
    settings = model_settings(model_path, data)
    out = {k: settings.get(k) for k in ENV_SETTINGS}
    out["n_agents"] = data.get("train_n_agents")
    return out


def settings_to_save(args: Args, env: Any) -> dict[str, Any]:
    """The plain attributes saved inside every model file (SB3 writes them as JSON)."""
    from inventory_zoo.envs.unwrap import unwrap_env

    penv = unwrap_env(env)
    return {
        "train_config": dataclasses.asdict(args),
        "train_obs_scale": penv.batch.obs_scale,
        "train_n_agents": len(penv.possible_agents),
    }
