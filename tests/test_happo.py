"""HAPPO (inventory_zoo.agents.happo): the factor by hand, GAE at truncation, a run that
checkpoints and resumes to the same result, heterogeneous action spaces, and learning on a tiny
instance. All on CPU, at sizes that keep the file well under a minute and a half."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from inventory_zoo import Constant, evaluate  # noqa: E402
from inventory_zoo.agents import happo  # noqa: E402
from inventory_zoo.policies import RandomPolicy  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: A two-stage chain with constant demand 3: the best policy orders 3 every period.
TINY = dict(
    num_stages=2,
    lead_times=1,
    demand=Constant(3),
    holding_costs=1.0,
    backorder_costs=(4.0, 1.0),
    max_order=8,
    initial_inventory=3,
    max_cycles=20,
)

QUIET = dict(progress=False, final_table=False)


def tiny_args(**kw) -> happo.Args:
    base = dict(
        env="serial_v0", preset=None, env_kwargs=TINY, reward_mix=1.0, num_envs=8, num_steps=10,
        total_timesteps=4 * 80, eval_interval=2, eval_episodes=4, patience=0, device="cpu", seed=3, **QUIET,
    )  # fmt: skip
    base.update(kw)
    return happo.Args(**base)


def test_agents_package_imports_torch_lazily():
    code = "import sys, inventory_zoo, inventory_zoo.agents; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def _logp_by_hand(actor: happo.Actor, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """log pi(a | o) from the raw logits, one softmax per action component, summed."""
    with torch.no_grad():
        logits, _ = actor.logits(obs)
    total = torch.zeros(logits.shape[:-1])
    start = 0
    for j, n in enumerate(actor.nvec):
        part = logits[..., start : start + n]
        part = part - torch.logsumexp(part, -1, keepdim=True)
        total += part.gather(-1, actions[..., j : j + 1]).squeeze(-1)
        start += n
    return total


def test_factor_is_one_first_then_the_product_of_earlier_ratios():
    torch.manual_seed(0)
    L, C, D = 1, 6, 4
    # Heterogeneous agents: Discrete(3), Discrete(5) and a two-supplier MultiDiscrete([2, 4]).
    nvecs = [(3,), (5,), (2, 4)]
    actors = [happo.Actor(D, nv, (8,), layer_norm=True) for nv in nvecs]
    opts = [torch.optim.Adam(a.parameters(), lr=0.05) for a in actors]
    obs = torch.randn(L, C, 3, D)
    actions = torch.zeros(L, C, 3, 2, dtype=torch.int64)
    for i, nv in enumerate(nvecs):
        for j, n in enumerate(nv):
            actions[..., i, j] = torch.randint(0, n, (L, C))
    old = torch.stack([_logp_by_hand(a, obs[:, :, i], actions[:, :, i]) for i, a in enumerate(actors)], -1)
    data = happo.ActorData(
        obs=obs, actions=actions, logp=old, adv=torch.randn(L, C, 3), starts=torch.zeros(L, C)
    )
    args = happo.Args(update_epochs=3, num_minibatches=1, ent_coef=0.0, num_envs=1, num_steps=C)
    order = [2, 0, 1]
    stats, used = happo.update_actors(actors, opts, data, order, args, torch.Generator().manual_seed(0))

    new = torch.stack([_logp_by_hand(a, obs[:, :, i], actions[:, :, i]) for i, a in enumerate(actors)], -1)
    ratio = torch.exp(new - old)  # each agent's final ratio: it is not touched after its turn
    assert not torch.allclose(ratio, torch.ones_like(ratio)), "the updates should move the policies"
    torch.testing.assert_close(used[2], torch.ones(L, C))
    torch.testing.assert_close(used[0], ratio[..., 2], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(used[1], ratio[..., 2] * ratio[..., 0], rtol=1e-5, atol=1e-6)
    assert stats["factor"][2] == pytest.approx(1.0)
    assert stats["factor"][1] == pytest.approx(float((ratio[..., 2] * ratio[..., 0]).mean()), rel=1e-5)


def test_gae_bootstraps_the_final_state_at_truncation():
    # Two steps; the episode is truncated after step 0 (final state worth 10), a new one starts.
    gamma, lam = 0.9, 0.5
    rewards = torch.tensor([1.0, 2.0])
    values = torch.tensor([3.0, 4.0])
    next_values = torch.tensor([10.0, 5.0])  # V(final state of episode 1), V(s_2)
    dones = torch.tensor([1.0, 0.0])
    adv, ret = happo.compute_gae(rewards, values, next_values, dones, torch.zeros(2), gamma, lam)
    d1 = 2.0 + gamma * 5.0 - 4.0
    d0 = 1.0 + gamma * 10.0 - 3.0  # bootstrapped, and not chained into the next episode
    torch.testing.assert_close(adv, torch.tensor([d0, d1]))
    torch.testing.assert_close(ret, adv + values)
    # A termination (not used by inventory envs) would not bootstrap.
    adv_t, _ = happo.compute_gae(rewards, values, next_values, dones, dones, gamma, lam)
    assert adv_t[0] == pytest.approx(1.0 - 3.0)


def _params(actors, critic):
    return [p.detach().clone() for m in [*actors, critic] for p in m.parameters()]


@pytest.mark.parametrize("policy,action_mode", [("mlp", "order"), ("gru", "order"), ("mlp", "level")])
def test_run_checkpoints_resumes_exactly_and_evaluates(tmp_path, policy, action_mode):
    kw = dict(
        policy=policy, chunk_length=5, checkpoint_interval=2, keep_checkpoints=5, action_mode=action_mode
    )
    full = happo.train(tiny_args(run_dir=str(tmp_path / "full"), **kw))
    assert full.iterations == 4 and full.global_step == 320
    assert [h["iteration"] for h in full.history] == [2, 4]
    assert (tmp_path / "full" / "checkpoints" / "iter_000002.pt").exists()
    assert (tmp_path / "full" / "last.pt").exists() and (tmp_path / "full" / "best.pt").exists()
    assert list((tmp_path / "full" / "tb").glob("events.out.tfevents.*"))

    resumed = happo.train(
        happo.Args(
            resume=str(tmp_path / "full" / "checkpoints" / "iter_000002.pt"),
            run_dir=str(tmp_path / "resumed"), total_timesteps=320, **QUIET,
        )
    )  # fmt: skip
    assert resumed.iterations == 4
    for a, b in zip(_params(full.actors, full.critic), _params(resumed.actors, resumed.critic), strict=True):
        assert torch.equal(a, b)

    def strip(h):
        return [{k: v for k, v in e.items() if k != "time"} for e in h]

    assert strip(resumed.history) == strip(full.history)
    assert resumed.best_cost == full.best_cost

    # The kept model, reloaded from disk, plays like the returned policy.
    env = happo.make_env(tiny_args())
    again = happo.load_policy(tmp_path / "full" / "best.pt")
    r1, r2 = evaluate(env, full.policy, 4, 7), evaluate(env, again, 4, 7)
    assert r1.cost_per_period == r2.cost_per_period
    assert np.isfinite(r1.cost_per_period)
    if action_mode == "level":
        # Levels 0..max_order * (lead time + 1) = 0..16 on TINY; the reloaded policy keeps the mode.
        assert all(a.nvec == (17,) for a in full.actors)
        assert again.action_mode == "level" and again.level_position == "installation"


def test_cpu_runs_repeat():
    a = happo.train(tiny_args(total_timesteps=160, save=False, tensorboard=False))
    b = happo.train(tiny_args(total_timesteps=160, save=False, tensorboard=False))
    for x, y in zip(_params(a.actors, a.critic), _params(b.actors, b.critic), strict=True):
        assert torch.equal(x, y)


@pytest.mark.parametrize("action_type", ["multidiscrete", "discrete"])
def test_multi_sourcing_network_runs(action_type):
    args = happo.Args(
        env="network_v0", preset="liu2022_2x3", env_kwargs={"max_cycles": 10, "action_type": action_type},
        num_envs=4, num_steps=10, total_timesteps=40, eval_interval=1, eval_episodes=2, device="cpu",
        save=False, tensorboard=False, actor_input="global", action_head="ordinal", **QUIET,
    )  # fmt: skip
    res = happo.train(args)
    expected = (5, 5) if action_type == "multidiscrete" else (25,)
    assert all(a.nvec == expected for a in res.actors)
    assert np.isfinite(res.best_cost)


@pytest.mark.parametrize(
    "env_name,preset,position",
    [("serial_v0", "snyder_shen_6_1", "installation"), ("serial_v0", "snyder_shen_6_1", "echelon"),
     ("network_v0", "liu2022_2x3", "installation")],
)  # fmt: skip
def test_level_actions_are_the_orders_of_orders_up_to(env_name, preset, position):
    from inventory_zoo.envs.vector import VectorEnv
    from inventory_zoo.policies import orders_up_to

    args = happo.Args(env=env_name, preset=preset, action_mode="level", level_position=position, max_level=30,
                      action_head="ordinal", actor_input="global", device="cpu")  # fmt: skip
    penv = happo.make_env(args)
    torch.manual_seed(0)
    agents, actors, _ = happo.build_networks(args, penv, torch.device("cpu"))
    for a in actors:  # spread the levels out, so that orders and clipping both occur
        torch.nn.init.normal_(a.head.weight, std=1.0)
    policy = happo.HAPPOPolicy(actors, happo.obs_scale(args, penv), actor_input="global",
                               action_mode="level", level_position=position, greedy=False)  # fmt: skip
    assert policy.needs_state
    # The same actors as an order-mode policy: their own outputs, i.e. the levels.
    raw = happo.HAPPOPolicy(actors, policy.obs_scale, actor_input="global", greedy=False)
    venv = VectorEnv(penv, 6, auto_reset=True)
    obs, _ = venv.reset(seed=5)
    nonzero = 0
    for _ in range(8):
        raw._gen.set_state(policy._gen.get_state())  # the same sampled levels
        levels = raw.act(obs, venv)
        levels = levels if levels.ndim == 2 else levels[:, :, 0]
        orders = policy.act(obs, venv)
        assert levels.shape == (6, len(agents)) and levels.max() <= 30
        expected = orders_up_to(levels, venv, position)
        assert orders.dtype == expected.dtype and np.array_equal(orders, expected)
        nonzero += int((orders > 0).sum())
        obs, *_ = venv.step(orders)
    assert nonzero > 0


def test_actor_stack_matches_the_actors_one_by_one():
    torch.manual_seed(1)
    for head, nvec in [("categorical", (7,)), ("ordinal", (5, 5))]:
        actors = [happo.Actor(6, nvec, (16, 8), layer_norm=True, head=head) for _ in range(3)]
        stack = happo.ActorStack(actors)
        x = torch.randn(3, 11, 6)
        with torch.no_grad():
            one_by_one = torch.stack([a.logits(x[None, i])[0][0] for i, a in enumerate(actors)])
        torch.testing.assert_close(stack.logits(x), one_by_one, rtol=1e-5, atol=1e-5)
        a, logp = stack.sample(x, None, greedy=True)
        assert a.shape == (3, 11, len(nvec)) and logp.shape == (3, 11)
        # A snapshot: it keeps the old weights until refreshed.
        with torch.no_grad():
            actors[1].head.bias.add_(1.0)
        torch.testing.assert_close(stack.logits(x)[1], one_by_one[1])
        stack.refresh()
        with torch.no_grad():
            torch.testing.assert_close(
                stack.logits(x)[1], actors[1].logits(x[None, 1])[0][0], rtol=1e-5, atol=1e-5
            )
    assert not happo.ActorStack.supports(
        [happo.Actor(6, (7,), (16,), True), happo.Actor(5, (7,), (16,), True)]
    )
    assert not happo.ActorStack.supports([happo.Actor(6, (7,), (16,), True, gru_layers=1)])


def test_flat_parameters_train_like_separate_ones():
    torch.manual_seed(2)
    a = happo.Actor(5, (4,), (8, 8), layer_norm=True)
    b = happo.Actor(5, (4,), (8, 8), layer_norm=True)
    b.load_state_dict(a.state_dict())
    flat = happo.flatten_parameters(b)
    assert flat.numel() == sum(p.numel() for p in a.parameters())
    opt_a = torch.optim.Adam(a.parameters(), lr=0.01)
    opt_b = torch.optim.Adam([flat], lr=0.01)
    x = torch.randn(1, 16, 5)
    for _ in range(3):
        for m, o in ((a, opt_a), (b, opt_b)):
            o.zero_grad(set_to_none=False)
            m.logits(x)[0].pow(2).sum().backward()
            torch.nn.utils.clip_grad_norm_(happo.opt_params(o), 0.5)
            o.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    # Loading a state dict writes into the flat tensor (the views stay views).
    b.load_state_dict(happo.Actor(5, (4,), (8, 8), layer_norm=True).state_dict())
    assert torch.equal(torch.cat([p.detach().reshape(-1) for p in b.parameters()]), flat.detach())


def test_bad_settings_name_the_argument():
    with pytest.raises(ValueError, match="policy"):
        happo.Args(policy="lstm")
    with pytest.raises(ValueError, match="chunk_length"):
        happo.Args(policy="gru", num_steps=12, chunk_length=5)
    with pytest.raises(ValueError, match="device"):
        happo.train(tiny_args(device="tpu"))
    with pytest.raises(ValueError, match="action_mode"):
        happo.Args(action_mode="quantity")
    with pytest.raises(ValueError, match="level_position"):
        happo.Args(level_position="local")
    with pytest.raises(ValueError, match="level_position"):
        happo.train(happo.Args(env="network_v0", preset="liu2022_2x3", action_mode="level",
                               level_position="echelon", device="cpu", save=False, tensorboard=False, **QUIET))  # fmt: skip


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_run():
    res = happo.train(tiny_args(device="cuda", total_timesteps=160, save=False, tensorboard=False))
    assert next(res.actors[0].parameters()).is_cuda


def test_learns_a_tiny_instance_far_better_than_random():
    args = tiny_args(
        num_envs=32, num_steps=20, total_timesteps=32 * 20 * 25, eval_interval=5, eval_episodes=8, seed=0,
        save=False, tensorboard=False,
    )  # fmt: skip
    res = happo.train(args)
    env = happo.make_env(args)
    random_cost = evaluate(env, RandomPolicy(0), 16, 100).cost_per_period
    happo_cost = evaluate(env, res.policy, 16, 100).cost_per_period
    assert happo_cost < 0.4 * random_cost, (happo_cost, random_cost)


def _presets():
    from inventory_zoo.envs.registry import env_names
    from inventory_zoo.presets import PRESETS

    # distribution_1021 (1,021 actors) has its own test in test_learners_at_scale.py.
    return [
        pytest.param(env, p, id=f"{env}-{p}")
        for env in env_names()
        for p in PRESETS.get(env, {})
        if p != "distribution_1021"
    ]


def test_an_env_alone_uses_its_default_preset():
    from inventory_zoo.envs.registry import env_entry, env_names

    for name in env_names():
        args = happo.Args(env=name)
        assert args.preset == "default" and args.env_preset == env_entry(name).default_preset
        assert (
            happo.make_env(args).unwrapped.spec
            == happo.make_env(happo.Args(env=name, preset=env_entry(name).default_preset)).unwrapped.spec
        )
    assert happo.Args(preset="none").env_preset is None
    with pytest.raises(ValueError, match="Args.env='serial_v9'"):
        happo.Args(env="serial_v9")


@pytest.mark.parametrize("env,preset", _presets())
def test_every_preset_trains_and_evaluates(env, preset):
    args = happo.Args(
        env=env, preset=preset, num_envs=4, num_steps=10, total_timesteps=40, eval_interval=1, eval_episodes=2,
        device="cpu", save=False, tensorboard=False, **QUIET,
    )  # fmt: skip
    res = happo.train(args)
    assert res.global_step == 40 and np.isfinite(res.best_cost)


def _example():

    spec = importlib.util.spec_from_file_location("train_happo", ROOT / "examples" / "train_happo.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_example_script_trains_saves_and_reloads(tmp_path, capsys):
    flags = [
        "--env", "serial_v0", "--preset", "none", "--timesteps", "80", "--device", "cpu", "--seed", "0",
        "--env-kwargs", '{"num_stages": 2, "max_cycles": 10, "max_order": 6}',
        "--num-envs", "4", "--num-steps", "10", "--eval-episodes", "2", "--test-episodes", "4",
        "--no-progress", "--run-dir", str(tmp_path / "run"),
    ]  # fmt: skip
    result = _example().main(flags)
    out = capsys.readouterr().out
    assert "best evaluation cost" in out and "base-stock" in out and "the saved model, reloaded" in out
    assert result.global_step == 80 and (tmp_path / "run" / "best.pt").exists()


def test_resume_mid_episode_with_long_lead_times_is_exact(tmp_path):
    # The checkpoint pickles the vector env mid-episode (20 steps into 15-period episodes), with
    # units in transit for up to 3 periods: the resumed run must replay the same episodes.
    env_kwargs = dict(TINY, lead_times=(2, 3), max_cycles=15, initial_pipeline=2)
    kw = dict(env_kwargs=env_kwargs, checkpoint_interval=2, keep_checkpoints=5)
    full = happo.train(tiny_args(run_dir=str(tmp_path / "full"), **kw))
    resumed = happo.train(
        happo.Args(
            resume=str(tmp_path / "full" / "checkpoints" / "iter_000002.pt"),
            run_dir=str(tmp_path / "resumed"), total_timesteps=320, **QUIET,
        )
    )  # fmt: skip
    for a, b in zip(_params(full.actors, full.critic), _params(resumed.actors, resumed.critic), strict=True):
        assert torch.equal(a, b)
    assert resumed.best_cost == full.best_cost
