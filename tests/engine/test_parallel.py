"""The multi-GPU worker group as far as a CPU allows: --gpus parsing and refusals, the torchrun-style launch
of a group of processes (here a gloo group), the hand-over of requests from rank 0, and a failed rank
stopping the group. Context-parallel attention itself (NCCL, diffusers' Ulysses/ring) needs GPUs: not run."""

from __future__ import annotations

import json
import sys
import time

import pytest

from azur.cli.main import run
from azur.engine import parallel

RANK_SCRIPT = """
import json, sys
from azur.engine import parallel
from azur.engine.request import make_request
parallel.init_group()
shared = []
for prompt in ("a red ball bounces", "un chat traverse le jardin"):
    asked = make_request(prompt, seed=5, seconds=2, size="480x480", loras="sketch:0.5", quality="draft")
    shared.append(parallel.share_request(asked if parallel.rank() == 0 else None))
end = parallel.share_request(parallel.STOP if parallel.rank() == 0 else None)
parallel.leave_group()
with open(sys.argv[1] + f"/rank{parallel.rank()}.json", "w") as f:
    json.dump({"world": parallel.world_size(), "requests": [[r.prompt, r.seed, r.loras, r.quality] for r in shared],
               "end": end}, f)
"""


def test_gpus_are_parsed_and_refused_in_one_line(monkeypatch, capsys, azur_home):
    assert parallel.parse_gpus("0, 1,3") == [0, 1, 3] and parallel.parse_gpus(None) == []
    for bad, words in (("0,0", "listed twice"), ("a,1", "expected GPU indexes"), ("-1", "expected GPU indexes")):
        with pytest.raises(parallel.InvalidGpus, match=words):
            parallel.parse_gpus(bad)
    monkeypatch.setattr(sys, "argv", ["azur", "worker", "--gpus", "0,1"])
    with pytest.raises(SystemExit) as exit_info:
        run()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "azur: --gpus 0,1 needs CUDA GPUs; this machine has none.\n"


def test_a_group_of_two_shares_each_request_from_rank_zero(tmp_path):
    code = parallel.launch([sys.executable, "-c", RANK_SCRIPT, str(tmp_path)], 2)
    assert code == 0
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0] == ranks[1]
    assert ranks[1]["world"] == 2 and ranks[1]["end"] == parallel.STOP
    assert ranks[1]["requests"] == [["a red ball bounces", 5, [["sketch", 0.5]], "draft"],
                                    ["un chat traverse le jardin", 5, [["sketch", 0.5]], "draft"]]


def test_a_failed_rank_stops_the_group():
    script = "import os, sys, time\nif os.environ['RANK'] == '1': sys.exit(3)\ntime.sleep(120)"
    started = time.monotonic()
    assert parallel.launch([sys.executable, "-c", script], 2) == 3
    assert time.monotonic() - started < 60  # rank 0 was stopped, not waited for


def test_a_rank_stuck_in_the_group_is_killed_after_the_grace_period():
    # Rank 0 stands for a rank blocked in a collective whose peer died: it does not act on SIGTERM.
    script = ("import os, signal, sys, time\nif os.environ['RANK'] == '1': time.sleep(0.5); sys.exit(4)\n"
              "signal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(120)")
    started = time.monotonic()
    assert parallel.launch([sys.executable, "-c", script], 2, grace_s=2) == 4
    assert time.monotonic() - started < 30


def test_each_rank_runs_the_same_worker_without_gpus():
    command = parallel.worker_command(["worker", "--model", "wan", "--gpus", "0,1"])
    assert command[1:] == ["-m", "azur.cli", "worker", "--model", "wan"]
    envs = parallel.group_environments([2, 3], 29500)
    assert [e["RANK"] for e in envs] == ["0", "1"] and {e["CUDA_VISIBLE_DEVICES"] for e in envs} == {"2,3"}
