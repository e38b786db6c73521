"""`azur eval` renders through the real backend at real sizes and judges the delivered frames."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from azur.embedded.eval import evaluate

AZUR = str(Path(sys.executable).parent / "azur")


def test_azur_eval_runs_end_to_end_and_reports_every_size(tmp_path):
    out = tmp_path / "eval.json"
    run = subprocess.run([AZUR, "eval", "--prompts", "2", "--long", "0", "--save", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    for size in ("854x480", "480x854", "480x480"):
        assert f"{size}: 2 fresh prompts, judged on the delivered frames" in run.stdout
    assert run.stdout.count("whole (frames)") == 3 and "≥ 95%" in run.stdout
    result = json.loads(out.read_text())
    # The fields older readers of weights/eval.json know are still there ...
    for key in ("n_prompts", "accuracy", "all_four", "text_accuracy", "long_clips", "long_clip_color",
                "long_clip_shape", "seconds_per_clip", "failures"):
        assert key in result
    assert set(result["accuracy"]) == {"object_color", "background_color", "shape", "motion"}
    # ... with what was judged on the delivered frames, per size and language.
    assert result["judge"] == "delivered frames" and result["targets"] == {"attribute": 0.95, "whole": 0.95}
    assert set(result["sizes"]) == {"854x480", "480x854", "480x480"}
    for block in result["sizes"].values():
        assert set(block["whole"]) == {"all", "en", "fr"} and 0.0 <= block["whole"]["all"] <= 1.0
    assert isinstance(result["meets_targets"], bool)


def test_long_clips_are_judged_whole_and_at_both_ends():
    result = evaluate(n_prompts=0, sizes=[(480, 854)], long_clips=1, long_seconds=6.0)
    block = result["sizes"]["480x854"]
    assert block["long_clips"] == 1 and result["long_seconds"] == 6.0
    assert set(block["long"]["accuracy"]) == {"object_color", "background_color", "shape", "motion"}
    assert 0.0 <= block["long"]["whole"] <= 1.0 and block["long_clip_color"] in (0.0, 1.0)
