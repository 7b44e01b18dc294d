"""Stable-Baselines3 faces: the vector env as an SB3 ``VecEnv``, and truncation infos for SuperSuit.

This module needs the ``train`` extra (``pip install "inventory-zoo[train]"``); it is the only
part of the package that imports Stable-Baselines3, and ``import inventory_zoo`` never imports
it.

**One row per (env, agent).** A shared-parameter policy treats every agent of every env copy
as one row of a batch. :class:`SB3VecEnv` turns a :class:`~inventory_zoo.envs.vector.VectorEnv`
of ``B`` copies and ``N`` agents into an SB3 ``VecEnv`` with ``num_envs = B * N`` rows; row
``b * N + i`` is agent ``i`` of copy ``b``. This is the row order SuperSuit produces with
``concat_vec_envs_v1(pettingzoo_env_to_vec_env_v1(env), B)``, and with the same seed the two
give the same observations, rewards and dones for the same actions (``tests/test_ppo.py``).

**Truncation.** Inventory episodes never terminate; they stop at ``max_cycles`` periods.
SB3's on-policy algorithms bootstrap the value of the last observation only when the info of
a finished row holds both ``terminal_observation`` and ``TimeLimit.truncated=True``; otherwise
the end is treated as terminal (value 0), which biases every value near the end of an
episode. :class:`SB3VecEnv` sets both. SuperSuit's SB3 wrapper sets only the first, so wrap
the ParallelEnv in :class:`TimeLimitInfo` before converting it::

    import supersuit as ss
    from inventory_zoo import serial_v0
    from inventory_zoo.envs.sb3 import SB3VecEnv, TimeLimitInfo

    # the SuperSuit path
    par = TimeLimitInfo(serial_v0.parallel_env(preset="liu2022"))
    venv = ss.concat_vec_envs_v1(ss.pettingzoo_env_to_vec_env_v1(par), 8, base_class="stable_baselines3")

    # the fast path, the same rows
    venv = SB3VecEnv.from_env(serial_v0.parallel_env(preset="liu2022"), num_envs=8)

Also here: :class:`ContinuousOrders`, a vec-env wrapper that lets a Gaussian policy choose the
orders (actions in ``[-1, 1]``, rounded to ``0..max_order``), and global observations for a
centralised shared policy (``SB3VecEnv(..., global_state=True)`` and, on the SuperSuit path,
:class:`WithGlobalState`). ``examples/train_ppo.py`` uses all of them; see ``docs/ppo.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

try:
    from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "inventory_zoo.envs.sb3 needs Stable-Baselines3: pip install 'inventory-zoo[train]'"
    ) from e

from inventory_zoo.envs.unwrap import unwrap_env
from inventory_zoo.envs.vector import VectorEnv
from inventory_zoo.policies.base_stock import orders_up_to

__all__ = [
    "SB3VecEnv",
    "TimeLimitInfo",
    "WithGlobalState",
    "BoolDones",
    "ContinuousOrders",
    "orders_from_continuous",
    "OrderUpToLevels",
    "OrderUpToActions",
    "levels_from_continuous",
    "position_lead_times",
    "default_max_level",
    "ORDER_UP_TO_POSITIONS",
    "TRUNCATED_KEY",
]

#: The info key SB3 reads to tell a time limit from a true terminal state.
TRUNCATED_KEY = "TimeLimit.truncated"


class SB3VecEnv(VecEnv):
    """A :class:`~inventory_zoo.envs.vector.VectorEnv` as an SB3 ``VecEnv``: ``B * N`` rows.

    Args:
        venv: the vector env, with ``auto_reset=True``.
        global_state: append copy ``b``'s global state (``venv.state()``) to each of its rows'
            observations, as :class:`WithGlobalState` does on the SuperSuit path: centralised
            information for the shared policy (and its critic), e.g. to reach the echelon
            optimum of a serial chain that local observations cannot.

    Row ``r = b * N + i`` is agent ``i`` of copy ``b``. ``step`` takes actions ``[B * N]``
    (``[B * N, k]`` for multi-sourcing) and returns observations ``[B * N, obs_dim]`` float32,
    rewards ``[B * N]`` float32, dones ``[B * N]`` and one info dict per row holding ``"cost"``
    (the agent's raw cost this period) and, when the episode ended, ``"terminal_observation"``
    (the row's last observation, before the automatic reset) and ``"TimeLimit.truncated"``
    (True: the episode hit its time limit, so its value must be bootstrapped).

    Seeding follows SB3: ``seed(s)`` applies at the next ``reset()``. With the vector env's
    default ``seeding="independent"``, copy ``b`` is then seeded ``s + b``, as SuperSuit's
    ``concat_vec_envs_v1`` seeds its copies on ``reset(seed=s)``.

    Attributes:
        vector_env: the wrapped vector env.
        num_copies: ``B``; ``num_agents``: ``N``; ``agents``: the agent names.
    """

    def __init__(self, venv: VectorEnv, global_state: bool = False) -> None:
        if not isinstance(venv, VectorEnv):
            raise TypeError(f"SB3VecEnv wraps an inventory_zoo VectorEnv, got {type(venv).__name__}")
        if not venv.auto_reset:
            raise ValueError(
                "SB3VecEnv needs a VectorEnv with auto_reset=True (SB3 vec envs reset themselves)"
            )
        self.vector_env = venv
        self.num_copies = venv.num_envs
        self.num_agents = venv.num_agents
        self.agents = list(venv.agents)
        self.global_state = bool(global_state)
        self._seed: int | None = None
        self._actions: np.ndarray | None = None
        obs_space = _with_state_space(venv.observation_space, venv.state_space) if global_state else None
        super().__init__(
            venv.num_envs * venv.num_agents, obs_space or venv.observation_space, venv.action_space
        )

    @classmethod
    def from_env(
        cls, env: Any, num_envs: int, seeding: str = "independent", global_state: bool = False
    ) -> SB3VecEnv:
        """``num_envs`` copies of a ParallelEnv of this library (wrappers are unwrapped)."""
        return cls(VectorEnv(env, num_envs, auto_reset=True, seeding=seeding), global_state)

    # ------------------------------------------------------------------ VecEnv API
    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seed the next ``reset()``: copy ``b`` gets ``seed + b`` (one entry per row returned)."""
        if seed is None:
            seed = int(np.random.default_rng().integers(0, 2**32 - 1))
        self._seed = int(seed)
        return [self._seed + r // self.num_agents for r in range(self.num_envs)]

    def reset(self) -> np.ndarray:
        obs, _ = self.vector_env.reset(seed=self._seed)
        self._seed = None
        self._reset_seeds()
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return self._rows(obs, self._state)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        if self._actions is None:
            raise RuntimeError("step_wait() called without step_async()")
        act = self._actions
        self._actions = None
        act = act.reshape((self.num_copies, self.num_agents) + act.shape[1:])
        obs, rewards, terms, truncs, info = self.vector_env.step(act)
        dones = (terms | truncs).reshape(-1)
        cost = info["cost"].reshape(-1)
        infos: list[dict[str, Any]] = [{"cost": float(c)} for c in cost]
        if dones.any():
            final = self._rows(info["final_observation"], lambda: info["final_state"])
            truncated = (truncs & ~terms).reshape(-1)
            for r in np.flatnonzero(dones):
                infos[r]["terminal_observation"] = final[r]
                infos[r][TRUNCATED_KEY] = bool(truncated[r])
        return self._rows(obs, self._state), rewards.reshape(-1).astype(np.float32), dones, infos

    def close(self) -> None:
        self.vector_env.close()

    # Attributes and methods live on the one vector env that all rows share.
    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        n = len(list(self._get_indices(indices)))
        if attr_name == "render_mode":
            return [None] * n
        return [getattr(self.vector_env, attr_name)] * n

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        if len(list(self._get_indices(indices))) != self.num_envs:
            raise ValueError("SB3VecEnv: all rows share one vector env; set attributes for all rows at once")
        setattr(self.vector_env, attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any
    ) -> list[Any]:
        n = len(list(self._get_indices(indices)))
        out = getattr(self.vector_env, method_name)(*method_args, **method_kwargs)
        return [out] * n

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * len(list(self._get_indices(indices)))

    def get_images(self) -> Sequence[np.ndarray | None]:
        raise NotImplementedError("SB3VecEnv does not render; render a ParallelEnv instead")

    # ------------------------------------------------------------------ helpers
    def _state(self) -> np.ndarray:
        return self.vector_env.state()

    def _rows(self, obs: np.ndarray, state: Callable[[], np.ndarray]) -> np.ndarray:
        """``[B, N, d]`` -> ``[B * N, d]`` (row ``b * N + i``), with ``state()`` appended if asked."""
        if self.global_state:
            st = state()
            B, N = obs.shape[:2]
            obs = np.concatenate([obs, np.broadcast_to(st[:, None, :], (B, N, st.shape[1]))], axis=2)
        return obs.reshape((self.num_envs,) + obs.shape[2:])

    def _get_indices(self, indices: Any) -> Iterable[int]:
        if indices is None:
            return range(self.num_envs)
        if isinstance(indices, (int, np.integer)):
            return [int(indices)]
        return indices


class _ActionMap(VecEnvWrapper):
    """A vec env wrapper that turns the policy's actions into the env's with ``to_orders``."""

    def to_orders(self, actions: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def step_async(self, actions: np.ndarray) -> None:
        self.venv.step_async(self.to_orders(actions))

    def step_wait(self):
        return self.venv.step_wait()

    def reset(self):
        return self.venv.reset()


class ContinuousOrders(_ActionMap):
    """Continuous actions in ``[-1, 1]`` for an SB3 vec env whose rows order ``0..max_order``.

    Action ``a`` becomes the order ``round((a + 1) / 2 * max_order)``: -1 orders nothing, 1 the
    most. A Gaussian policy then moves its mean smoothly along the order quantity, where a
    categorical policy must learn every quantity's logit on its own. Works on top of either
    path (:class:`SB3VecEnv` or SuperSuit's vec env); with several suppliers per agent
    (``MultiDiscrete``), one entry per supplier.

    Args:
        venv: an SB3 vec env with ``Discrete(max_order + 1)`` or ``MultiDiscrete`` actions
            (all entries with the same ``max_order + 1`` values).
    """

    def __init__(self, venv: VecEnv) -> None:
        space = venv.action_space
        if isinstance(space, spaces.Discrete):
            self.max_order, shape = int(space.n) - 1, (1,)
        elif isinstance(space, spaces.MultiDiscrete) and np.all(space.nvec == space.nvec.flat[0]):
            self.max_order, shape = int(space.nvec.flat[0]) - 1, space.nvec.shape
        else:
            raise ValueError(f"ContinuousOrders needs Discrete or uniform MultiDiscrete actions, got {space}")
        self._scalar = isinstance(space, spaces.Discrete)
        super().__init__(venv, action_space=spaces.Box(-1.0, 1.0, shape, np.float32))

    def to_orders(self, actions: np.ndarray) -> np.ndarray:
        """Orders ``[rows]`` (``[rows, k]``) of actions ``[rows, 1]`` (``[rows, k]``) in ``[-1, 1]``."""
        return orders_from_continuous(actions, self.max_order, self._scalar)


def _finite(actions: np.ndarray) -> np.ndarray:
    """Continuous actions as float64, clipped to ``[-1, 1]``.

    Raises:
        ValueError: a NaN action (a diverged policy), which no clipping can turn into an order.
    """
    a = np.asarray(actions, np.float64)
    if np.isnan(a).any():
        raise ValueError(
            f"continuous actions must be numbers in [-1, 1], got NaN in {int(np.isnan(a).sum())} of {a.size} "
            "entries (has the policy diverged?)"
        )
    return np.clip(a, -1.0, 1.0)


def orders_from_continuous(actions: np.ndarray, max_order: int, scalar: bool = True) -> np.ndarray:
    """``round((a + 1) / 2 * max_order)`` of actions clipped to ``[-1, 1]``, as int64 orders.

    With ``scalar=True`` the trailing axis of length 1 is dropped (one order per row).
    """
    a = _finite(actions)
    q = np.rint((a + 1.0) * (0.5 * max_order)).astype(np.int64)
    return q[..., 0] if scalar else q


class BoolDones(VecEnvWrapper):
    """Casts an SB3 vec env's ``dones`` to bool: put it around SuperSuit's vec env.

    SuperSuit returns ``dones`` as uint8 0/1. SB3's ``VecNormalize`` resets the discounted
    returns of finished rows with ``returns[dones] = 0``, which with integers indexes rows 0
    and 1 instead: row 0's return is zeroed on every step and the reward scale drifts from the
    one the same transitions give on the vector path.
    """

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        # SuperSuit's SB3 wrapper has no working get_attr, so SB3 (and every wrapper put
        # around this one) could not read render_mode and would warn; SuperSuit renders nothing.
        if attr_name == "render_mode":
            return [None] * (self.num_envs if indices is None else len(self._get_indices(indices)))
        return self.venv.get_attr(attr_name, indices)

    def reset(self):
        return self.venv.reset()

    def step_wait(self):
        obs, rewards, dones, infos = self.venv.step_wait()
        return obs, rewards, np.asarray(dones, bool), infos


#: The inventory positions an order-up-to level can refer to (see :func:`orders_up_to`).
ORDER_UP_TO_POSITIONS = ("installation", "echelon")


def levels_from_continuous(actions: np.ndarray, max_level: float) -> np.ndarray:
    """Order-up-to levels ``(a + 1) / 2 * max_level`` of actions clipped to ``[-1, 1]``.

    Args:
        actions: ``[..., 1]`` policy actions (one per agent row).
        max_level: the level of action 1, in units of stock.

    Returns:
        ``[...]`` float64 levels in ``[0, max_level]`` (rounded later by :func:`orders_up_to`).
    """
    a = _finite(actions)
    return ((a + 1.0) * (0.5 * float(max_level)))[..., 0]


def position_lead_times(env: Any, position: str = "installation") -> np.ndarray:
    """``[N]`` periods an order-up-to level of each agent has to cover, before the period's own.

    ``"installation"``: the agent's own replenishment time (order delay + lead time of its
    first supplier edge; the longest possible one where lead times are random).
    ``"echelon"``: the sum of these over the stage and every stage below it (serial chains,
    retailer first), the lead time an echelon level covers.
    """
    _check_position(position)
    p = _unwrap_env(env).spec.params
    lead = np.where(p.random_lead_time, p.max_lead_time, p.lead_time) + p.order_delay  # per edge
    per_node = lead[p.in_edge_index[p.in_edge_ptr[:-1]]].astype(np.float64)  # first supplier
    return np.cumsum(per_node) if position == "echelon" else per_node


def default_max_level(env: Any, position: str = "installation") -> int:
    """The level of action 1 when none is given: ``max_order * (longest covered lead time + 1)``.

    An agent ordering ``max_order`` every period holds at most that much in its position, so
    every sensible level is below it; a tighter bound would need the demand's distribution.
    """
    return int(_unwrap_env(env).max_order * (position_lead_times(env, position).max() + 1))


def _check_position(position: str) -> None:
    if position not in ORDER_UP_TO_POSITIONS:
        raise ValueError(f"order-up-to position must be one of {ORDER_UP_TO_POSITIONS}, got {position!r}")


def _unwrap_env(env: Any) -> Any:
    """The library env (with ``spec``, ``engine_state``, ``max_order``) under wrappers."""
    if isinstance(env, VectorEnv):
        return env
    return unwrap_env(env)


def _check_levels_args(env: Any, max_level: float, position: str) -> None:
    _check_position(position)
    if not np.isfinite(max_level) or max_level <= 0:
        raise ValueError(f"max_level must be a positive number, got {max_level!r}")
    if position == "echelon" and not _unwrap_env(env).spec.is_serial:
        raise ValueError(
            "order-up-to position 'echelon' needs a serial chain (serial_v0 or a serial network)"
        )


class OrderUpToLevels(_ActionMap):
    """Continuous actions as order-up-to levels, on the vector path (:class:`SB3VecEnv`).

    Row ``b * N + i`` chooses ``a`` in ``[-1, 1]``; agent ``i`` of copy ``b`` then orders what
    lifts its inventory position to the level ``(a + 1) / 2 * max_level``:
    ``clip(round(level) - IP, 0, max_order)`` (:func:`~inventory_zoo.policies.orders_up_to`,
    everything from the first supplier). With a constant level per agent and
    ``position="installation"`` this is ``BaseStock(levels, sequential=False)``; a policy
    whose level depends on the observation is a state-dependent base-stock policy.

    The positions are read from the vector env's engine state when the actions arrive, which
    is the state the rows' last observations show (after an automatic reset, the new
    episode's first state).

    Args:
        venv: an SB3 vec env whose innermost env is an :class:`SB3VecEnv` (wrappers that do
            not change actions, such as ``VecMonitor``, may sit between).
        max_level: the level of action 1, in units of stock (see :func:`default_max_level`).
        position: ``"installation"`` (the agent's own position, in its observation) or
            ``"echelon"`` (serial chains; stage ``i``'s echelon position reads stages
            ``0..i``, the full state).

    Raises:
        TypeError: no :class:`SB3VecEnv` inside ``venv`` (use :class:`OrderUpToActions` on
            SuperSuit's path).
        ValueError: a bad ``max_level`` or ``position``.
    """

    def __init__(self, venv: VecEnv, max_level: float, position: str = "installation") -> None:
        inner = venv
        while not isinstance(inner, SB3VecEnv):
            if not hasattr(inner, "venv"):
                raise TypeError(
                    "OrderUpToLevels needs an SB3VecEnv inside (the vector path); on SuperSuit's "
                    "path wrap the ParallelEnv in OrderUpToActions instead"
                )
            inner = inner.venv
        _check_levels_args(inner.vector_env, max_level, position)
        self.adapter = inner
        self.max_level = float(max_level)
        self.position = position
        super().__init__(venv, action_space=spaces.Box(-1.0, 1.0, (1,), np.float32))

    def to_orders(self, actions: np.ndarray) -> np.ndarray:
        """The env's actions ``[B * N]`` (``[B * N, S]``) for actions ``[B * N, 1]`` now."""
        ad = self.adapter
        levels = levels_from_continuous(actions, self.max_level).reshape(ad.num_copies, ad.num_agents)
        q = orders_up_to(levels, ad.vector_env, self.position)
        return q.reshape((ad.num_envs,) + q.shape[2:])


def _with_state_space(obs_space: spaces.Box, state_space: spaces.Box) -> spaces.Box:
    """The observation space of an agent's observation followed by the global state."""
    low = np.concatenate([obs_space.low, state_space.low]).astype(np.float32)
    high = np.concatenate([obs_space.high, state_space.high]).astype(np.float32)
    return spaces.Box(low, high, dtype=np.float32)


class _ParallelWrapper(ParallelEnv):
    """Forwards the ParallelEnv API explicitly (no ``__getattr__``); picklable."""

    def __init__(self, env: ParallelEnv) -> None:
        super().__init__()
        self.env = env
        self.possible_agents = list(env.possible_agents)
        self.metadata = dict(getattr(env, "metadata", {}))
        self.render_mode = getattr(env, "render_mode", None)

    @property
    def agents(self) -> list[str]:  # type: ignore[override]
        return self.env.agents

    @agents.setter
    def agents(self, value: list[str]) -> None:  # ParallelEnv.__init__ may assign it
        pass

    @property
    def unwrapped(self) -> ParallelEnv:
        return self.env.unwrapped

    @property
    def max_cycles(self) -> int:
        return self.env.max_cycles

    def observation_space(self, agent: str):
        return self.env.observation_space(agent)

    def action_space(self, agent: str):
        return self.env.action_space(agent)

    def reset(self, seed: int | None = None, options: dict | None = None):
        return self.env.reset(seed=seed, options=options)

    def step(self, actions: dict[str, Any]):
        return self.env.step(actions)

    def state(self) -> np.ndarray:
        return self.env.state()

    def render(self):
        return self.env.render()

    def close(self) -> None:
        self.env.close()


class TimeLimitInfo(_ParallelWrapper):
    """A ParallelEnv wrapper that marks time-limit endings for SB3: ``TimeLimit.truncated``.

    On the step that ends an episode, every agent that is truncated and not terminated gets
    ``infos[agent]["TimeLimit.truncated"] = True`` (agents that terminate get False).
    SuperSuit's ``pettingzoo_env_to_vec_env_v1`` passes the infos through and adds
    ``terminal_observation``, so with this wrapper SB3 bootstraps the value at the time limit.
    Everything else is forwarded unchanged; the wrapper pickles, as SuperSuit needs.

    Args:
        env: any ParallelEnv.
    """

    def step(self, actions: dict[str, Any]):
        obs, rewards, terms, truncs, infos = self.env.step(actions)
        for a, trunc in truncs.items():
            if trunc or terms.get(a, False):
                infos.setdefault(a, {})[TRUNCATED_KEY] = bool(trunc and not terms.get(a, False))
        return obs, rewards, terms, truncs, infos


class WithGlobalState(_ParallelWrapper):
    """A ParallelEnv wrapper whose agents observe their own observation followed by ``state()``.

    The SuperSuit-path twin of ``SB3VecEnv(..., global_state=True)``: the same rows.

    Args:
        env: a ParallelEnv with ``state()`` and a ``state_space`` ``Box``.
    """

    def __init__(self, env: ParallelEnv) -> None:
        super().__init__(env)
        self.state_space = env.state_space
        # One space object per agent, built once (seeding lives in spaces).
        self._spaces = {
            a: _with_state_space(env.observation_space(a), env.state_space) for a in self.possible_agents
        }

    def observation_space(self, agent: str):
        return self._spaces[agent]

    def _extend(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        state = self.env.state()
        return {a: np.concatenate([o, state]).astype(np.float32) for a, o in obs.items()}

    def reset(self, seed: int | None = None, options: dict | None = None):
        obs, infos = self.env.reset(seed=seed, options=options)
        return self._extend(obs), infos

    def step(self, actions: dict[str, Any]):
        obs, rewards, terms, truncs, infos = self.env.step(actions)
        return self._extend(obs), rewards, terms, truncs, infos


class OrderUpToActions(_ParallelWrapper):
    """A ParallelEnv wrapper whose agents choose order-up-to levels: the SuperSuit-path twin of
    :class:`OrderUpToLevels`.

    Every agent's action is a ``Box(-1, 1, (1,))``; action ``a`` becomes the level
    ``(a + 1) / 2 * max_level`` and the order ``clip(round(level) - IP, 0, max_order)`` of
    :func:`~inventory_zoo.policies.orders_up_to`, computed from ``env.unwrapped``'s state.
    Put it inside :class:`TimeLimitInfo` (either order works) and before SuperSuit's conversion.

    Args:
        env: a ParallelEnv of this library, possibly wrapped (:class:`WithGlobalState`...).
        max_level: the level of action 1, in units of stock.
        position: ``"installation"`` or ``"echelon"`` (serial chains).
    """

    def __init__(self, env: ParallelEnv, max_level: float, position: str = "installation") -> None:
        super().__init__(env)
        _check_levels_args(env, max_level, position)
        self.max_level = float(max_level)
        self.position = position
        if hasattr(env, "state_space"):
            self.state_space = env.state_space
        # One space object per agent, built once (seeding lives in spaces).
        self._spaces = {a: spaces.Box(-1.0, 1.0, (1,), np.float32) for a in self.possible_agents}

    def action_space(self, agent: str):
        return self._spaces[agent]

    def to_orders(self, actions: dict[str, Any]) -> dict[str, Any]:
        """The env's actions, by agent, for level actions ``{agent: [1]}`` now."""
        agents = self.possible_agents
        acts = np.stack([np.asarray(actions[a], np.float64).reshape(1) for a in agents])  # [N, 1]
        levels = levels_from_continuous(acts, self.max_level)[None]  # [1, N]
        q = orders_up_to(levels, self.env.unwrapped, self.position)[0]
        return {a: (int(q[i]) if q.ndim == 1 else q[i]) for i, a in enumerate(agents) if a in actions}

    def step(self, actions: dict[str, Any]):
        return self.env.step(self.to_orders(actions))
