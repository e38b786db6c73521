"""The wire shapes, copied from the official ``openai`` client's types (``openai/types/video*.py``).

Response models serialise every field, nulls included, as OpenAI does. Request bodies arrive as JSON or
multipart (the official client always sends multipart for ``create``, ``edit`` and ``extend``); they are
parsed by :mod:`azur.api.body` into the ``*Body`` models below, which forbid unknown fields so that a typo
is answered with a 400 naming it instead of being ignored; their fields have the wire types of
:mod:`azur.api.fields`, checked before any conversion.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from azur.api.fields import AudioOption, CharacterIds, Flag, ModelName, Prompt, Seconds, Seed, Size, Style

VideoStatusText = Literal["queued", "in_progress", "completed", "failed"]


class Wire(BaseModel):
    """A response shape. Every field is always sent (nulls included), so the published OpenAPI document
    lists every field as required, as OpenAI's does; a field that may be null says so in its type."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class VideoError(Wire):
    """Why a video failed (``openai.types.VideoCreateError``)."""

    code: str
    message: str


class VideoPublic(Wire):
    """A video job (``openai.types.Video``)."""

    id: str
    object: Literal["video"] = "video"
    status: VideoStatusText
    progress: int = Field(ge=0, le=100)
    created_at: int
    completed_at: int | None = None
    expires_at: int | None = None
    model: str
    prompt: str | None = None
    seconds: str
    size: str
    remixed_from_video_id: str | None = None
    error: VideoError | None = None
    provenance: dict[str, Any] | None = Field(None, description="Azur: how the finished video is marked "
                                              "(ai_generated, c2pa_signed, watermark_id, visible_mark, ai_generated_audio).")
    notes: list[str] = Field(default_factory=list, description="Azur: what the user should know about how the "
                             "video was made (e.g. the part of a long prompt the model could not read).")
    queue_reason: str | None = Field(None, description="Azur: why a queued video does not start, when no "
                                     "running worker serves its model.")
    storyboard: list[dict[str, Any]] | None = Field(None, description="Azur: the shots of a storyboard video "
                                                    "(prompt, seconds, transition, character, has_image).")
    loop: bool | None = Field(None, description="Azur: the video loops (its last frame flows into its first).")
    character_ids: list[str] | None = Field(None, description="Azur: the character the video shows (its own, or "
                                            "its source's for a remix, extension or edit).")
    loras: list[dict[str, Any]] | None = Field(None, description="Azur: the LoRAs asked for ({name, scale}; "
                                               "scale null: the registered one).")
    quality: str | None = Field(None, description="Azur: the sampling preset asked for.")


class VideoList(Wire):
    """A page of videos (the client's ``SyncConversationCursorPage[Video]``)."""

    object: Literal["list"] = "list"
    data: list[VideoPublic]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool


class VideoDeleted(Wire):
    """``openai.types.VideoDeleteResponse``."""

    id: str
    object: Literal["video.deleted"] = "video.deleted"
    deleted: bool


class ErrorDetail(Wire):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorBody(Wire):
    """Every error answer: ``{"error": {...}}``."""

    error: ErrorDetail


class ModelCapabilities(BaseModel):
    first_frame: bool  # takes input_reference (image-to-video, extension)
    sound: bool  # makes its own soundtrack
    max_seconds: int  # the longest clip it makes (windows past its native length)


class ModelPublic(Wire):
    """``openai.types.Model``, with Azur's description of the model after OpenAI's four fields."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    ready: bool = Field(description="Azur: a running worker serves this model now; jobs of a model no worker "
                                    "serves wait queued (see the video's queue_reason).")
    family: str | None = None
    description: str | None = None
    licence: dict[str, Any] | None = None  # id, name, url, excludes_eu, commercial, restrictions
    capabilities: ModelCapabilities | None = None
    presets: dict[str, dict[str, Any]] = {}  # quality → steps, guidance, shift, scheduler
    loras: list[dict[str, Any]] = []  # adapters a request may name (extra_body lora / loras)


class ModelList(Wire):
    object: Literal["list"] = "list"
    data: list[ModelPublic]


class Health(Wire):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    database: Literal["ok"] = "ok"  # reachable, schema at the migration head
    storage: Literal["ok"] = "ok"  # accepted a write


# ---- request bodies -------------------------------------------------------------------------------------

class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AzurOptions(_Body):
    """Azur's own options, sent by the official client as extra body fields (``extra_body={...}``)."""

    seed: Seed | None = None
    style: Style | None = None
    audio: AudioOption | None = None


