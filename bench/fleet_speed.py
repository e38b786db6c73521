"""Fleet throughput: how much faster two ``azur worker`` processes finish a batch of embedded-model jobs than
one (issue 16's target: >= 1.6x). Each run: a fresh ``azur serve --workers 0`` (its own AZUR_HOME), N jobs
queued through the official client, then K workers started beside it. The batch time is the database's own
first ``started_at`` to last ``completed_at``, so worker start-up (imports, loading the model) is left out;
the wall time with start-up is printed too. Speed-up needs free cores: on a 2-core machine one worker's
encoder already uses part of the second core, and anything else running shares them.

    python bench/fleet_speed.py [--jobs 12] [--seconds 2] [--size 854x480] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.conftest import AZUR, AzurServer  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)


def batch(jobs: int, workers: int, args: argparse.Namespace) -> tuple[float, float]:
    """(batch seconds from the first start to the last completion, wall seconds including start-up)."""
    with tempfile.TemporaryDirectory(prefix="azur-fleet-bench-") as tmp:
        home = Path(tmp) / "home"
        server = AzurServer(home, workers=0).start()
        procs: list[subprocess.Popen] = []
        try:
            client = server.client(server.add_user("bench"))
            ids = [client.videos.create(prompt="a red ball moving right on a blue background",
                                        seconds=str(args.seconds), size=args.size, extra_body={"seed": i}).id
                   for i in range(jobs)]
            wall = time.perf_counter()
            for i in range(workers):
                procs.append(subprocess.Popen([AZUR, "worker"], env=server.env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL, start_new_session=True))
            for video_id in ids:
                while (video := client.videos.retrieve(video_id)).status in ("queued", "in_progress"):
                    time.sleep(0.2)
                assert video.status == "completed", video.error
            wall = time.perf_counter() - wall
            with sqlite3.connect(home / "azur.db") as db:
                first, last = db.execute("SELECT min(started_at), max(completed_at) FROM videos").fetchone()
            return last - first, wall
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                proc.wait(30)
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--size", default="854x480")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"{args.jobs} jobs of {args.seconds} s at {args.size}, embedded model; {os.cpu_count()} CPU cores; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    results = {}
    for count in args.workers:
        seconds, wall = batch(args.jobs, count, args)
        results[count] = seconds
        print(f"{count} worker(s): batch {seconds:6.1f} s ({args.jobs / seconds:.2f} videos/s), "
              f"wall with start-up {wall:6.1f} s")
    if 1 in results:
        for count, seconds in results.items():
            if count != 1:
                print(f"speed-up with {count} workers: {results[1] / seconds:.2f}x (target for 2: >= 1.6x)")


if __name__ == "__main__":
    main()
