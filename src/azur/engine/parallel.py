"""Several GPUs for one video: a worker group running diffusers' context parallelism (Ulysses / ring).

``azur worker --gpus 0,1`` starts one process per GPU, like ``torchrun`` does (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, ``MASTER_ADDR``/``MASTER_PORT`` in each one's environment), and the processes form one
``torch.distributed`` group. Rank 0 is the worker the queue sees: it claims jobs, encodes and stores. Before
each clip it hands the request to the other ranks (:func:`share_request`, a broadcast), and every rank runs
the same pipeline call: the transformer's attention is split over the GPUs by diffusers
(``transformer.enable_parallelism(ContextParallelConfig(ulysses_degree=N))``, or ``ring_degree`` with
``AZUR_CONTEXT_PARALLEL=ring``), so each GPU holds 1/N of the sequence. The followers' frames are dropped.

One GPU per job stays the default; a group runs one job at a time over all its GPUs. What needs GPUs and was
not run here: NCCL, the context-parallel attention itself and its speed-up. On a CPU the same code forms a
``gloo`` group, which the tests use to check the launch and the hand-over of requests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

STOP = "stop"  # what rank 0 broadcasts when it stops


class InvalidGpus(ValueError):
    """``--gpus`` as given cannot be used; the message says why."""


def parse_gpus(text: str | None) -> list[int]:
    """``"0,1"`` → ``[0, 1]``: distinct GPU indexes. Raises :class:`InvalidGpus`."""
    if text is None or not text.strip():
        return []
    gpus = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or len(part) > 3:
            raise InvalidGpus(f"Invalid --gpus '{text}': expected GPU indexes separated by commas, e.g. 0,1.")
        gpus.append(int(part))
    if len(set(gpus)) != len(gpus):
        raise InvalidGpus(f"Invalid --gpus '{text}': a GPU is listed twice.")
    return gpus


def check_gpus(gpus: Sequence[int]) -> None:
    """The GPUs exist on this machine; raises :class:`InvalidGpus`."""
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        raise InvalidGpus(f"--gpus {','.join(map(str, gpus))} needs CUDA GPUs; this machine has none.")
    missing = [g for g in gpus if g >= count]
    if missing:
        raise InvalidGpus(f"GPU {missing[0]} does not exist: this machine has {count} (0 to {count - 1}).")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def group_environments(gpus: Sequence[int], port: int) -> list[dict[str, str]]:
    """Each rank's environment: torchrun's variables; every rank sees all the group's GPUs and uses the one
    at its LOCAL_RANK."""
    visible = ",".join(str(g) for g in gpus)
    return [
        {"RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(len(gpus)), "MASTER_ADDR": "127.0.0.1",
         "MASTER_PORT": str(port), "CUDA_VISIBLE_DEVICES": visible}
        for rank in range(len(gpus))
    ]


STOP_GRACE_S = 20.0  # how long a stopped rank may take to hand its job back before it is killed


def launch(command: Sequence[str], world_size: int, *, gpus: Sequence[int] | None = None,
           env: dict[str, str] | None = None, grace_s: float = STOP_GRACE_S) -> int:
    """Run ``command`` as ``world_size`` ranks of one group and wait; when one rank ends with an error, the
    others are stopped (a group cannot go on without a rank). Returns the first non-zero exit status, else 0.

    A rank blocked in a collective operation waits inside gloo/NCCL, where Python's SIGTERM handler does not
    run until the operation times out (30 minutes by default): so a stopped rank still alive after ``grace_s``
    is killed. Its claimed job is not lost: its lease runs out and another worker takes it."""
    port = free_port()
    environments = group_environments(list(gpus) if gpus else list(range(world_size)), port)
    processes = []
    for extra in environments:
        if not gpus:
            extra.pop("CUDA_VISIBLE_DEVICES")
        processes.append(subprocess.Popen(list(command), env={**os.environ, **(env or {}), **extra}))
    status = 0
    kill_at: float | None = None
    try:
        while processes:
            for process in list(processes):
                code = process.poll()
                if code is None:
                    continue
                processes.remove(process)
                if code != 0 and status == 0:
                    status = code
                    for other in processes:
                        other.send_signal(signal.SIGTERM)
                    kill_at = time.monotonic() + grace_s
            if kill_at is not None and time.monotonic() >= kill_at:
                for other in processes:
                    other.kill()
                kill_at = None
            time.sleep(0.1)
    except KeyboardInterrupt:
        for process in processes:
            process.send_signal(signal.SIGINT)  # each rank gives its running job back, as a single worker does
        for process in processes:
            process.wait()
        raise
    return status


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def in_group() -> bool:
    return world_size() > 1


def init_group() -> str:
    """Join the group the launcher started (NCCL on GPUs, gloo on a CPU); returns this rank's device."""
    import torch
    import torch.distributed as dist

    if torch.cuda.is_available():
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        device, backend = "cpu", "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return device


def share_request(request: Any) -> Any:
    """Rank 0 sends ``request`` (any picklable object, :data:`STOP` to end) to every rank; each rank gets
    it back. A broadcast through the group, so every rank reaches the same pipeline call together."""
    import torch.distributed as dist

    box = [request if rank() == 0 else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def leave_group() -> None:
    """Leave the group cleanly: wait for every rank, then tear the group down. A process that exits with its
    gloo/NCCL group still alive can abort in the group's destructor ("terminate called without an active
    exception", exit -6) when the other ranks have already gone."""
    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def enable_context_parallel(transformer: Any) -> str:
    """Split the transformer's attention over the group (diffusers' context parallelism); returns a note."""
    from diffusers import ContextParallelConfig

    size = world_size()
    kind = os.environ.get("AZUR_CONTEXT_PARALLEL", "ulysses")
    config = ContextParallelConfig(ring_degree=size) if kind == "ring" else ContextParallelConfig(ulysses_degree=size)
    transformer.enable_parallelism(config=config)
    return f"context parallel ({kind}) over {size} GPUs"


def follow() -> None:
    """The loop of ranks above 0: take each request rank 0 shares and run it, until it says stop."""
    from azur.engine.backend import get_backend

    while True:
        request = share_request(None)
        if request == STOP:
            leave_group()
            return
        clip = get_backend(request.model).generate(request)
        for _ in clip.frames:  # rank 0 keeps the frames; this rank only takes its part in the computation
            pass


def worker_command(argv: Sequence[str]) -> list[str]:
    """The command each rank runs: this same ``azur worker`` without ``--gpus``."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--gpus":
            skip = True
            continue
        if arg.startswith("--gpus="):
            continue
        out.append(arg)
    return [sys.executable, "-m", "azur.cli", *out]
