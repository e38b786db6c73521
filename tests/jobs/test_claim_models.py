"""A worker started for some models (``azur worker --model NAME``) only takes jobs of those models."""

from __future__ import annotations

import time

from azur.accounts.users import create_user
from azur.api.video_inputs import Options, new_video
from azur.db.session import open_database
from azur.engine.request import make_request
from azur.jobs.queue import claim_next


def test_claim_filters_by_model(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'azur.db'}")
    with db.session() as session:
        user = create_user(session, "gpu-owner", plan="pro")
        ids = {}
        for model in ("azur-tiny", "wan-1.3b", "azur-tiny"):
            video = new_video(user.id, Options(make_request("a red ball", seconds=1, size="480x480", seed=1, model=model)))
            video.running_limit = 10
            session.add(video)
            session.flush()
            ids.setdefault(model, []).append(video.id)
    now = time.time()
    with db.session() as session:
        gpu_job = claim_next(session, "gpu", now=now, lease_seconds=60, models=["wan-1.3b"])
        none_left = claim_next(session, "gpu2", now=now, lease_seconds=60, models=["wan-1.3b"])
        cpu_job = claim_next(session, "cpu", now=now, lease_seconds=60)
    assert gpu_job.video_id == ids["wan-1.3b"][0]
    assert none_left is None
    assert cpu_job.video_id == ids["azur-tiny"][0]
    db.dispose()
