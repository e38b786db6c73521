"""Storyboards: several shots, each a prompt and a length, made into one video with chapter marks.

``shots.py`` reads and checks a storyboard (the API's ``storyboard`` field, a CLI file); ``render.py`` makes
its frames shot by shot through the same backends as any video and joins them (cut, crossfade, continue);
``draft.py`` proposes a storyboard from a script.
"""

from azur.storyboard.shots import TRANSITIONS, Shot, parse_storyboard, total_seconds

__all__ = ["TRANSITIONS", "Shot", "parse_storyboard", "total_seconds"]
