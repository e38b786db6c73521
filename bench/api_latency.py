"""API latency under polling load, and the server's overhead over the bare engine (issue 3).

1. The bare engine: ``make_video`` of one request in this process (model loaded first, not timed).
2. A fresh ``azur serve`` (one worker, its own AZUR_HOME): one warm-up job (loads the model in the worker),
   then the same request as a job while N clients poll ``GET /v1/videos/{id}`` every INTERVAL ms.
   Latency p50/p99 of those polls (target p99 < 50 ms), and the job's time in the server (created →
   completed, from the database's own timestamps) against the bare run (target overhead < 5%).

    python bench/api_latency.py [--clients 100] [--interval-ms 1000] [--seconds 8] [--size 854x480]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.conftest import AzurServer  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)


def bare_engine_seconds(args: argparse.Namespace, home: Path) -> float:
    from azur.config import Settings
    from azur.engine.backend import get_backend
    from azur.engine.request import make_request
    from azur.pipeline import make_video

    settings = Settings(home=home)
    request = make_request(args.prompt, seconds=args.seconds, size=args.size, seed=1, model=settings.default_model,
                           fps=settings.fps)
    get_backend(request.model)
    with tempfile.TemporaryDirectory() as tmp:
        make_video(request, Path(tmp) / "warm.mp4", video_id="video_" + "0" * 32, settings=settings)  # warm-up
        times = []
        for i in range(args.runs):
            start = time.perf_counter()
            make_video(request, Path(tmp) / f"{i}.mp4", video_id="video_" + "0" * 32, settings=settings)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


async def poll(client: httpx.AsyncClient, url: str, interval: float, stop: asyncio.Event, out: list[float]) -> None:
    await asyncio.sleep(interval * (hash(asyncio.current_task()) % 100) / 100)  # spread the clients out
    while not stop.is_set():
        start = time.perf_counter()
        response = await client.get(url)
        out.append(time.perf_counter() - start)
        if response.status_code != 200 or response.json()["status"] in ("completed", "failed"):
            stop.set()
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - start)))


async def load(server: AzurServer, key: str, video_id: str, clients: int, interval: float) -> list[float]:
    latencies: list[float] = []
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, limits=limits, timeout=30) as client:
        url = f"{server.url}/v1/videos/{video_id}"
        await asyncio.gather(*(poll(client, url, interval, stop, latencies) for _ in range(clients)))
    return latencies


def job_times(home: Path, video_id: str) -> tuple[float, float]:
    with sqlite3.connect(home / "azur.db") as db:
        created, started, completed = db.execute(
            "SELECT created_at, started_at, completed_at FROM videos WHERE id = ?", (video_id,)).fetchone()
    return completed - created, completed - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--interval-ms", type=float, default=1000.0,
                        help="each client's polling period (default: the openai-poll-after-ms the server sends)")
    parser.add_argument("--seconds", default="8")
    parser.add_argument("--size", default="854x480")
    parser.add_argument("--prompt", default="a red circle moving right on a blue background")
    parser.add_argument("--runs", type=int, default=2, help="bare engine runs (median)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="azur-bench-") as tmp:
        home = Path(tmp)
        bare = bare_engine_seconds(args, home / "bare")
        server = AzurServer(home / "server", env={"AZUR_SERVER__POLL_AFTER_MS": "1000"}).start()
        try:
            key = server.add_user("bench")
            client = server.client(key)
            options = {"prompt": args.prompt, "seconds": args.seconds, "size": args.size, "extra_body": {"seed": 1}}
            client.videos.poll(client.videos.create(**options).id, poll_interval_ms=100)  # loads the model

            quiet = client.videos.create(**options)
            client.videos.poll(quiet.id, poll_interval_ms=1000)
            quiet_total, quiet_run = job_times(server.home, quiet.id)

            loaded = client.videos.create(**options)
            latencies = asyncio.run(load(server, key, loaded.id, args.clients, args.interval_ms / 1000))
            loaded_total, loaded_run = job_times(server.home, loaded.id)
        finally:
            server.stop()

    ms = sorted(x * 1000 for x in latencies)
    p50, p99 = ms[len(ms) // 2], ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"machine: {os.cpu_count()} CPU cores; job: {args.seconds} s at {args.size}")
    print(f"bare engine (make_video in-process, median of {args.runs}): {bare:.3f} s")
    print(f"server job, polite polling (one client, 1 s): total {quiet_total:.3f} s (run {quiet_run:.3f} s) "
          f"-> overhead {100 * (quiet_total / bare - 1):+.1f}% (target < 5%)")
    print(f"server job under load: total {loaded_total:.3f} s (run {loaded_run:.3f} s) "
          f"-> overhead {100 * (loaded_total / bare - 1):+.1f}%")
    print(f"retrieve under load: {args.clients} clients every {args.interval_ms:.0f} ms, {len(ms)} requests, "
          f"{len(ms) / max(loaded_total, 1e-9):.0f} req/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms "
          f"(target p99 < 50 ms)")


if __name__ == "__main__":
    main()
