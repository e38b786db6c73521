"""Sound for Azur's videos, made offline: voice-over (espeak-ng), a generative score, effects from the
picture, and a film-style mix at -16 LUFS.

- :mod:`azur.sound.spec`: the ``audio`` option and its checks (:func:`parse_audio`).
- :mod:`azur.sound.voice`: speech from text (EN, FR), and whether it fits a clip.
- :mod:`azur.sound.music`: a score from the seed and a mood word.
- :mod:`azur.sound.effects`: sounds that follow the embedded model's object; ambience from prompt words.
- :mod:`azur.sound.mix`: one soundtrack for a timeline of clips (:func:`make_soundtrack`).
"""

from azur.sound.mix import Continuation, Segment, SoundPlan, Soundtrack, make_soundtrack
from azur.sound.spec import SILENT, AudioSpec, Music, Voiceover, parse_audio

__all__ = ["SILENT", "AudioSpec", "Continuation", "Music", "Segment", "SoundPlan", "Soundtrack", "Voiceover",
           "make_soundtrack", "parse_audio"]
