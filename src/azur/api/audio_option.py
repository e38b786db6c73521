"""The ``audio`` option of ``/v1/videos`` requests: which sound a new video gets, checked before it is accepted.

A request that names no audio gets its plan's ``default_audio``, else the operator's ``[sound]
default_audio``; a remix or an edit keeps its source's sound, and an extension carries its source's music
and effects on (not its voice-over: those words were said). The voice-over must fit the clip at the asked
speed (a 400 naming ``audio.voiceover.text`` otherwise) and its text is moderated like a prompt
(:func:`texts_to_moderate`, called where the prompt is).
"""

from __future__ import annotations

from typing import Any

from azur.api.errors import bad_request
from azur.config import Settings
from azur.db.models import User, Video
from azur.engine.request import InvalidRequest, VideoRequest
from azur.sound import options as stored_options
from azur.sound.mix import Continuation
from azur.sound.spec import AudioSpec, parse_audio


def resolve(settings: Settings, user: User, value: Any, request: VideoRequest, *,
            inherited: AudioSpec | None = None) -> AudioSpec:
    """The sound of a new video: ``value`` as sent (None: ``inherited``, else the defaults). Raises a 400."""
    from azur.sound.voice import check_fits

    try:
        if value is not None:
            spec = parse_audio(value)
        elif inherited is not None:
            spec = inherited
        else:
            spec = parse_audio(default_for(settings, user.plan))
        if spec.voiceover is not None:
            check_fits(spec.voiceover, request.frame_count / request.fps)
    except InvalidRequest as exc:
        raise bad_request(exc.message, param=exc.param) from None
    return spec


def default_for(settings: Settings, plan_id: str) -> Any:
    plan = settings.plans.get(plan_id)
    if plan is not None and plan.default_audio is not None:
        return plan.default_audio
    return settings.sound.default_audio


def attach(video: Video, spec: AudioSpec, continues: Continuation | None = None) -> None:
    """Record the sound in the new row's ``options`` (the worker reads it back with ``azur.sound.options``)."""
    entries = stored_options.stored(spec, continues)
    if entries:
        video.options = {**(video.options or {}), **entries}


def of_source(source: Video) -> AudioSpec:
    return stored_options.spec_of(source.options)


def continuation(source: Video) -> Continuation:
    """How an extension of ``source`` picks up its sound."""
    return stored_options.continuation_from(source.options, seconds=float(source.seconds),
                                            prompt=source.prompt or "", seed=int(source.seed))


def texts_to_moderate(video: Video) -> list[tuple[str, str]]:
    """(text, param) of what the video will say aloud."""
    spec = stored_options.spec_of(video.options)
    return [(spec.voiceover.text, "audio.voiceover.text")] if spec.voiceover is not None else []
