"""Distributed data-parallel training under ``torchrun``, tracked as one run.

A small MLP on scikit-learn's bundled digits (no download), trained with
``torch.nn.parallel.DistributedDataParallel`` over the ``gloo`` backend (CPU).
Every rank wraps its training in the same :class:`wattprint.Tracker`; the
ranks share the run id torchrun gives them (``TORCHELASTIC_RUN_ID``), local
rank 0 of each host measures that host, and the ledger sums the hosts. Global
rank 0 logs the test accuracy. One host, two ranks::

    torchrun --standalone --nproc-per-node 2 examples/ddp_digits.py

Two (simulated) hosts on this machine, each its own torchrun agent meeting at
a rendezvous on loopback::

    WATTPRINT_HOST=node-a torchrun --nnodes 2 --nproc-per-node 2 --rdzv-id job-1 \\
        --rdzv-backend c10d --rdzv-endpoint 127.0.0.1:29512 examples/ddp_digits.py &
    WATTPRINT_HOST=node-b torchrun --nnodes 2 --nproc-per-node 2 --rdzv-id job-1 \\
        --rdzv-backend c10d --rdzv-endpoint 127.0.0.1:29512 examples/ddp_digits.py
"""

from __future__ import annotations

import json
import os
import sys


def main(epochs: int = 8) -> None:
    """Train for ``epochs`` on this rank's shard; rank 0 prints the run as JSON."""
    import torch
    import torch.distributed as dist
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from torch.nn.parallel import DistributedDataParallel

    import wattprint

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, random_state=0)
    shard = slice(rank, None, world)
    xs = torch.tensor(x_train[shard], dtype=torch.float32)
    ys = torch.tensor(y_train[shard])
    model = DistributedDataParallel(torch.nn.Sequential(
        torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)))
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    with wattprint.Tracker(project="ddp-demo", model="mlp-256") as tracker:
        with tracker.phase("train"):
            for _ in range(epochs):
                for batch in torch.split(torch.arange(len(xs)), 32):
                    optimiser.zero_grad()
                    loss = torch.nn.functional.cross_entropy(model(xs[batch]), ys[batch])
                    loss.backward()
                    optimiser.step()
        if rank == 0:
            with torch.no_grad():
                predicted = model(torch.tensor(x_test, dtype=torch.float32)).argmax(1)
            accuracy = float((predicted == torch.tensor(y_test)).float().mean())
            tracker.log_metric("accuracy", accuracy)
    dist.barrier()  # every host has recorded its part
    dist.destroy_process_group()
    line = json.dumps({"rank": rank, "local_rank": int(os.environ.get("LOCAL_RANK", "0")),
                       "run_id": tracker.id, "host": tracker.host, "measures": tracker.measures})
    sys.stdout.flush()
    os.write(sys.stdout.fileno(), (line + "\n").encode())  # one write(2): ranks share stdout


if __name__ == "__main__":
    main()
