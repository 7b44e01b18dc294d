"""Learners on the 1,021-node distribution tree: they build, collect, update and evaluate
without running out of memory (smoke tests: two iterations, tiny networks; the rates are in
docs/performance.md)."""

from __future__ import annotations

from inventory_zoo import network_v0
from inventory_zoo.agents.happo import Args, train


def test_happo_trains_on_the_1021_node_tree(tmp_path):
    # One actor per agent: 1,021 actors. max_order is lowered so that each actor's head stays
    # small (the preset's 10,000 would give 1,021 heads of 10,001 logits).
    args = Args(
        env="network_v0", preset="distribution_1021", env_kwargs={"max_order": 30}, num_envs=2, num_steps=2,
        total_timesteps=8, hidden_sizes=(8,), update_epochs=1, num_minibatches=1, eval_interval=1,
        eval_episodes=1, train_max_cycles=10, tensorboard=False, save=False, progress=False, final_table=False,
        device="cpu", run_dir=str(tmp_path / "run"),
    )  # fmt: skip
    res = train(args)
    assert res.global_step == 8 and len(res.actors) == 1021
    env = network_v0.parallel_env(preset="distribution_1021", max_order=30, max_cycles=3)
    obs, _ = env.reset(seed=0)
    actions = res.policy(obs, env)  # the trained policy plays the ParallelEnv's dicts
    assert set(actions) == set(env.agents) and all(0 <= actions[a] <= 30 for a in env.agents)
    env.step(actions)


def test_shared_ppo_trains_on_the_1021_node_tree_on_the_vector_path(tmp_path):
    from inventory_zoo.agents.ppo import Args as PPOArgs
    from inventory_zoo.agents.ppo import load_policy
    from inventory_zoo.agents.ppo import train as train_ppo

    # One policy for all agents: each of the 2 x 1,021 agent copies is a row of the batch.
    args = PPOArgs(
        env="network_v0", preset="distribution_1021", vector=True, agent_id=False, n_envs=2, n_steps=4,
        batch_size=2042, n_epochs=1, timesteps=2 * 8168, curve_points=1, curve_episodes=1, eval_episodes=1,
        search_episodes=1, progress=False, device="cpu", max_cycles=20, eval_max_cycles=20, net_arch="16",
    )  # fmt: skip
    out = train_ppo(args, tmp_path / "run")
    assert out["timesteps"] >= 2 * 8168
    policy = load_policy(tmp_path / "run")
    env = network_v0.parallel_env(preset="distribution_1021", max_cycles=3)
    obs, _ = env.reset(seed=0)
    actions = policy(obs, env)
    assert set(actions) == set(env.agents) and all(0 <= actions[a] <= env.max_order for a in env.agents)
