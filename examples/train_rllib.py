"""Train PPO with RLlib on an inventory_zoo env, on this machine or on a Ray cluster.

    pip install "inventory-zoo[rllib,train]"
    python examples/train_rllib.py --env serial_v0 --preset liu2022 --max-minutes 20
    python examples/train_rllib.py --env network_v0 --sharing per-agent --num-env-runners 2
    python examples/train_rllib.py --address auto --num-env-runners 32 --num-gpus-per-learner 1
    python examples/train_rllib.py --help          # every setting, with its default

The run directory (``--out``, default ``runs/rllib-ENV-PRESET-SHARING-sSEED``) gets RLlib's
final checkpoint, TensorBoard logs (``tensorboard --logdir runs``), the validation curve and the
final table: the trained policy next to the searched base-stock and the other baselines on the
same fresh episodes. Score the checkpoint again later with the library's own evaluation:

    from inventory_zoo import evaluate, serial_v0
    from inventory_zoo.integrations.rllib import policy_from_checkpoint

    policy = policy_from_checkpoint("runs/rllib-serial_v0-liu2022-shared-s0")  # your own runs only
    print(evaluate(serial_v0.parallel_env(**policy.meta["env_kwargs"]), policy, episodes=20).table())

Below is all the script does: every flag is a field of ``rllib_train.Config``.
"""

import sys

from inventory_zoo.integrations.rllib_train import main

if __name__ == "__main__":
    sys.exit(main())
