"""The HAPPO training loop: :func:`train` (the algorithm's outline) over a :class:`Trainer`, whose
whole state is one object with ``state_dict()``/``load_state_dict()``.

Logged keys (TensorBoard, under ``<run_dir>/tb``; ``{agent}`` is an agent name):

==================================  ============================================================
``charts/episode_cost``             whole-system cost per period of the training episodes that
                                    ended in the iteration (sampled actions, raw costs)
``charts/episode_reward``           mean over agents of the (mixed) reward per period of them
``charts/learning_rate``            actor learning rate (changes with ``anneal_lr``)
``charts/SPS``                      env-steps per second of wall-clock so far (one env-step =
                                    one period of one env copy, all agents acting)
``charts/SPS_cpu``                  env-steps per CPU-second used by the process so far (less
                                    sensitive than ``charts/SPS`` to other load on the machine)
``charts/rollout_time``             seconds spent collecting the iteration's rollout
``charts/update_time``              seconds spent in the actor and critic updates
``eval/cost_per_period``            greedy whole-system cost per period on the fixed evaluation
                                    episodes (``eval_episodes``, seeds from ``eval_seed``)
``eval/best_cost_per_period``       the lowest of them so far (the kept model)
``eval/fill_rate``                  customer fill rate of the greedy policy on them
``losses/policy_loss/{agent}``      the agent's HAPPO surrogate loss (factor-weighted, clipped)
``losses/entropy/{agent}``          mean entropy of the agent's action distribution
``losses/approx_kl/{agent}``        ``E[(rho - 1) - log rho]`` after the agent's update
``losses/clipfrac/{agent}``         share of samples whose ratio left ``[1 - eps, 1 + eps]``
``losses/grad_norm/{agent}``        gradient norm before clipping, mean over the updates
``losses/factor/{agent}``           mean of the factor ``M`` the agent was weighted with
``losses/update_order/{agent}``     the agent's place in this iteration's order (0 = first)
``losses/value_loss``               clipped Huber loss of the critic (normalised returns)
``losses/critic_grad_norm``         critic gradient norm before clipping
``losses/explained_variance``       ``1 - Var(R - V) / Var(R)`` of the rollout's values
==================================  ============================================================
"""

from __future__ import annotations

import copy
import json
import math
import os
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from inventory_zoo.agents.common import prepare_run_dir, progress
from inventory_zoo.agents.happo.buffer import RolloutBuffer
from inventory_zoo.agents.happo.checkpoint import (
    CHECKPOINT_FORMAT,
    atomic_save,
    load_checkpoint,
    model_record,
)
from inventory_zoo.agents.happo.config import Args, args_dict, make_env
from inventory_zoo.agents.happo.networks import Actor, ActorStack, Critic, obs_scale
from inventory_zoo.agents.happo.policy import HAPPOPolicy, level_orders, policy_kwargs
from inventory_zoo.agents.happo.state import EnvState, Generators, Learner, Record
from inventory_zoo.agents.happo.update import update_actors, update_critic
from inventory_zoo.evaluation import evaluate

__all__ = ["Trainer", "TrainResult", "train"]

