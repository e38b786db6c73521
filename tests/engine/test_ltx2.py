"""LTX-2 (family ``ltx2``) on a tiny random pipeline: a video with the model's own soundtrack.

End to end through the command line as a user runs it (``azur models add``, ``azur generate --model``): the
MP4 plays, has the asked size and length, and its audio track is the sound the model made for that seed
(another seed's sound does not match it), as long as the video; a voice-over is mixed over that sound,
not instead of it. ``azur models list`` and ``GET /v1/models`` say the model makes sound."""

from __future__ import annotations

import json
from math import gcd

import av
import numpy as np
import pytest
from scipy.signal import resample_poly

from azur.engine.backends.ltx2 import join_window_sounds
from azur.media.audio import Audio, decode_audio
from test_cli_models import azur  # this folder's CLI runner (tests/engine is on the path, as for tiny_pipelines)

PROMPT = "a red ball bounces on a blue floor"
TINY = ["--option", "steps=2", "--option", "area=1024", "--option", "max_frames=17",
        "--option", "max_sequence_length=16"]


def model_sound(name: str, seed: int, seconds: float = 1) -> Audio:
    """The sound the backend itself makes for the request the CLI makes (no style words: --style flat)."""
    from azur.engine.backend import get_backend
    from azur.engine.request import make_request

    request = make_request(PROMPT, model=name, seed=seed, seconds=seconds, size="480x480", style="flat")
    clip = get_backend(name).generate(request)
    list(clip.frames)
    return clip.audio


def likeness(heard: Audio, made: Audio, *, span: float | None = None) -> float:
    """How much of ``made`` (brought to ``heard``'s rate) is in ``heard``: the best normalised correlation of
    the two, mono, over lags of up to 50 ms (the AAC round trip may shift the sound by its priming samples).
    With ``span`` (seconds), the best of the clip's stretches that long: where nothing is mixed over it."""
    g = gcd(made.rate, heard.rate)
    reference = resample_poly(made.samples.mean(axis=0), heard.rate // g, made.rate // g)
    signal = heard.samples.mean(axis=0)
    length = min(len(signal), len(reference))
    step = round(span * heard.rate) if span else length
    limit = heard.rate // 20
    best = 0.0
    for start in range(0, length - step + 1, step):
        for lag in range(-limit, limit + 1):
            lo, hi = max(start, start + lag, 0), min(start + step, length, length + lag)
            a, b = signal[lo:hi], reference[lo - lag:hi - lag]
            a, b = a - a.mean(), b - b.mean()
            best = max(best, float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)))
    return best


@pytest.fixture
def ltx2_model(azur_home, tiny_models, monkeypatch, capsys) -> str:
    code, _, err = azur(monkeypatch, capsys, "models", "add", "cli-ltx2", "--family", "ltx2",
                        "--path", str(tiny_models["ltx2"]), *TINY)
    assert code == 0, err
    return "cli-ltx2"


