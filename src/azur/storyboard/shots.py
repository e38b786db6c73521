"""A storyboard as data: its shots, how they are checked, and the JSON stored with the video.

A shot is a prompt and a length, with an optional first-frame image (a data URL) or character, and the
transition into it: ``cut``; ``crossfade`` (the previous shot dissolves into it; the dissolve is made of
extra frames of the previous shot, so the video lasts exactly the sum of the shots); ``continue`` (it starts
from the previous shot's last frame). Every problem is an :class:`InvalidRequest` whose ``param`` points at
the shot and field (``storyboard[1].seconds``), so the API, the CLI and the studio refuse it the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from azur.engine.request import InvalidRequest, check_prompt, parse_seconds

TRANSITIONS = ("cut", "crossfade", "continue")
FIELDS = ("prompt", "seconds", "transition", "image", "character")
MAX_CHARACTER_CHARS = 128


@dataclass(frozen=True)
class Shot:
    """One shot. ``image``: a ``data:image/...;base64,`` URL on the way in; the stored storyboard keeps
    only whether there is one (the image itself is stored beside the video, see :func:`stored`)."""

    prompt: str
    seconds: float
    transition: str = "cut"
    image: str | None = None
    character: str | None = None  # a character's id or name, resolved by the characters module
    has_image: bool = False


def frames_of(shot: Shot, fps: int) -> int:
    """Frames the shot takes in the video (the same rounding as a single video's request)."""
    return max(1, round(shot.seconds * fps))


def total_seconds(shots: list[Shot], fps: int) -> float:
    """The video's length: the sum of the shots (crossfades overlap extra frames, not the shots)."""
    return sum(frames_of(s, fps) for s in shots) / fps


def parse_storyboard(value: Any, *, max_shots: int, max_seconds: int, fps: int) -> list[Shot]:
    """Check a storyboard: a list of shot objects, or the same list as JSON text, or a form's fields
    (``storyboard[0][prompt]``, or ``storyboard[][prompt]`` repeated once per shot, as the official client
    sends ``extra_body`` lists in a multipart body). The total must fit ``max_seconds``.
    Raises :class:`InvalidRequest`."""
    items = _as_list(value)
    if not items:
        raise InvalidRequest("storyboard", "The storyboard is empty: give at least one shot.")
    if len(items) > max_shots:
        raise InvalidRequest("storyboard", f"The storyboard has {len(items)} shots; at most {max_shots}.")
    shots = [_shot(item, i, max_seconds) for i, item in enumerate(items)]
    total = total_seconds(shots, fps)
    if total > max_seconds:
        raise InvalidRequest("storyboard", f"The storyboard lasts {total:g} s in all; at most {max_seconds} s.")
    return shots


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise InvalidRequest("storyboard", "The storyboard text is not valid JSON: expected a list of "
                                               "shots.") from None
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and set(value) == {""}:
        return _from_columns(value[""])
    if isinstance(value, dict) and value and all(isinstance(k, str) and k.isdigit() for k in value):
        indices = sorted(int(k) for k in value)
        if indices != list(range(len(indices))):
            raise InvalidRequest("storyboard", "Storyboard shots must be numbered 0, 1, 2, ... without gaps.")
        return [value[str(i)] for i in indices]
    raise InvalidRequest("storyboard", "The storyboard must be a list of shots, each "
                                       "{\"prompt\": ..., \"seconds\": ..., \"transition\": ...}.")


def _from_columns(columns: Any) -> list[dict[str, Any]]:
    """``storyboard[][prompt]=a, storyboard[][prompt]=b, storyboard[][seconds]=2, ...``: a form keeps each
    field's values in order, not which shot they came with, so every shot must give the same fields."""
    if not isinstance(columns, dict):
        raise InvalidRequest("storyboard", "The storyboard must be a list of shots.")
    lists = {name: values if isinstance(values, list) else [values] for name, values in columns.items()}
    lengths = {len(v) for v in lists.values()}
    if len(lengths) != 1:
        raise InvalidRequest("storyboard", "In a form, every shot of the storyboard must give the same fields "
                                           "(or send the storyboard as JSON text, or as storyboard[0][prompt]).")
    count = lengths.pop()
    return [{name: values[i] for name, values in lists.items()} for i in range(count)]


def _shot(item: Any, index: int, max_seconds: int) -> Shot:
    where = f"storyboard[{index}]"
    if not isinstance(item, dict):
        raise InvalidRequest(where, f"Shot {index} must be an object with a prompt and seconds.")
    unknown = sorted(str(key)[:40] for key in set(item) - set(FIELDS))
    if unknown:
        raise InvalidRequest(f"{where}.{unknown[0]}", f"Unknown shot field '{unknown[0]}'. Shot fields: "
                                                      f"{', '.join(FIELDS)}.")
    if "prompt" not in item:
        raise InvalidRequest(f"{where}.prompt", f"Shot {index} has no prompt.")
    try:
        prompt = check_prompt(item["prompt"]).strip()
        seconds = parse_seconds(item.get("seconds", 4), max_seconds=max_seconds)
    except InvalidRequest as exc:
        raise InvalidRequest(f"{where}.{exc.param}", f"Shot {index}: {exc.message}") from None
    transition = item.get("transition") or "cut"
    if transition not in TRANSITIONS:
        raise InvalidRequest(f"{where}.transition", f"Unknown transition {_shown(transition)} in shot {index}. "
                                                    f"Allowed: {', '.join(TRANSITIONS)}.")
    if index == 0 and transition != "cut":
        raise InvalidRequest(f"{where}.transition", f"The first shot cannot '{transition}': nothing comes "
                                                    "before it. Use 'cut'.")
    image = item.get("image") or None
    if image is not None and not (isinstance(image, str) and image.startswith("data:")):
        raise InvalidRequest(f"{where}.image", f"Shot {index}: image must be a data URL "
                                               "(data:image/png;base64,...).")
    if image is not None and transition == "continue":
        raise InvalidRequest(f"{where}.image", f"Shot {index} continues the previous shot's last frame; it "
                                               "cannot also start from an image.")
    character = item.get("character") or None
    if character is not None and (not isinstance(character, str) or len(character) > MAX_CHARACTER_CHARS
                                  or not character.isprintable()):
        raise InvalidRequest(f"{where}.character", f"Shot {index}: character must be a character's id or name "
                                                   f"(at most {MAX_CHARACTER_CHARS} characters).")
    return Shot(prompt=prompt, seconds=seconds, transition=transition, image=image, character=character,
                has_image=image is not None)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def stored(shots: list[Shot]) -> list[dict[str, Any]]:
    """The storyboard as kept in ``videos.options["storyboard"]`` and shown on the video object: shot
    images are files beside the video (``shot_<i>.png``), so only ``has_image`` is kept."""
    return [{"prompt": s.prompt, "seconds": s.seconds, "transition": s.transition, "character": s.character,
             "has_image": s.has_image} for s in shots]


def from_stored(items: list[dict[str, Any]]) -> list[Shot]:
    """The shots of a stored storyboard (already checked when it was accepted)."""
    return [Shot(prompt=i["prompt"], seconds=float(i["seconds"]), transition=i.get("transition", "cut"),
                 character=i.get("character"), has_image=bool(i.get("has_image"))) for i in items]


def image_file(index: int) -> str:
    """The file name of shot ``index``'s first-frame image, under the video's storage prefix."""
    return f"shot_{index}.png"