#: Settings a resumed run takes from the command, not from its checkpoint.
RESUME_OVERRIDES = (
    "total_timesteps", "time_limit", "progress", "resume", "overwrite", "final_table", "test_episodes", "test_seed",
)  # fmt: skip


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes:
        policy: the best model found (greedy), a :class:`HAPPOPolicy`.
        best_cost: its evaluation cost per period (``inf`` if never evaluated).
        best_iteration: the iteration it was saved at.
        history: one dict per evaluation (iteration, global_step, cost_per_period, fill_rate, time).
        global_step: env-steps trained.
        iterations: iterations done.
        wall_time: seconds of training (this run and the runs it resumed).
        cpu_time: CPU seconds of this process in them (all threads; evaluation included).
        sps: env-steps per second of wall-clock.
        stopped_early: the patience ran out.
        run_dir: where logs and checkpoints went.
        table: the final comparison rows (see :func:`inventory_zoo.baselines.baseline_table`), or ``None``.
        actors, critic: the networks at the end of training (not the best ones).
    """

    policy: HAPPOPolicy
    best_cost: float
    best_iteration: int
    history: list[dict[str, float]]
    global_step: int
    iterations: int
    wall_time: float
    cpu_time: float
    sps: float
    stopped_early: bool
    run_dir: Path | None
    table: list[dict[str, Any]] | None = None
    actors: list[Actor] = field(default_factory=list, repr=False)
    critic: Critic | None = field(default=None, repr=False)


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"Args.device={name!r}: CUDA is not available (use 'cpu' or 'auto')")
    if not (name == "cpu" or name.startswith("cuda")):
        raise ValueError(f"Args.device={name!r} is not allowed; use 'auto', 'cpu' or 'cuda'")
    return torch.device(name)


def resumed_args(args: Args, checkpoint: dict[str, Any]) -> Args:
    """The settings of a resumed run: the checkpoint's, but for :data:`RESUME_OVERRIDES` (and the
    run directory, when ``args`` names one)."""
    keep = {k: getattr(args, k) for k in RESUME_OVERRIDES}
    saved = Args(**checkpoint["config"])
    keep["run_dir"] = args.run_dir if args.run_dir is not None else saved.run_dir
    return replace(saved, **keep)


class Trainer:
    """A HAPPO run: networks, optimisers, generators, the training envs, buffers and the record.

    Its whole state is :meth:`state_dict` (a resume checkpoint); :meth:`load_state_dict` restores
    it so that the run continues exactly as if it had never stopped.
    """

    def __init__(self, args: Args) -> None:
        self.device = device = _device(args.device)
        torch.set_num_threads(args.num_threads or 1)
        if args.deterministic and device.type == "cuda":
            # CPU kernels used here are deterministic for a fixed thread count; on CUDA ask for it.
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True, warn_only=True)
        self.args = args
        self.rngs = Generators(args.seed, device)
        penv = make_env(args)
        self.eval_env = make_env(args)
        self.learner = Learner(args, penv, device)
        self.envs = EnvState(args, penv, self.learner.actors, device)
        self.record = Record(best_actors=self.learner.actor_states())
        self.scale = obs_scale(args, penv)
        self.num_iterations = max(1, args.total_timesteps // args.batch_size)
        self.buffer = RolloutBuffer(self.learner.actors, args.num_steps, args.num_envs,
                                    int(penv.state_space.shape[0]), device)  # fmt: skip
        actors = self.learner.actors
        self.stack = ActorStack(actors) if ActorStack.supports(actors) else None
        self.stopped_early = False
        self.last_cost = math.nan  # of the latest training episodes, for the progress bar
        self.run_dir: Path | None = None
        self.writer: Any = None
        self.bar: Any = None
        self._t_start = self._c_start = 0.0

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed run needs (a full pickle: the vector env is pickled)."""
        rec = self.record
        return {
            "format": CHECKPOINT_FORMAT,
            "version": 1,
            "config": args_dict(self.args),
            "learner": self.learner.state_dict(),
            "rngs": self.rngs.state_dict(),
            "envs": self.envs.state_dict(),
            "record": rec.state_dict(),
            "model": self.best_model_record(),
        }

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.learner.load_state_dict(d["learner"])
        self.rngs.load_state_dict(d["rngs"])
        self.envs.load_state_dict(d["envs"])
        self.record.load_state_dict(d["record"])

    def best_model_record(self) -> dict[str, Any]:
        """The best actors so far as a model file's content (see :func:`model_record`)."""
        rec = self.record
        return model_record(self.args, self.learner.agents, self.learner.actors, rec.best_actors, self.scale,
                            rec.best_cost, rec.best_iteration)  # fmt: skip

    # ------------------------------------------------------------------ run files, logs, progress
    def open_run(self, resumed: bool) -> None:
        """Create the run directory (refusing another run's), the TensorBoard writer and the bar."""
        args = self.args
        if args.save or args.tensorboard:
            name = f"happo/{args.env}-{args.env_preset}-s{args.seed}-{time.strftime('%Y%m%d-%H%M%S')}"
            same = resumed and args.resume is not None and _same_run(args.resume, args.run_dir)
            self.run_dir = prepare_run_dir(args.run_dir, default_name=name, overwrite=args.overwrite or same)
            self.args = args = replace(args, run_dir=str(self.run_dir))
        if args.tensorboard and self.run_dir is not None:
            from torch.utils.tensorboard import SummaryWriter

            step = self.record.global_step
            self.writer = SummaryWriter(str(self.run_dir / "tb"), purge_step=step if resumed else None)
            if not resumed:
                self.writer.add_text("args", "\n".join(f"- {k}: {v!r}" for k, v in args_dict(args).items()))
        total = self.num_iterations * args.batch_size
        self.bar = progress(
            total, "happo", initial=self.record.global_step, enabled=None if args.progress else False
        )
        self._t_start = time.perf_counter() - self.record.elapsed
        self._c_start = time.process_time() - self.record.cpu_time

    def log(self, key: str, value: float) -> None:
        if self.writer is not None:
            self.writer.add_scalar(key, value, self.record.global_step)

    def _clock(self) -> None:
        self.record.elapsed = time.perf_counter() - self._t_start
        self.record.cpu_time = time.process_time() - self._c_start

    def _out_of_time(self) -> bool:
        return bool(self.args.time_limit) and time.perf_counter() - self._t_start >= self.args.time_limit

    def running(self) -> bool:
        """Whether another iteration is due (budget, time limit, patience)."""
        return (
            self.record.iteration < self.num_iterations and not self.stopped_early and not self._out_of_time()
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.writer is not None:
            self.writer.flush()
            self.writer.close()
            self.writer = None

    # ------------------------------------------------------------------ one iteration
    def anneal_lr(self) -> None:
        """Decay the learning rates linearly to 0 over the budget (or the time limit)."""
        args = self.args
        if not args.anneal_lr:
            return
        done_frac = self.record.iteration / self.num_iterations
        if args.time_limit:
            done_frac = max(done_frac, (time.perf_counter() - self._t_start) / args.time_limit)
        frac = max(1.0 - done_frac, 0.0)
        self.learner.set_learning_rates(frac * args.actor_lr, frac * args.critic_lr)

    def _to_dev(self, x: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(x, dtype=torch.float32, device=self.device)

    @torch.no_grad()
    def collect_rollout(self) -> dict[str, Any]:
        """Play ``num_steps`` periods in every env copy with the current actors (sampled actions)
        into the buffer; return the costs of the episodes that ended and the time it took."""
        args, buf, env, actors = self.args, self.buffer, self.envs, self.learner.actors
        t0 = time.perf_counter()
        if self.stack is not None:
            self.stack.refresh()  # the actors changed in the last update
        T, B, N, S = buf.T, buf.B, buf.N, buf.state_dim
        recurrent, scale = buf.hidden is not None, self.scale
        k_max = buf.actions.shape[-1]
        finished_cost: list[float] = []
        finished_reward: list[float] = []
        buf.final_states.clear()
        for t in range(T):
            buf.states[t] = self._to_dev(env.venv.state()) / scale
            if args.actor_input == "global":
                obs_t = buf.states[t][:, None].expand(B, N, S)
            else:
                obs_t = self._to_dev(env.obs) / scale
            buf.obs[t] = obs_t
            st = self._to_dev(env.starts)
            buf.starts[t] = st
            if self.stack is not None:
                # Every agent in one batched pass (same actions as one pass per actor).
                a, lp = self.stack.sample(obs_t.transpose(0, 1), self.rngs.sample)  # [N, B, k], [N, B]
                buf.actions[t] = a.transpose(0, 1)
                buf.logp[t] = lp.T
            else:
                for i, actor in enumerate(actors):
                    if recurrent:
                        buf.hidden[i][t] = env.hidden[i]  # type: ignore[index]
                        logits, env.hidden[i] = actor.logits(obs_t[None, :, i], env.hidden[i], st[None])
                    else:
                        logits, _ = actor.logits(obs_t[None, :, i])
                    a, lp = actor.sample(logits[0], self.rngs.sample)
                    buf.actions[t, :, i, : len(actor.nvec)] = a.view(B, -1)
                    buf.logp[t, :, i] = lp
            actions = buf.actions[t].cpu().numpy()
            if args.action_mode == "level":
                env_actions = level_orders(actions[:, :, 0], env.venv, args.level_position)
            else:
                env_actions = actions[:, :, 0] if k_max == 1 else actions
            env.obs, rew, term, trunc, info = env.venv.step(env_actions)
            buf.rewards[t] = self._to_dev(rew)
            done = np.logical_or(term, trunc).any(1)
            buf.dones[t] = self._to_dev(done.astype(np.float32))
            env.ep_cost += info["cost"].sum(1)
            env.ep_reward += rew.mean(1)
            env.ep_len += 1
            if done.any():
                buf.final_states[t] = self._to_dev(info["final_state"]) / scale
                finished_cost += list(env.ep_cost[done] / env.ep_len)
                finished_reward += list(env.ep_reward[done] / env.ep_len)
                env.ep_cost[done] = 0.0
                env.ep_reward[done] = 0.0
                if done.all():
                    env.ep_len = 0
            env.starts = done.astype(np.float32)
        buf.states[T] = self._to_dev(env.venv.state()) / scale
        self.record.global_step += args.batch_size
        if finished_cost:
            self.last_cost = float(np.mean(finished_cost))
        return {"finished_cost": finished_cost, "finished_reward": finished_reward,
                "rollout_time": time.perf_counter() - t0}  # fmt: skip

    def update(self) -> dict[str, Any]:
        """GAE over the buffer, then the sequential actor updates and the critic update."""
        args, buf, lrn = self.args, self.buffer, self.learner
        t0 = time.perf_counter()
        adv, returns, values = buf.advantages(lrn.critic, lrn.value_norm, args.gamma, args.gae_lambda)
        data = buf.actor_data(adv, args.chunk_length if buf.hidden is not None else 1)
        order = [int(i) for i in self.rngs.order.permutation(buf.N)]
        for a in lrn.actors:
            a.train()
        actor_stats, _ = update_actors(lrn.actors, lrn.actor_opts, data, order, args, self.rngs.shuffle)
        T, B, N, S = buf.T, buf.B, buf.N, buf.state_dim
        critic_stats = update_critic(
            lrn.critic, lrn.critic_opt, lrn.value_norm, buf.states[:T].reshape(T * B, S), returns.reshape(T * B, N),
            values.reshape(T * B, N), args, self.rngs.shuffle,
        )  # fmt: skip
        with torch.no_grad():
            var_r = returns.var()
            ev = float(1 - (returns - values).var() / var_r) if var_r > 0 else math.nan
        self.record.iteration += 1
        self._clock()
        return {"actors": actor_stats, "critic": critic_stats, "order": order, "explained_variance": ev,
                "update_time": time.perf_counter() - t0}  # fmt: skip

    def log_iteration(self, rollout: dict[str, Any], upd: dict[str, Any]) -> None:
        rec = self.record
        if rollout["finished_cost"]:
            self.log("charts/episode_cost", float(np.mean(rollout["finished_cost"])))
            self.log("charts/episode_reward", float(np.mean(rollout["finished_reward"])))
        self.log("charts/learning_rate", self.learner.actor_opts[0].param_groups[0]["lr"])
        self.log("charts/SPS", rec.global_step / max(rec.elapsed, 1e-9))
        self.log("charts/SPS_cpu", rec.global_step / max(rec.cpu_time, 1e-9))
        self.log("charts/rollout_time", rollout["rollout_time"])
        self.log("charts/update_time", upd["update_time"])
        for i, name in enumerate(self.learner.agents):
            for k in ("policy_loss", "entropy", "approx_kl", "clipfrac", "grad_norm", "factor"):
                self.log(f"losses/{k}/{name}", upd["actors"][k][i])
            self.log(f"losses/update_order/{name}", upd["order"].index(i))
        self.log("losses/value_loss", upd["critic"]["value_loss"])
        self.log("losses/critic_grad_norm", upd["critic"]["critic_grad_norm"])
        self.log("losses/explained_variance", upd["explained_variance"])

    # ------------------------------------------------------------------ evaluation and files
    def current_policy(self) -> HAPPOPolicy:
        return HAPPOPolicy(self.learner.actors, self.scale, self.device, **policy_kwargs(self.args))

    def evaluate_if_due(self) -> None:
        """Every ``eval_interval`` iterations and at the last: evaluate the greedy policy on the
        fixed episodes, keep it (and write ``best.pt``) if it improved, count toward patience."""
        args, rec = self.args, self.record
        last = rec.iteration >= self.num_iterations or self._out_of_time()
        if not ((args.eval_interval and rec.iteration % args.eval_interval == 0) or last):
            return
        for a in self.learner.actors:
            a.eval()
        rep = evaluate(self.eval_env, self.current_policy(), args.eval_episodes, args.eval_seed)
        cost = rep.cost_per_period
        rec.history.append({"iteration": rec.iteration, "global_step": rec.global_step, "cost_per_period": cost,
                            "fill_rate": rep.fill_rate, "time": time.perf_counter() - self._t_start})  # fmt: skip
        if cost < rec.best_cost - args.min_delta:
            rec.best_cost, rec.best_iteration = cost, rec.iteration
            rec.best_actors = self.learner.actor_states()
            rec.bad_evals = 0
            if args.save and self.run_dir is not None:
                atomic_save(self.run_dir / "best.pt", self.best_model_record())
        else:
            rec.bad_evals += 1
        self.log("eval/cost_per_period", cost)
        self.log("eval/best_cost_per_period", rec.best_cost)
        self.log("eval/fill_rate", rep.fill_rate)
        if args.patience and rec.bad_evals >= args.patience:
            self.stopped_early = True

    def show_progress(self) -> None:
        rec = self.record
        self._clock()
        self.bar.set(rec.global_step)
        cost = "-" if math.isnan(self.last_cost) else f"{self.last_cost:.2f}"
        best = "-" if math.isinf(rec.best_cost) else f"{rec.best_cost:.2f}"
        self.bar.postfix(f"cost {cost} best {best} sps {rec.global_step / max(rec.elapsed, 1e-9):,.0f}")

    def save_checkpoint(self, tag: str | None = None) -> None:
        """Write ``last.pt`` (and ``checkpoints/<tag>.pt``, keeping the newest ``keep_checkpoints``)."""
        args = self.args
        if not args.save or self.run_dir is None:
            return
        ck = self.state_dict()
        atomic_save(self.run_dir / "last.pt", ck)
        if tag is not None and args.keep_checkpoints > 0:
            atomic_save(self.run_dir / "checkpoints" / f"{tag}.pt", ck)
            for p in sorted((self.run_dir / "checkpoints").glob("iter_*.pt"))[: -args.keep_checkpoints]:
                p.unlink()

    def save_if_due(self) -> None:
        it = self.record.iteration
        if self.args.checkpoint_interval and it % self.args.checkpoint_interval == 0:
            self.save_checkpoint(f"iter_{it:06d}")

    def interrupted(self) -> KeyboardInterrupt:
        """Save a resumable checkpoint after a Ctrl-C; the exception says where it went."""
        self._clock()
        self.save_checkpoint()
        done = f"interrupted after {self.record.global_step:,} env-steps"
        if not self.args.save or self.run_dir is None:
            return KeyboardInterrupt(f"{done} (save=False: nothing was saved)")
        return KeyboardInterrupt(f"{done}; resume with --resume {self.run_dir}")

    # ------------------------------------------------------------------ the end
    def result(self) -> TrainResult:
        rec = self.record
        best_actors = [copy.deepcopy(a) for a in self.learner.actors]
        for a, sd in zip(best_actors, rec.best_actors, strict=True):
            a.load_state_dict(sd)
            a.eval()
        return TrainResult(
            policy=HAPPOPolicy(best_actors, self.scale, self.device, **policy_kwargs(self.args)),
            best_cost=float(rec.best_cost), best_iteration=int(rec.best_iteration), history=rec.history,
            global_step=rec.global_step, iterations=rec.iteration, wall_time=rec.elapsed, cpu_time=rec.cpu_time,
            sps=rec.global_step / max(rec.elapsed, 1e-9), stopped_early=self.stopped_early, run_dir=self.run_dir,
            actors=self.learner.actors, critic=self.learner.critic,
        )  # fmt: skip

    def final_table(self, policy: HAPPOPolicy) -> list[dict[str, Any]]:
        """The best model next to the baselines on ``test_episodes`` fresh episodes; printed, and
        saved to ``<run_dir>/evaluation.json``."""
        from inventory_zoo.baselines import baseline_table, format_table

        args, rec = self.args, self.record
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rows = baseline_table(
                self.eval_env, {"happo": policy}, episodes=args.test_episodes, seed=args.test_seed,
                heuristic_budget=args.heuristic_budget,
            )  # fmt: skip
        print(f"\nHAPPO on {args.env} preset={args.env_preset}: best model of iteration {rec.best_iteration}, "
              f"{rec.global_step:,} env-steps in {rec.elapsed:.0f} s "
              f"({rec.global_step / max(rec.elapsed, 1e-9):,.0f} env-steps/s)")  # fmt: skip
        print(format_table(rows, title=f"test: {args.test_episodes} episodes from seed {args.test_seed}"))
        if args.save and self.run_dir is not None:
            with open(self.run_dir / "evaluation.json", "w") as fh:
                json.dump(rows, fh, indent=1, default=str)
        return rows


def _same_run(resume: str, run_dir: str | None) -> bool:
    """Whether a resumed run writes into the directory it resumes from (allowed: it continues)."""
    src = Path(resume)
    src_dir = src if src.is_dir() else (src.parent.parent if src.parent.name == "checkpoints" else src.parent)
    return run_dir is None or Path(run_dir).resolve() == src_dir.resolve()


class _StopAtIterationEnd:
    """While active (main thread only), a Ctrl-C asks the loop to stop at the end of the current
    iteration, so that the checkpoint it saves is a whole state; a second Ctrl-C stops at once."""

    requested = False

    def __enter__(self) -> _StopAtIterationEnd:
        self._old = None
        if threading.current_thread() is threading.main_thread():
            self._old = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt("interrupted twice: stopped without saving")
        self.requested = True

    def __exit__(self, *exc: Any) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


def train(args: Args) -> TrainResult:
    """Train HAPPO as ``args`` says; return the best model and the run's record.

    A Ctrl-C stops the run at the end of the current iteration, saves ``last.pt`` (resumable
    with ``Args(resume=run_dir)``) and raises ``KeyboardInterrupt`` saying so.
    """
    checkpoint = load_checkpoint(args.resume) if args.resume else None
    if checkpoint is not None:
        args = resumed_args(args, checkpoint)
    trainer = Trainer(args)
    if checkpoint is not None:
        trainer.load_state_dict(checkpoint)
    trainer.open_run(resumed=checkpoint is not None)
    try:
        with _StopAtIterationEnd() as stop:
            while trainer.running():
                trainer.anneal_lr()
                rollout = trainer.collect_rollout()  # every actor acts; costs and states recorded
                upd = trainer.update()  # GAE, then actors one by one in a random order, then the critic
                trainer.log_iteration(rollout, upd)
                trainer.evaluate_if_due()  # greedy policy on fixed episodes; keep the best
                trainer.show_progress()
                trainer.save_if_due()
                if stop.requested:
                    raise trainer.interrupted()
        trainer._clock()
        trainer.save_checkpoint()
    finally:
        trainer.close()
    result = trainer.result()
    if trainer.args.final_table:
        result.table = trainer.final_table(result.policy)
    return result
