"""`azur purge`'s sweep of stored files that no video row owns, on SQLite and PostgreSQL, with real files."""

from __future__ import annotations

import os
import time

from azur.accounts.privacy import remove_orphan_files
from azur.accounts.users import create_user
from azur.config import Settings
from azur.db.models import Video
from azur.storage.local import LocalStorage

HOUR = 3600


def add(session, user_id: int, video_id: str, status: str, **fields) -> None:
    session.add(Video(id=video_id, user_id=user_id, created_at=time.time(), status=status, prompt="a red ball",
                      model="azur-tiny", seconds=1, width=480, height=480, seed=1, style="flat", **fields))


def test_only_old_files_that_no_row_owns_are_removed(db, tmp_path):
    settings = Settings(home=tmp_path)  # orphan_grace_minutes: 60
    storage = LocalStorage(tmp_path / "files")
    done, running, failed = "video_" + "1" * 32, "video_" + "2" * 32, "video_" + "3" * 32
    with db.session() as session:
        user = create_user(session, "owner")
        add(session, user.id, done, "completed", files={"video": f"videos/{done}/video.mp4"},
            first_frame_key=f"videos/{done}/first_frame.png")
        add(session, user.id, running, "in_progress")
        add(session, user.id, failed, "failed", first_frame_key=f"videos/{failed}/first_frame.png")
    kept = [f"videos/{done}/video.mp4", f"videos/{done}/first_frame.png",  # owned by its row
            f"videos/{running}/.part-abc",  # a worker is writing there
            f"videos/{failed}/first_frame.png"]
    swept = [f"videos/{done}/video.mp4.old", f"videos/{failed}/video.mp4",  # a failed attempt's leftover
             "videos/video_" + "4" * 32 + "/first_frame.png"]  # a row that never committed
    fresh = "videos/video_" + "5" * 32 + "/first_frame.png"  # maybe being accepted right now
    for key in [*kept, *swept, fresh]:
        storage.put_bytes(key, b"12345")
        if key != fresh:
            path = tmp_path / "files" / key
            os.utime(path, (time.time() - 2 * HOUR, time.time() - 2 * HOUR))
    with db.session() as session:
        result = remove_orphan_files(session, storage, settings)
    assert (result.files_removed, result.bytes_removed, result.files_not_removed) == (3, 15, 0)
    assert sorted(f.key for f in storage.list_files("videos/")) == sorted([*kept, fresh])
    assert not (tmp_path / "files" / "videos" / ("video_" + "4" * 32)).exists()


def test_a_voiceover_text_goes_with_the_prompt_when_prompts_expire(db, tmp_path):
    from azur.accounts.privacy import purge_expired
    from azur.sound.options import plan_of

    settings = Settings(home=tmp_path, prompt_retention_days=30)
    storage = LocalStorage(tmp_path / "files")
    old, new = "video_" + "6" * 32, "video_" + "7" * 32
    audio = {"voiceover": {"text": "My own words.", "language": "en", "voice": "default", "speed": 1.0},
             "music": {"mood": "calm", "intensity": 0.5}}
    continues = {"seconds": 2.0, "audio": audio, "prompt": "my earlier prompt", "seed": 1, "score_start": 0.0}
    with db.session() as session:
        user = create_user(session, "speaker")
        add(session, user.id, old, "completed", options={"audio": audio, "audio_continues": continues})
        add(session, user.id, new, "completed", options={"audio": audio})
        session.get(Video, old).created_at = time.time() - 40 * 86400
    with db.session() as session:
        purge_expired(session, storage, settings)
        session.commit()
    with db.session() as session:
        aged, recent = session.get(Video, old), session.get(Video, new)
        assert "My own words" not in str(aged.options) and "my earlier prompt" not in str(aged.options)
        assert aged.options["audio"] == {"music": {"mood": "calm", "intensity": 0.5}}
        assert plan_of(aged.options).audio.music.mood == "calm"  # what is left still reads back
        assert recent.options["audio"]["voiceover"]["text"] == "My own words."
