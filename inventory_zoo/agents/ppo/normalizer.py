"""VecNormalize statistics as plain arrays: saved to ``.npz`` (numbers, plus one JSON string of
settings) and read back with ``np.load(allow_pickle=False)``, so that loading a normaliser
someone shared can never run code (SB3's own ``VecNormalize.save``/``load`` pickle the whole
wrapper; a crafted ``.pkl`` runs code when loaded).

File layout (``X.vecnormalize.npz``; all float64 except ``settings``, a 0-d unicode array):

=================  ====================================================================
``obs_mean``       ``[obs_dim]`` running mean of the observations
``obs_var``        ``[obs_dim]`` running variance of the observations
``obs_count``      ``[]`` number of observations seen
``ret_mean``       ``[]`` running mean of the discounted returns
``ret_var``        ``[]`` running variance of the discounted returns
``ret_count``      ``[]``
``settings``       JSON: ``norm_obs``, ``norm_reward``, ``clip_obs``, ``clip_reward``, ``gamma``,
                   ``epsilon``, ``format`` (``"inventory-zoo/vecnormalize-v1"``)
=================  ====================================================================
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from inventory_zoo.agents.common import UnsafeModelFileError

__all__ = ["FORMAT", "ObsNormalizer", "save_vecnormalize", "read_vecnormalize", "restore_vecnormalize"]

FORMAT = "inventory-zoo/vecnormalize-v1"
_ARRAYS = ("obs_mean", "obs_var", "obs_count", "ret_mean", "ret_var", "ret_count")
_SETTINGS = ("norm_obs", "norm_reward", "clip_obs", "clip_reward", "gamma", "epsilon")


def save_vecnormalize(venv: Any, path: str | Path) -> Path:
    """Write the statistics and settings of SB3's ``VecNormalize`` ``venv`` to ``path`` (.npz)."""
    path = Path(path)
    settings = {k: _plain(getattr(venv, k)) for k in _SETTINGS}
    settings["format"] = FORMAT
    # VecNormalize has observation statistics only when it normalises observations (and its
    # getattr would look for them in the wrapped envs): empty arrays stand for none.
    o, r = vars(venv).get("obs_rms"), venv.ret_rms
    arrays = {
        "obs_mean": o.mean if o is not None else np.zeros(0),
        "obs_var": o.var if o is not None else np.zeros(0),
        "obs_count": o.count if o is not None else 0.0,
        "ret_mean": r.mean,
        "ret_var": r.var,
        "ret_count": r.count,
    }
    with open(path, "wb") as fh:  # np.savez would append ".npz" to a name without it
        np.savez(
            fh, **{k: np.asarray(v, np.float64) for k, v in arrays.items()}, settings=json.dumps(settings)
        )
    return path


def _plain(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def read_vecnormalize(path: str | Path) -> dict[str, Any]:
    """The arrays and settings of a normaliser file, read without unpickling anything.

    Returns:
        ``{"obs_mean": ndarray, ..., "settings": dict}``.

    Raises:
        ValueError: the file is not such an ``.npz`` (a pickle, object arrays, missing or
            malformed entries), saying why.
    """
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise UnsafeModelFileError(
            f"{path}: not a normaliser file of inventory-zoo (.npz); pickled VecNormalize files "
            "(.pkl) are refused because loading a pickle can run code. Convert a file you made "
            "yourself with inventory_zoo.agents.ppo.convert_vecnormalize(path)"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            out: dict[str, Any] = {k: np.array(data[k], np.float64) for k in _ARRAYS}
            settings = json.loads(str(data["settings"][()]))
    except ValueError as e:  # object arrays: "Object arrays cannot be loaded when allow_pickle=False"
        raise UnsafeModelFileError(f"{path}: refused, it holds arrays that only unpickling could read ({e})") from None
    except (KeyError, json.JSONDecodeError, TypeError) as e:
        raise ValueError(f"{path}: not a normaliser file of inventory-zoo ({e})") from None
    if not isinstance(settings, dict) or settings.get("format") != FORMAT:
        raise ValueError(f"{path}: settings must be a JSON object with format {FORMAT!r}")
    missing = [k for k in _SETTINGS if k not in settings]
    if missing:
        raise ValueError(f"{path}: settings lack {missing}")
    if out["obs_mean"].shape != out["obs_var"].shape or out["obs_mean"].ndim != 1:
        raise ValueError(f"{path}: obs_mean and obs_var must be vectors of one length")
    out["settings"] = settings
    return out


def restore_vecnormalize(venv: Any, path: str | Path) -> None:
    """Load the statistics of ``path`` into SB3's ``VecNormalize`` ``venv`` (for resuming)."""
    data = read_vecnormalize(path)
    venv.ret_rms.mean, venv.ret_rms.var, venv.ret_rms.count = (
        data["ret_mean"],
        data["ret_var"],
        float(data["ret_count"]),
    )
    if not venv.norm_obs:
        return
    if data["obs_mean"].shape != venv.obs_rms.mean.shape:
        raise ValueError(f"{path}: statistics of {data['obs_mean'].shape[0]} observation entries, "
                         f"the env has {venv.obs_rms.mean.shape[0]}")  # fmt: skip
    venv.obs_rms.mean, venv.obs_rms.var, venv.obs_rms.count = (
        data["obs_mean"],
        data["obs_var"],
        float(data["obs_count"]),
    )
    venv.ret_rms.mean, venv.ret_rms.var, venv.ret_rms.count = (
        data["ret_mean"],
        data["ret_var"],
        float(data["ret_count"]),
    )


class ObsNormalizer:
    """The observation half of a saved ``VecNormalize``, as a function of observations.

    ``normalizer(obs)`` is ``clip((obs - mean) / sqrt(var + epsilon), -clip_obs, clip_obs)`` in
    float32, exactly what ``VecNormalize.normalize_obs`` returns with the same statistics.
    """

    def __init__(self, mean: np.ndarray, var: np.ndarray, clip_obs: float, epsilon: float) -> None:
        self.mean = np.asarray(mean, np.float64)
        self.var = np.asarray(var, np.float64)
        self.clip_obs = float(clip_obs)
        self.epsilon = float(epsilon)

    @classmethod
    def load(cls, path: str | Path) -> ObsNormalizer | None:
        """The normaliser of a saved file, or None when its run did not normalise observations."""
        data = read_vecnormalize(path)
        s = data["settings"]
        if not s["norm_obs"]:
            return None
        return cls(data["obs_mean"], data["obs_var"], s["clip_obs"], s["epsilon"])

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        z = (obs - self.mean) / np.sqrt(self.var + self.epsilon)
        return np.clip(z, -self.clip_obs, self.clip_obs).astype(np.float32)
