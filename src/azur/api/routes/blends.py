"""``POST /v1/videos/blends`` (Azur): a transition clip from the end of one video to the start of another.

The blend starts exactly on the first video's last frame and ends exactly on the second's first frame; in
between, a model that takes a first frame makes the motion (image-to-video, pulled towards the end frame)
and any other model gives a dissolve of the two frames (:func:`azur.engine.compose.blend_clip`). Both
frames are stored with the job; acceptance is the same as any video's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from azur.api import video_inputs as inputs
from azur.api.body import body_dependency, body_openapi
from azur.api.deps import CurrentUser, ServicesDep, SessionDep, find_owned_video, get_current_user
from azur.api.errors import bad_request
from azur.api.routes import videos
from azur.api.schemas import VideoBlendBody, VideoPublic
from azur.db.models import VideoKind
from azur.jobs.compositions import BLEND_TARGET_FILE

router = APIRouter(prefix="/v1/videos", tags=["videos"], responses=videos.ERRORS,
                   dependencies=[Depends(get_current_user)])
BlendBody = Annotated[VideoBlendBody, Depends(body_dependency(VideoBlendBody))]
DEFAULT_SECONDS = 2


@router.post("/blends", openapi_extra=body_openapi(VideoBlendBody))
def blend_videos(body: BlendBody, response: Response, services: ServicesDep, session: SessionDep,
                 user: CurrentUser) -> VideoPublic:
    """A transition from the end of ``video_ids[0]`` to the start of ``video_ids[1]``, at the first's size."""
    from azur.media.images import encode_image, fit_cover

    if len(body.video_ids) != 2 or body.video_ids[0] == body.video_ids[1]:
        raise bad_request(f"video_ids must name two different videos, got {len(body.video_ids)}.",
                          param="video_ids")
    first, second = (find_owned_video(session, user, i, param="video_ids") for i in body.video_ids)
    for video in (first, second):
        inputs.require_completed(video, "blended")
    start = videos._stored_frame(services, first, "last")
    end = videos._stored_frame(services, second, "first")
    options = inputs.validate_options(
        services.settings, prompt=body.prompt or second.prompt or "a transition", model=body.model or first.model,
        seconds=DEFAULT_SECONDS if body.seconds is None else body.seconds, size=first.size_text,
        seed=first.seed if body.seed is None else body.seed, style=body.style or first.style, first_frame=start)
    video = inputs.new_video(user.id, options, kind=VideoKind.blend, source=first.id)
    video.options = {"blend": {"from": first.id, "to": second.id}}
    target = encode_image(fit_cover(end, options.request.size), "png")
    accepted = videos._accept(services, session, user, video, options, more_files={BLEND_TARGET_FILE: target})
    return videos.answer(accepted, response, services)
