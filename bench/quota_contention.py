"""Creates per second under contention with quota checks on (issue 5).

A fresh ``azur serve`` without workers (jobs stay queued, so only accepting is measured): one Pro user,
C concurrent clients each sending creates back to back until N are accepted, then a Plus user whose
burst of 60 must give exactly 50 accepted. Run on SQLite, and on PostgreSQL when AZUR_TEST_POSTGRES_URL
points at a server (``eval "$(scripts/test-services.sh)"``).

    python bench/quota_contention.py [--clients 30] [--creates 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.accounts.conftest import postgres_database_url  # noqa: E402
from tests.conftest import AzurServer  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)


def run(label: str, env: dict[str, str], clients: int, creates: int) -> None:
    with tempfile.TemporaryDirectory() as home:
        server = AzurServer(Path(home), workers=0, env=env).start()
        try:
            key = server.add_user("bench-pro", plan="pro")
            per_client = creates // clients
            latencies: list[float] = []

            def client_loop(_: int) -> int:
                client = server.client(key)
                accepted = 0
                for i in range(per_client):
                    start = time.perf_counter()
                    client.videos.create(prompt=f"a red ball moving right {i}", seconds="2", size="854x480")
                    latencies.append(time.perf_counter() - start)
                    accepted += 1
                return accepted

            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                total = sum(pool.map(client_loop, range(clients)))
            elapsed = time.perf_counter() - start

            plus_key = server.add_user("bench-plus", plan="plus")

            def one(i: int) -> bool:
                try:
                    server.client(plus_key).videos.create(prompt=f"a blue star {i}", seconds="2", size="854x480")
                    return True
                except openai.RateLimitError:
                    return False

            with ThreadPoolExecutor(60) as pool:
                burst = sum(pool.map(one, range(60)))
        finally:
            server.stop()
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(f"{label:<10} {clients:>7} {total:>8} {total / elapsed:>10.1f} {1000 * statistics.median(latencies):>9.1f} "
          f"{1000 * p99:>9.1f} {burst:>13}/60")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--creates", type=int, default=300)
    args = parser.parse_args()
    print(f"{'database':<10} {'clients':>7} {'accepted':>8} {'creates/s':>10} {'p50 (ms)':>9} {'p99 (ms)':>9} "
          f"{'Plus burst ok':>16}")
    run("sqlite", {}, args.clients, args.creates)
    url = postgres_database_url()
    if url:
        run("postgres", {"AZUR_DATABASE_URL": url}, args.clients, args.creates)
    else:
        print("postgres   (skipped: no AZUR_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    main()
