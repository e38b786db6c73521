"""How a job's stored options become its frames: a storyboard, a stitched extension, a blend or a loop.

The API stores these options in ``videos.options`` and their input files beside the video (shot images, the
source of an extension, the frame a blend ends on); the worker asks :func:`clip_source_for` for the frames
and hands them to the same pipeline as any video. Nothing here is needed to run a plain video.
"""

from __future__ import annotations

from azur.config import Settings
from azur.db.models import Video
from azur.engine.request import VideoRequest
from azur.storage.base import Storage, video_prefix

SOURCE_FILE = "source.mp4"  # the video an extension is stitched onto, stored with the job
BLEND_TARGET_FILE = "blend_target.png"  # the first frame of the video a blend leads into
# Every input file a job may have beside its first frame (a remix copies them).
INPUT_FILES = (SOURCE_FILE, BLEND_TARGET_FILE)


def generated_seconds(video: Video) -> float:
    """Seconds the model makes for ``video``: its length, except for a stitched extension (whose length
    includes the source it is stitched onto)."""
    extension = (video.options or {}).get("extension") or {}
    return float(extension["seconds"]) if extension.get("stitch") else video.seconds


def clip_source_for(video: Video, request: VideoRequest, storage: Storage, settings: Settings):  # noqa: ANN201
    """The :data:`azur.pipeline.ClipSource` of ``video``'s options, or None for a plain video."""
    from azur.media.images import load_image

    options = video.options or {}
    prefix = video_prefix(video.id)
    extension = options.get("extension") or {}
    if extension.get("stitch"):
        from azur.engine.compose import stitched_clip

        key = prefix + SOURCE_FILE
        source = storage.local_path(key) or storage.read_bytes(key)
        return stitched_clip(source, int(extension["source_frames"]), request, limits=settings.media)
    if options.get("blend"):
        from azur.engine.compose import blend_clip

        if request.first_frame is None:
            raise ValueError("the blend's first frame is missing")
        target = load_image(storage.read_bytes(prefix + BLEND_TARGET_FILE), settings.media)
        return blend_clip(request, request.first_frame, target)
    if options.get("storyboard"):
        from azur.storyboard.render import storyboard_clip
        from azur.storyboard.shots import from_stored, image_file

        shots = from_stored(options["storyboard"])

        def image_of(index: int):  # noqa: ANN202 - read as the shot starts: a lost file fails that shot, named
            if not shots[index].has_image:
                return None
            return load_image(storage.read_bytes(prefix + image_file(index)), settings.media)

        from azur.characters import look_from_option

        looks = {int(i): look_from_option(kept) for i, kept in (options.get("shot_characters") or {}).items()}
        return storyboard_clip(shots, request, image_of, crossfade_seconds=settings.storyboard.crossfade_seconds,
                               looks=looks)
    if options.get("loop"):
        from azur.engine.compose import looping_clip

        return looping_clip(request, round(settings.storyboard.loop_seconds * request.fps))
    return None


def input_files(storage: Storage, video: Video) -> dict[str, bytes]:
    """The input files stored beside ``video`` besides its first frame (shot images, an extension's
    source, a blend's target), by name: a remix makes its video from copies of them."""
    from azur.storyboard.shots import image_file

    options = video.options or {}
    names = [image_file(i) for i, shot in enumerate(options.get("storyboard") or []) if shot.get("has_image")]
    names += [name for name in INPUT_FILES if name == SOURCE_FILE and (options.get("extension") or {}).get("stitch")
              or name == BLEND_TARGET_FILE and options.get("blend")]
    prefix = video_prefix(video.id)
    return {name: storage.read_bytes(prefix + name) for name in names}