class ModelChoices(AzurOptions):
    """Azur's choices among what an open-weight model offers. A remix, extension or edit of a video keeps
    the source's choices unless its request names its own."""

    lora: str | None = Field(None, description="Azur: a LoRA the model offers (GET /v1/models), by name, or "
                             "NAME:SCALE (e.g. \"sketch:0.6\"); the form the openai client can send.")
    loras: list[Any] | None = Field(None, description="Azur, JSON bodies only: several LoRAs the model offers, "
                                    "as names, NAME:SCALE or {\"name\": ..., \"scale\": ...}.")
    quality: Literal["draft", "standard", "high"] | None = Field(
        None, description="Azur: the model's sampling preset (open-weight models; GET /v1/models lists them).")

    def asked_loras(self) -> list[Any] | None:
        """``lora`` and ``loras`` together, or None when the request names none."""
        if self.lora is None:
            return self.loras
        return [self.lora, *(self.loras or [])]


class VideoCreateBody(ModelChoices):
    prompt: Prompt
    model: ModelName | None = None
    seconds: Seconds | None = None
    size: Size | None = None
    input_reference: Any = Field(None, description="An image file (multipart), or {\"image_url\": \"data:...\"}.")
    likeness_consent: Flag = Field(False, description="Azur: the user has the consent of every real person "
                                   "shown in input_reference (recorded in the audit log).")
    storyboard: Any = Field(None, description="Azur: shots made into one video, each {prompt, seconds, transition "
                            "(cut, crossfade, continue), image (data URL), character}; seconds is their total.")
    loop: Flag = Field(False, description="Azur: make the video loop (its last frame flows into its first).")
    character_ids: CharacterIds | None = None


class VideoRemixBody(ModelChoices):
    prompt: Prompt
    shot: Any = Field(None, description="Azur: for a storyboard video, the index (from 0) of the shot whose "
                      "prompt the remix changes.")


class VideoExtendBody(ModelChoices):
    prompt: Prompt
    seconds: Seconds
    video: Any = Field(description="{\"id\": \"video_...\"} of a completed video, or a video file (multipart).")
    stitch: Flag = Field(True, description="Azur: the result is the source and its new segment stitched (as "
                         "OpenAI's spec says); false: the new segment alone.")


class VideoEditBody(ModelChoices):
    prompt: Prompt
    video: Any = Field(description="{\"id\": \"video_...\"} of a completed video, or a video file (multipart).")


class VideoBlendBody(AzurOptions):
    """Azur: ``POST /v1/videos/blends``."""

    video_ids: list[str] = Field(description="Two completed videos: the blend goes from the end of the first to "
                                 "the start of the second.")
    prompt: Prompt | None = Field(None, description="What happens in between (default: the second video's prompt).")
    seconds: Seconds | None = Field(None, description="The blend's length (default 2).")
    model: ModelName | None = Field(None, description="Default: the first video's model.")


class StoryboardDraftBody(_Body):
    """Azur: ``POST /v1/storyboards/draft``."""

    script: Prompt = Field(description="A paragraph or a short script, in English or French.")
    language: Literal["en", "fr"] | None = Field(None, description="The script's language (default: detected).")


class StoryboardDraft(BaseModel):
    """Azur: a proposed storyboard; ``storyboard`` can be sent as is to ``POST /v1/videos``."""

    object: Literal["storyboard.draft"] = "storyboard.draft"
    storyboard: list[dict[str, Any]]
    seconds: float
    language: Literal["en", "fr"]
    source: Literal["rules", "chat"] = Field(description="Azur's rules, or the operator's chat model.")
    notes: list[str]


# ---- characters (azur.api.routes.characters) -----------------------------------------------------------

class CharacterLook(BaseModel):
    """Azur: what the embedded model draws for the character, measured from its reference picture."""

    object_color: str
    shape: str
    size: float = Field(description="The object's reach from its centre, in short sides of the frame.")


class CharacterPublic(BaseModel):
    """A character (``openai.types.VideoCreateCharacterResponse`` / ``VideoGetCharacterResponse``)."""

    id: str
    object: Literal["character"] = "character"
    name: str
    created_at: int
    look: CharacterLook | None = None


class CharacterList(BaseModel):
    object: Literal["list"] = "list"
    data: list[CharacterPublic]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool


class CharacterDeleted(BaseModel):
    id: str
    object: Literal["character.deleted"] = "character.deleted"
    deleted: bool


class CharacterCreateBody(_Body):
    name: str = Field(description="Display name; a prompt that writes it (or @name) shows the character.")
    video: Any = Field(None, description="A video file (its first frame is used) or an image file.")
    image: Any = Field(None, description="Azur: an image file, instead of video.")
    likeness_consent: Flag = Field(False, description="Azur: the user has the consent of every real person "
                                   "shown (recorded in the audit log).")
