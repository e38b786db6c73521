"""``azur generate``: one video from the command line, through the same pipeline as the API."""

from __future__ import annotations

from pathlib import Path

import typer

from azur.cli.common import UserError, check_output_path, console, progress_bar


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)


def generate(
    prompt: str = typer.Argument(..., help="What the video shows, in English or French."),
    seconds: float = typer.Option(4, "--seconds", "-s", help="Duration in seconds (1-20)."),
    size: str = typer.Option("1280x720", "--size", help="WIDTHxHEIGHT, e.g. 1280x720, 720x1280, 1080x1080."),
    seed: int | None = typer.Option(None, "--seed", help="Same seed, same video. Random when left out."),
    style: str = typer.Option("flat", "--style", help="flat, cartoon or soft."),
    image: Path | None = typer.Option(None, "--image", help="A first frame to start the video from."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name (see `azur models list`)."),
    output: Path = typer.Option(Path("azur.mp4"), "--output", "-o", help="Output file: .mp4 or .webm."),
    voiceover: str | None = typer.Option(None, "--voiceover", help="Text read aloud over the video."),
    language: str = typer.Option("en", "--language", help="The voice-over's language: en or fr."),
    voice: str = typer.Option("default", "--voice", help="The voice-over's voice: default, male or female."),
    speed: float = typer.Option(1.0, "--speed", help="The voice-over's speed, 0.75-1.5 (1: natural)."),
    music: str | None = typer.Option(None, "--music", help="A music mood: calm, happy, sad, epic, tense, "
                                                           "dreamy, playful, dark (or in French)."),
    intensity: float = typer.Option(0.5, "--intensity", help="How busy the music is, 0-1."),
    effects: bool | None = typer.Option(None, "--effects/--no-effects", help="Sound effects from the picture."),
    quality: str | None = typer.Option(None, "--quality", help="draft, standard or high (open-weight models)."),
    lora: list[str] = typer.Option([], "--lora", help="NAME[:SCALE] of a LoRA the model offers; repeatable."),
    storyboard: Path | None = typer.Option(None, "--storyboard", help="A JSON file of shots made into one video "
                                           "(the prompt is then its title; --seconds is ignored)."),
    loop: bool = typer.Option(False, "--loop", help="Make the video loop: its last frame flows into its first."),
    character: Path | None = typer.Option(None, "--character", help="A picture (or video) of a character: every "
                                          "shot shows its look (colour, shape, size), whatever the words say."),
    blend: tuple[Path, Path] | None = typer.Option(None, "--blend", help="Two videos A B: a transition from A's "
                                                   "last frame to B's first."),
) -> None:
    """Generate a video from a text prompt, or from a storyboard of shots."""
    from azur.config import get_settings
    from azur.engine.request import make_request
    from azur.media.encode import EncodeOptions
    from azur.media.images import load_image
    from azur.pipeline import make_video

    check_output_path(output, ("mp4", "webm"))  # before minutes of work, not after
    container = output.suffix.lower().lstrip(".")
    settings = get_settings()
    first_frame = load_image(image, settings.media) if image is not None else None
    clip_source = None
    if storyboard is not None:
        from azur.cli.storyboard import storyboard_source

        if loop or image is not None:
            raise UserError("--storyboard cannot be combined with --loop or --image (give a shot its own image).")
        seconds, clip_source = storyboard_source(storyboard, settings)
    if blend is not None:
        if storyboard is not None or loop or image is not None:
            raise UserError("--blend cannot be combined with --storyboard, --loop or --image.")
        first_frame, blend_target = _blend_ends(blend, settings)
    request = make_request(
        prompt,
        seconds=seconds,
        size=size,
        seed=seed,
        style=style,
        model=model or settings.default_model,
        fps=settings.fps,
        first_frame=first_frame,
        max_seconds=settings.max_seconds,
        loras=list(lora) or None,
        quality=quality,
    )
    sound = sound_plan(settings, request, voiceover=voiceover, language=language, voice=voice, speed=speed,
                       music=music, intensity=intensity, effects=effects)
    if sound is not None and loop:
        from dataclasses import replace

        sound = replace(sound, loop=True)  # music that wraps round with the picture
    from azur.engine.backend import check_model_choices

    check_model_choices(request)  # before loading anything
    if character is not None:
        request = _with_character(request, character, settings)
    if clip_source is not None:
        clip_source = clip_source(request)
    elif blend is not None:
        from azur.engine.compose import blend_clip

        clip_source = blend_clip(request, first_frame, blend_target)
    elif loop:
        from azur.engine.compose import looping_clip

        clip_source = looping_clip(request, round(settings.storyboard.loop_seconds * request.fps))
    with progress_bar("Generating") as update:
        result = make_video(request, output, progress=update, encode=EncodeOptions(container=container),
                            settings=settings, sound=sound, clip_source=clip_source)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(
        f"[green]wrote[/] {result.path} — {result.width}x{result.height}, {result.frame_count} frames "
        f"at {result.fps} fps ({result.seconds:.2f} s), seed {request.seed}, in {result.timings['total_s']:.1f} s"
    )
    if result.soundtrack is not None:
        track = result.soundtrack
        console.print(f"sound: {', '.join(track.parts) or 'silence'} — {track.loudness_lufs:.1f} LUFS, "
                      f"true peak {track.true_peak_dbtp:.1f} dBTP", highlight=False)
    marks = ["AI-generated"]
    if result.c2pa_signed:
        marks.append("C2PA signed" + (f" (sidecar {result.sidecar_path.name})" if result.sidecar_path else ""))
    if result.watermark_payload:
        marks.append(f"watermark {result.watermark_payload}")
    if result.visible_mark:
        marks.append("visible mark")
    console.print(f"provenance: {result.video_id} — {', '.join(marks)}", highlight=False)


def _with_character(request, picture: Path, settings):  # noqa: ANN001, ANN202
    """``request`` showing the character in ``picture`` (as the API's characters do, without an account)."""
    from azur import characters
    from azur.cli.storyboard import picture_casting
    from azur.engine.request import InvalidRequest

    try:
        return characters.apply(request, picture_casting(picture, settings))
    except InvalidRequest as exc:
        raise UserError(exc.message) from None


def _blend_ends(videos: tuple[Path, Path], settings):  # noqa: ANN001, ANN202
    """A's last frame and B's first (RGB), for ``--blend A B``."""
    from azur.media.limits import UnreadableVideo
    from azur.media.read import first_frame, last_frame

    try:
        return last_frame(videos[0], settings.media), first_frame(videos[1], settings.media)
    except OSError as exc:
        raise UserError(f"cannot read {exc.filename}: {exc.strerror}") from None
    except UnreadableVideo as exc:
        raise UserError(f"--blend: {exc}") from None


def sound_plan(settings, request, *, voiceover: str | None, language: str, voice: str, speed: float,  # noqa: ANN001
               music: str | None, intensity: float, effects: bool | None):  # noqa: ANN201
    """The sound asked for by the flags; with none of them, the operator's default (``[sound]``)."""
    from azur.sound.mix import SoundPlan
    from azur.sound.spec import parse_audio
    from azur.sound.voice import check_fits

    if voiceover is None and music is None and effects is None:
        spec = parse_audio(settings.sound.default_audio)
    else:
        wire: dict = {"effects": bool(effects)}
        if voiceover is not None:
            wire["voiceover"] = {"text": voiceover, "language": language, "voice": voice, "speed": speed}
        if music is not None:
            wire["music"] = {"mood": music, "intensity": intensity}
        spec = parse_audio(wire)
    if spec.voiceover is not None:
        check_fits(spec.voiceover, request.frame_count / request.fps)  # before the model runs, not after
    return SoundPlan(spec)
