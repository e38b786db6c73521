"""``azur storyboard``: storyboards from the command line.

    azur storyboard draft script.txt > shots.json      # a proposed storyboard from a script (EN/FR)
    azur generate "The lighthouse" --storyboard shots.json -o film.mp4

A storyboard file is a JSON list of shots, as the API's ``storyboard`` field: ``{"prompt", "seconds",
"transition", "image", "character"}``; from the command line ``image`` may also be a path to an image file
(relative to the storyboard file).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import typer

from azur.cli.common import UserError

storyboard_app = typer.Typer(help="Storyboards: several shots made into one video.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(storyboard_app, name="storyboard")


def storyboard_source(path: Path, settings: Any):  # noqa: ANN201
    """The total seconds of the storyboard in ``path`` and a function making its ClipSource for a request.
    Raises UserError (unreadable file) or InvalidRequest (a bad shot, named)."""
    from azur.media.images import load_image
    from azur.storyboard.render import storyboard_clip
    from azur.storyboard.shots import parse_storyboard, total_seconds

    items = _read_json(path)
    if isinstance(items, list):
        for item in items:
            image = item.get("image") if isinstance(item, dict) else None
            if isinstance(image, str) and image and not image.startswith("data:"):
                item["image"] = _data_url(path.parent / image)
    shots = parse_storyboard(items, max_shots=settings.storyboard.max_shots, max_seconds=settings.max_seconds,
                             fps=settings.fps)
    images = {i: load_image(base64.b64decode(s.image.partition(",")[2]), settings.media)
              for i, s in enumerate(shots) if s.image}
    # A shot's "character" is a picture file here (there are no accounts on the command line).
    castings = {i: picture_casting(path.parent / s.character, settings) for i, s in enumerate(shots) if s.character}

    def clip_source(request):  # noqa: ANN001, ANN202
        from azur import characters
        from azur.engine.request import InvalidRequest

        looks = {}
        for i, casting in castings.items():
            try:
                shown = characters.apply(request.with_changes(prompt=shots[i].prompt, first_frame=None), casting)
            except InvalidRequest as exc:
                raise UserError(f"shot {i + 1}: {exc.message}") from None
            looks[i] = shown.look
            if shown.first_frame is not None and i not in images:  # an image-conditioned model starts from it
                images[i] = shown.first_frame
        return storyboard_clip(shots, request, images.get, crossfade_seconds=settings.storyboard.crossfade_seconds,
                               looks=looks)

    return total_seconds(shots, settings.fps), clip_source


def picture_casting(picture: Path, settings: Any):  # noqa: ANN201
    """The character in a picture file (``--character FILE``, a shot's ``"character": "pip.png"``); a one-line
    UserError when it cannot be read or shows no object."""
    from azur import characters
    from azur.media.limits import UnreadableImage, UnreadableVideo

    try:
        return characters.casting_from_picture(picture.read_bytes(), picture.stem, settings.media)
    except OSError as exc:
        raise UserError(f"Cannot read the character picture {picture}: {exc.strerror or exc}.") from None
    except (UnreadableImage, UnreadableVideo, ValueError) as exc:
        raise UserError(f"The character picture {picture}: {exc}") from None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"No such storyboard file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}).") from None


def _data_url(image: Path) -> str:
    try:
        data = image.read_bytes()
    except OSError:
        raise UserError(f"Cannot read the shot image {image}.") from None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@storyboard_app.command("draft")
def draft(
    script: Path = typer.Argument(..., help="A text file: a paragraph or a short script, in English or French."),
    language: str | None = typer.Option(None, "--language", help="en or fr (default: detected)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the storyboard JSON here (default: "
                                       "print it)."),
) -> None:
    """Propose a storyboard for a script: one shot per beat, establishing and cutaway shots."""
    import sys

    from azur.cli.common import console
    from azur.config import get_settings
    from azur.storyboard.draft import DraftError, draft_storyboard

    settings = get_settings()
    try:
        text = script.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"No such script file: {script}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Cannot read {script}: {exc}") from None
    try:
        result = draft_storyboard(text, language=language, max_chars=settings.storyboard.max_script_chars,
                                  max_shots=settings.storyboard.max_shots, max_seconds=settings.max_seconds,
                                  chat=settings.storyboard.chat)
    except DraftError as exc:
        raise UserError(str(exc)) from None
    shots = json.dumps(result.shots, ensure_ascii=False, indent=2)
    if output is not None:
        output.write_text(shots + "\n", encoding="utf-8")
        console.print(f"[green]wrote[/] {output} — {len(result.shots)} shots, {result.seconds:g} s ({result.source})")
    else:
        sys.stdout.write(shots + "\n")  # plain JSON, for a pipe or a file
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
