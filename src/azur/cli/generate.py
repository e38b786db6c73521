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
    storyboard: Path | None = typer.Option(None, "--storyboard", help="A JSON file of shots made into one video "
                                           "(the prompt is then its title; --seconds is ignored)."),
    loop: bool = typer.Option(False, "--loop", help="Make the video loop: its last frame flows into its first."),
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
    )
    if clip_source is not None:
        clip_source = clip_source(request)
    elif loop:
        from azur.engine.compose import looping_clip

        clip_source = looping_clip(request, round(settings.storyboard.loop_seconds * request.fps))
    with progress_bar("Generating") as update:
        result = make_video(request, output, progress=update, encode=EncodeOptions(container=container),
                            settings=settings, clip_source=clip_source)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(
        f"[green]wrote[/] {result.path} — {result.width}x{result.height}, {result.frame_count} frames "
        f"at {result.fps} fps ({result.seconds:.2f} s), seed {request.seed}, in {result.timings['total_s']:.1f} s"
    )
    marks = ["AI-generated"]
    if result.c2pa_signed:
        marks.append("C2PA signed" + (f" (sidecar {result.sidecar_path.name})" if result.sidecar_path else ""))
    if result.watermark_payload:
        marks.append(f"watermark {result.watermark_payload}")
    if result.visible_mark:
        marks.append("visible mark")
    console.print(f"provenance: {result.video_id} — {', '.join(marks)}", highlight=False)
