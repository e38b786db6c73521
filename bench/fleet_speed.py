"""Fleet throughput: how much faster two ``azur worker`` processes finish a batch of embedded-model jobs than
one (issue 16's target: >= 1.6x). Each run: a fresh ``azur serve --workers 0`` (its own AZUR_HOME), N jobs
queued through the official client, then K workers started beside it. The batch time is the database's own
first ``started_at`` to last ``completed_at``, so worker start-up (imports, loading the model) is left out;
the wall time with start-up is printed too. Speed-up needs free cores: on a 2-core machine one worker already
uses both (NumPy's and the encoder's threads), so a second worker on the same cores only competes for them.
``--pin N`` gives each worker its own N cores (CPU affinity and thread counts), as if each ran on a machine of
N cores, which is what a fleet is: the figure then says how the queue scales, not how the cores are shared.

    python bench/fleet_speed.py [--jobs 12] [--seconds 2] [--size 854x480] [--workers 1 2] [--pin N]
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


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")  # NumPy's BLAS pools


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
                env, pin = dict(server.env), None
                if args.pin:
                    cores = set(range(i * args.pin, (i + 1) * args.pin))
                    env.update({name: str(args.pin) for name in THREAD_VARIABLES})

                    def pin(cores=cores) -> None:  # in the child, before azur starts
                        os.sched_setaffinity(0, cores)
                procs.append(subprocess.Popen([AZUR, "worker"], env=env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=pin))
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
    parser.add_argument("--pin", type=int, default=0, metavar="N",
                        help="give each worker its own N cores (as if each were a machine of N cores)")
    args = parser.parse_args()
    if args.pin and max(args.workers) * args.pin > (os.cpu_count() or 1):
        parser.error(f"--pin {args.pin} x {max(args.workers)} workers needs more than this machine's "
                     f"{os.cpu_count()} cores")
    where = f"each worker on its own {args.pin} core(s)" if args.pin else "workers share all cores"
    print(f"{args.jobs} jobs of {args.seconds} s at {args.size}, embedded model; {os.cpu_count()} CPU cores, "
          f"{where}; load average before: {os.getloadavg()[0]:.1f}")
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
