"""Sound through the API: the official client's ``extra_body={"audio": ...}`` on a real ``azur serve``."""

from __future__ import annotations

import io

import av
import numpy as np
import openai
import pytest

from azur.sound.mix import loudness
from tests.conftest import assert_openai_error

pytestmark = pytest.mark.slow

SHORT = {"seconds": "2", "size": "480x480"}
PROMPT = "a yellow star moving right on a black background"
AUDIO = {"voiceover": {"text": "A star goes by.", "language": "en", "voice": "female", "speed": 1.1},
         "music": {"mood": "dreamy", "intensity": 0.6}, "effects": True}


def decode_sound(data: bytes) -> tuple[str, float, float, np.ndarray]:
    """codec, audio and video durations, and the decoded samples (2, n) as a player would cut them."""
    with av.open(io.BytesIO(data)) as container:
        audio, video = container.streams.audio[0], container.streams.video[0]
        seconds = float(audio.duration * audio.time_base)
        chunks = [frame.to_ndarray() for frame in container.decode(audio)]
        samples = np.concatenate(chunks, axis=1)[:, : round(seconds * audio.rate)]
        return audio.codec_context.name, seconds, float(video.duration * video.time_base), samples


@pytest.fixture(scope="module")
def with_sound(client):
    video = client.videos.create(prompt=PROMPT, extra_body={"seed": 3, "audio": AUDIO}, **SHORT)
    return client.videos.poll(video.id)


def test_the_official_client_gets_a_video_with_sound(client, with_sound) -> None:
    assert with_sound.status == "completed", with_sound.error
    codec, audio_seconds, video_seconds, samples = decode_sound(client.videos.download_content(with_sound.id).content)
    assert codec == "aac" and video_seconds == 2.0 and audio_seconds == pytest.approx(2.0, abs=1e-3)
    assert loudness(samples.astype(np.float64)) == pytest.approx(-16.0, abs=1.0)
    raw = client.videos.with_raw_response.retrieve(with_sound.id).http_response.json()
    assert raw["provenance"]["ai_generated_audio"] == ["voiceover", "music", "effects"]


def test_an_extension_continues_the_music_without_a_click(client, with_sound) -> None:
    more = client.videos.extend(prompt=PROMPT, seconds="2", video=openai.omit, extra_body={"video": {"id": with_sound.id}})
    more = client.videos.poll(more.id)
    assert more.status == "completed", more.error
    *_, before = decode_sound(client.videos.download_content(with_sound.id).content)
    codec, audio_seconds, video_seconds, after = decode_sound(client.videos.download_content(more.id).content)
    # The extension is the source and the new segment stitched: the source's own sound first, as it was made
    # (its voice-over included), then the music carried on, as long as the picture.
    assert codec == "aac" and video_seconds == pytest.approx(4.0, abs=0.05)
    assert audio_seconds == pytest.approx(video_seconds, abs=0.03)
    join = before.shape[1]
    kept = np.corrcoef(before[0, 4800:join - 4800], after[0, 4800:join - 4800])[0, 1]
    assert kept > 0.95, kept
    joined = after[:, join - 24000:join + 24000].astype(np.float64)
    steps = np.abs(np.diff(joined, axis=1)).max(axis=0)
    assert steps[23999] < np.percentile(steps, 99.9)  # no click where the new segment's sound begins
    assert np.abs(after[:, join:]).max() > 0.01  # and it is not silence
    raw = client.videos.with_raw_response.retrieve(more.id).http_response.json()
    assert raw["provenance"]["ai_generated_audio"] == ["music", "effects"]  # the voice-over is not said again


def test_silence_by_default_and_on_request(client) -> None:
    for extra in ({}, {"audio": "none"}):
        video = client.videos.poll(client.videos.create(prompt=PROMPT, extra_body=extra, seconds="1",
                                                        size="480x480").id)
        with av.open(io.BytesIO(client.videos.download_content(video.id).content)) as container:
            assert not container.streams.audio


@pytest.mark.parametrize(("audio", "param", "words"), [
    ({"music": {"mood": "jazzy"}}, "audio.music.mood", "Allowed moods"),
    ({"voiceover": {"text": "This sentence is far too long to be read aloud in one second of video."}},
     "audio.voiceover.text", "room for 0.8 s"),
    ({"voiceover": {"text": "hi", "language": "de"}}, "audio.voiceover.language", "en, fr"),
    (7, "audio", "none"),
])
def test_bad_audio_is_a_400_naming_the_part(client, audio, param, words) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt=PROMPT, extra_body={"audio": audio}, seconds="1", size="480x480")
    error = assert_openai_error(caught.value, 400, param=param)
    assert words in error["message"]


def test_the_voiceover_text_is_moderated_like_a_prompt(client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt=PROMPT, seconds="2", size="480x480",
                             extra_body={"audio": {"voiceover": {"text": "a naked woman"}}})
    assert_openai_error(caught.value, 400, code="moderation_blocked", param="audio.voiceover.text")