def test_the_video_carries_the_sound_the_model_made(ltx2_model, tmp_path, monkeypatch, capsys):
    code, out, _ = azur(monkeypatch, capsys, "models", "list", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows[ltx2_model]["family"] == "ltx2" and rows[ltx2_model]["sound"] is True
    assert rows["azur-tiny"]["sound"] is False

    video = tmp_path / "clip.mp4"
    code, _, err = azur(monkeypatch, capsys, "generate", PROMPT, "--model", ltx2_model, "--seconds", "1",
                        "--size", "480x480", "--seed", "5", "--output", str(video))
    assert code == 0, err
    assert "windows separately" in " ".join(err.split())  # 1 s is two tiny windows: their sounds cross-fade
    with av.open(str(video)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(frames) == 24 and frames[0].shape == (480, 480, 3)
    heard = decode_audio(video)
    assert abs(heard.seconds - 1.0) <= 1 / 24
    assert np.sqrt(np.mean(heard.samples**2)) > 0.01  # not silence

    # The tiny model's sounds share a structure whatever the seed (its prompt's), so the margin is modest.
    assert likeness(heard, model_sound(ltx2_model, seed=5)) > 0.9
    assert likeness(heard, model_sound(ltx2_model, seed=6)) < 0.8


def test_a_voiceover_is_mixed_over_the_models_own_sound(ltx2_model, tmp_path, monkeypatch, capsys):
    video = tmp_path / "voiced.mp4"
    code, _, err = azur(monkeypatch, capsys, "generate", PROMPT, "--model", ltx2_model, "--seconds", "2",
                          "--size", "480x480", "--seed", "5", "--voiceover", "A red ball.", "--output", str(video))
    assert code == 0, err
    assert "sound: voiceover, own_sound" in err  # the parts mixed, as the CLI reports them
    heard = decode_audio(video)
    assert abs(heard.seconds - 2.0) <= 1 / 24
    own = model_sound(ltx2_model, seed=5, seconds=2)
    other = model_sound(ltx2_model, seed=6, seconds=2)
    assert likeness(heard, own) < 0.5  # a voice is over it...
    assert likeness(heard, own, span=0.25) > 0.9  # ...and where it is not, the model's sound is heard
    assert likeness(heard, other, span=0.25) < 0.85


def test_a_first_frame_starts_the_clip_through_the_same_weights(installed):
    from azur.engine.backend import get_backend
    from azur.engine.request import make_request

    backend = get_backend(installed("ltx2", max_frames=25))  # 1 s in one window
    image = np.zeros((480, 480, 3), np.uint8)
    image[:, :, 0] = 230
    request = make_request(PROMPT, model=backend.spec.name, seed=3, seconds=1, size="480x480", first_frame=image)
    clip = backend.generate(request)
    frames = list(clip.frames)
    assert backend.image_pipeline().transformer is backend.pipe.transformer  # from_pipe: no second copy
    plain = list(backend.generate(make_request(PROMPT, model=backend.spec.name, seed=3, seconds=1,
                                               size="480x480")).frames)
    assert np.abs(frames[0].astype(int) - image).mean() < np.abs(plain[0].astype(int) - image).mean()
    assert clip.audio is not None and clip.audio.samples.shape[1] == clip.audio.rate  # exactly 1 s
    assert not any("windows separately" in note for note in clip.notes)


def test_window_sounds_sit_where_their_frames_are_and_cross_fade_over_shared_frames():
    rate, fps = 2400, 24  # 100 samples a frame
    first, second = np.full((2, 1690), 0.5, np.float32), np.full((2, 930), -0.5, np.float32)  # a bit short, long
    joined = join_window_sounds([first, second], windows=(17, 9), overlap=1, fps=fps, rate=rate)
    assert joined.shape == (2, 2500)  # 17 + 9 - 1 frames
    assert np.all(joined[:, :1600] == 0.5) and np.all(joined[:, 1700:] == -0.5)
    assert np.all(joined[:, 1690:1700] != 0)  # the first window's missing tail is covered by the fade
    fade = joined[0, 1600:1700]
    assert fade[0] > 0.45 and fade[-1] < -0.45 and np.all(np.diff(fade) < 0)


def test_the_api_lists_the_model_with_sound(ltx2_model, monkeypatch, capsys):
    from fastapi.testclient import TestClient

    from azur.api.app import create_app
    from azur.config import get_settings

    code, out, err = azur(monkeypatch, capsys, "users", "add", "alice", "--plan", "pro")
    assert code == 0, err
    key = out.strip().splitlines()[-1]
    with TestClient(create_app(get_settings(), start_workers=False)) as client:
        response = client.get(f"/v1/models/{ltx2_model}", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    model = response.json()
    assert model["family"] == "ltx2" and model["capabilities"]["sound"] is True
    assert model["capabilities"]["first_frame"] is True
