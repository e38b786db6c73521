"""Voice-over, offline: espeak-ng from the ``espeakng-loader`` wheel (its library and voices ship inside it,
so no apt package and no download), driven through ctypes.

Each reading runs espeak-ng in a short-lived child process (see ``_SPEAKER``: its library keeps state between
calls, so the same text would not sound the same twice in one process; a child also keeps its global,
thread-unsafe synthesiser out of the server). Speech comes out at 22,050 Hz mono and is resampled to the
mix's rate.

    >>> speech = speak(Voiceover("A red ball rolls to the right.", language="en"))
    >>> round(speech.seconds, 1)
    1.9
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from azur.engine.request import InvalidRequest
from azur.media.audio import Audio
from azur.sound.spec import MAX_SPEED, Voiceover

# espeak-ng's words a minute at speed 1: its own default (175) read a little fast next to a narrator.
NATURAL_WORDS_PER_MINUTE = 165
# espeak-ng voice variants (espeak-ng-data/voices/!v): a lower and a higher voice besides the language's own.
VARIANTS = {"default": "", "male": "+m3", "female": "+f4"}  # f4: no "breath": its noise is not reproducible
LEAD_IN_SECONDS = 0.4  # silence before the voice starts, when the clip has room for it
TAIL_SECONDS = 0.2  # and after it ends: speech that stops on the last frame sounds cut off

# espeak-ng carries state from one call to the next inside a process (its output for the same text drifts
# by a few samples each call, measured), so every reading runs in a fresh process: same text, same sound.
# The script is self-contained (ctypes and the wheel only) and writes 16-bit PCM to stdout.
_SPEAKER = r"""
import ctypes, sys
import espeakng_loader
voice, words_per_minute = sys.argv[1].encode(), int(sys.argv[2])
text = sys.stdin.buffer.read()
lib = ctypes.CDLL(espeakng_loader.get_library_path())
lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                             ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
rate = lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0)  # 2: synchronous
if rate <= 0:
    sys.exit(f"espeak-ng did not start (espeak_Initialize returned {rate})")
out = sys.stdout.buffer
out.write(rate.to_bytes(4, "little"))
def collect(wav, count, events):
    if count > 0:
        out.write(ctypes.string_at(wav, 2 * count))
    return 0
callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)(collect)
lib.espeak_SetSynthCallback(callback)
if lib.espeak_SetVoiceByName(voice) != 0:
    sys.exit(f"espeak-ng has no voice {voice.decode()!r}")
lib.espeak_SetParameter(1, words_per_minute, 0)  # 1: espeakRATE
if lib.espeak_Synth(text, len(text) + 1, 0, 0, 0, 1, None, None) != 0:  # 1: espeakCHARS_UTF8
    sys.exit("espeak-ng could not read the text")
lib.espeak_Synchronize()
out.flush()
"""
SPEAK_TIMEOUT_SECONDS = 60


def speak(voiceover: Voiceover, rate: int = 48000) -> Audio:
    """The voice-over read aloud: mono at ``rate``, leading and trailing silence trimmed, peak-normalised to
    -3 dBFS (the mix sets the loudness). Raises RuntimeError if espeak-ng cannot speak."""
    voice = voiceover.language + VARIANTS[voiceover.voice]
    words_per_minute = round(NATURAL_WORDS_PER_MINUTE * voiceover.speed)
    try:
        done = subprocess.run([sys.executable, "-c", _SPEAKER, voice, str(words_per_minute)],
                              input=voiceover.text.encode("utf-8"), capture_output=True,
                              timeout=SPEAK_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"espeak-ng took over {SPEAK_TIMEOUT_SECONDS} s to read the voice-over") from None
    if done.returncode != 0 or len(done.stdout) < 4:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise RuntimeError(f"espeak-ng could not speak: {reason[0]}")
    source_rate = int.from_bytes(done.stdout[:4], "little")
    pcm = np.frombuffer(done.stdout[4: 4 + (len(done.stdout) - 4) // 2 * 2], dtype="<i2")
    speech = _trim(pcm.astype(np.float32) / 32768.0)
    speech = _resample(speech, source_rate, rate)
    peak = float(np.abs(speech).max()) if speech.size else 0.0
    if peak > 0:
        speech *= 10 ** (-3 / 20) / peak
    return Audio(speech[None, :].astype(np.float32), rate)


def placement(speech_seconds: float, clip_seconds: float) -> float:
    """Where the speech starts in the clip: after a short lead-in when there is room, else as early as the
    tail allows. Raises :class:`VoiceoverTooLong` when it does not fit at all."""
    room = clip_seconds - TAIL_SECONDS
    if speech_seconds > room:
        raise VoiceoverTooLong(speech_seconds, clip_seconds)
    return min(LEAD_IN_SECONDS, (room - speech_seconds) / 2)


class VoiceoverTooLong(InvalidRequest):
    """The voice-over cannot be read within the clip at the asked speed."""

    def __init__(self, speech_seconds: float, clip_seconds: float) -> None:
        room = max(0.0, clip_seconds - TAIL_SECONDS)
        super().__init__(
            "audio.voiceover.text",
            f"The voice-over takes {speech_seconds:.1f} s to read at this speed, but a {clip_seconds:g} s video "
            f"has room for {room:.1f} s. Shorten the text, make the video longer, or raise the speed "
            f"(at most {MAX_SPEED:g}).",
        )
        self.speech_seconds = speech_seconds


def check_fits(voiceover: Voiceover, clip_seconds: float) -> float:
    """The speech's length in seconds if it fits ``clip_seconds``; else :class:`VoiceoverTooLong` (a 400)."""
    seconds = speak(voiceover, rate=16000).seconds
    placement(seconds, clip_seconds)
    return seconds


def _trim(speech: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    loud = np.nonzero(np.abs(speech) > threshold)[0]
    if loud.size == 0:
        return speech[:0]
    return speech[max(0, loud[0] - 200): loud[-1] + 400]


def _resample(mono: np.ndarray, source_rate: int, rate: int) -> np.ndarray:
    if source_rate == rate or mono.size == 0:
        return mono
    from math import gcd

    from scipy.signal import resample_poly  # scipy comes with pyloudnorm

    g = gcd(source_rate, rate)
    return resample_poly(mono, rate // g, source_rate // g).astype(np.float32)
