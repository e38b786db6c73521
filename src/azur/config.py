"""Typed settings, in one place.

Values come from (highest first): keyword arguments, ``AZUR_*`` environment variables, a TOML file
(``AZUR_CONFIG``, else ``$AZUR_HOME/azur.toml`` when it exists), then the defaults below. Nothing here is
built at import time: call :func:`get_settings` (cached) or construct :class:`Settings` in tests.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


def default_home() -> Path:
    """The per-user data directory used when AZUR_HOME is not set."""
    return Path(platformdirs.user_data_dir("azur", appauthor=False))


class ProvenanceSettings(BaseModel):
    """How every video is marked as AI-generated."""

    c2pa: bool = True  # sign C2PA content credentials into every MP4 (sidecar for WebM)
    watermark: bool = True  # invisible watermark in the pixels, read back by `azur verify`
    visible_mark: bool = False  # a small "AI" / "Généré par IA" label in a corner
    visible_mark_language: str = "en"  # "en" or "fr"
    # The installation's C2PA signing key and certificate chain (leaf first, then its CA), as a secret every
    # worker of a fleet receives (a mounted file, or an environment variable); never sent through the API.
    # Unset: the first machine makes them under $home/provenance/ (copy signer.key.pem and signer.chain.pem
    # from there into the secret). A worker whose key is not the installation's refuses to start.
    key_file: Path | None = None  # AZUR_PROVENANCE__KEY_FILE: the private key (PEM)
    cert_file: Path | None = None  # AZUR_PROVENANCE__CERT_FILE: the certificate chain (PEM)
    key_pem: SecretStr | None = None  # AZUR_PROVENANCE__KEY_PEM: the private key itself
    cert_pem: str | None = None  # AZUR_PROVENANCE__CERT_PEM: the chain itself


def _check_audio(value: Any) -> Any:
    """An ``audio`` option as the API takes it ("none" or {"voiceover": ..., "music": ..., "effects": ...})."""
    if value is None:
        return value
    from azur.engine.request import InvalidRequest
    from azur.sound.spec import parse_audio

    try:
        spec = parse_audio(value)
    except InvalidRequest as exc:
        raise ValueError(exc.message) from None
    if spec.voiceover is not None:
        raise ValueError("a default audio cannot hold a voice-over: its text is the user's")
    return value


class SoundSettings(BaseModel):
    """Sound under every video (``azur.sound``): what a request that says nothing about ``audio`` gets."""

    # "none", or e.g. {music = {mood = "calm", intensity = 0.4}, effects = true}; a plan's default_audio wins.
    default_audio: str | dict[str, Any] = "none"

    @field_validator("default_audio")
    @classmethod
    def _audio(cls, value: Any) -> Any:
        return _check_audio(value)


class PlanSettings(BaseModel):
    """One plan. Limits are per calendar month in ``Settings.billing_timezone``."""

    name: str  # shown to users ("Plus")
    videos_per_month: int  # accepted videos a month (failed and deleted-before-start ones are refunded)
    max_seconds: int  # the longest video a request may ask for
    max_resolution: int  # the largest short side: 480, 720 or 1080
    concurrent_jobs: int = 1  # jobs of one user running at once; more wait in the queue
    priority: int = 0  # higher starts first
    visible_mark: bool = False  # force the visible "AI" mark on this plan's videos
    credits_per_month: int = 0  # credits granted each month (0: credits are not limited)
    relaxed: bool = False  # over quota, queue at the lowest priority instead of refusing
    default_audio: str | dict[str, Any] | None = None  # sound when a request names none (None: [sound]'s)

    @field_validator("default_audio")
    @classmethod
    def _audio(cls, value: Any) -> Any:
        return _check_audio(value)


def _default_plans() -> dict[str, PlanSettings]:
    return {
        "free": PlanSettings(name="Free", videos_per_month=10, max_seconds=5, max_resolution=480,
                             concurrent_jobs=1, priority=0, visible_mark=True, credits_per_month=50),
        "plus": PlanSettings(name="Plus", videos_per_month=50, max_seconds=10, max_resolution=720,
                             concurrent_jobs=2, priority=10, credits_per_month=1000),
        "pro": PlanSettings(name="Pro", videos_per_month=500, max_seconds=20, max_resolution=1080,
                            concurrent_jobs=4, priority=20, credits_per_month=40000, relaxed=True),
    }


class CreditSettings(BaseModel):
    """The price of a video in credits: ceil(seconds x per_second[resolution]), resolution = short side."""

    per_second: dict[int, int] = Field(default_factory=lambda: {480: 1, 720: 2, 1024: 3, 1080: 4})


SAFETY_CATEGORIES = (
    "sexual_minors", "sexual", "violence", "hate", "self_harm", "public_figure", "operator_blocklist", "likeness",
)


class ModerationModelSettings(BaseModel):
    """The optional second line of prompt moderation: a model that reads meaning, behind an OpenAI-compatible
    endpoint the operator runs (vLLM or SGLang beside the GPUs, or any ``/v1/moderations`` service). The word
    rules run first; a prompt they allow is then sent here. Off while ``url`` is unset."""

    url: str | None = None  # base URL of the API, e.g. "http://gpu-1:8001/v1" (Azur adds the route)
    # moderations: POST {url}/moderations (OpenAI's shape); llama-guard / shieldgemma: that model behind
    # POST {url}/chat/completions, answering "safe" / "unsafe\nS1,S10" or "Yes" / "No".
    kind: Literal["moderations", "llama-guard", "shieldgemma"] = "moderations"
    model: str | None = None  # the served model's name, sent in each request (omitted when None)
    api_key: SecretStr | None = None  # sent as "Authorization: Bearer ..." when set
    timeout_seconds: float = Field(5.0, gt=0, le=120)  # a slower answer counts as no answer
    # No usable answer (unreachable, too slow, an error status, a reply that cannot be read): True refuses
    # the request (503, moderation_unavailable); False lets the word rules' verdict stand and audits the skip.
    fail_closed: bool = True


class SafetySettings(BaseModel):
    """Prompt, upload and output moderation (``azur.safety``). Phrases match case-, accent- and spacing-blind."""

    check_outputs: bool = True  # inspect frames of every finished video (nudity) before it is stored
    output_frames: int = 3  # how many evenly spaced frames of a finished video are inspected
    block_phrases: list[str] = Field(default_factory=list)  # operator block list: refused as "operator_blocklist"
    allow_phrases: list[str] = Field(default_factory=list)  # removed before matching ("Magic Johnson Park")
    # Category toggles: False turns a prompt category off. "sexual_minors" cannot be turned off.
    categories: dict[str, bool] = Field(default_factory=lambda: {c: True for c in SAFETY_CATEGORIES})
    nudity_threshold: float = 0.5  # NudeNet score from which an EXPOSED_* box counts as nudity
    nudity_labels: list[str] = Field(default_factory=lambda: [
        "FEMALE_BREAST_EXPOSED", "FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED", "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    ])  # NudeNet classes that count as nudity (MALE_BREAST, BELLY, FEET, ARMPITS_EXPOSED do not)
    nudity_min_skin: float = 0.2  # share of skin-toned pixels a colour box needs (NudeNet fires on flat shapes)
    face_threshold: float = 0.4  # NudeNet FACE_* score from which a face counts
    photoreal_min_texture: float = 0.25  # share of fine-textured pixels in a face box for it to count as a photo
    model: ModerationModelSettings = Field(default_factory=ModerationModelSettings)  # [safety.model]

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: dict[str, bool]) -> dict[str, bool]:
        unknown = sorted(set(value) - set(SAFETY_CATEGORIES))
        if unknown:
            raise ValueError(f"unknown safety categories {unknown}; known: {list(SAFETY_CATEGORIES)}")
        if value.get("sexual_minors") is False:
            raise ValueError("the safety category 'sexual_minors' cannot be turned off")
        return {**{c: True for c in SAFETY_CATEGORIES}, **value}


class MediaLimits(BaseModel):
    """What an image or video a user sends (or names) may declare in its headers; checked before anything is
    decoded, and again while decoding (``azur.media.limits``). A decoded frame costs 3-4 bytes a pixel, and
    FFmpeg keeps several frames in flight: the caps below keep one upload under ~100 MB of memory."""

    max_image_pixels: int = Field(4096 * 4096, ge=1)  # width x height of an image (Pillow's own cap is ~89 Mpx)
    max_video_pixels: int = Field(4096 * 2160, ge=1)  # width x height of one video frame (4K DCI)
    max_video_side: int = Field(4096, ge=1)  # the longer side of a video frame
    max_video_frames: int = Field(7200, ge=1)  # frames a video may hold (5 minutes at 24 fps)
    max_video_seconds: float = Field(300.0, gt=0)  # duration a video may declare


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1  # job workers started inside `azur serve` (0: only external `azur worker`s)
    worker_models: list[str] | None = None  # models those workers run (None: any; GPU models on other machines)
    poll_after_ms: int = 1000  # sent as the openai-poll-after-ms header while a job is running
    max_upload_bytes: int = 20 * 1024 * 1024  # the largest uploaded file (image or video); larger answer 413
    # The largest body that carries no file (JSON without an image, forms): room for a 32,000-character prompt
    # (OpenAI's limit) of 4-byte UTF-8 characters, escaped, and the other fields.
    max_json_bytes: int = 256 * 1024
    list_limit: int = 20  # GET /v1/videos page size when `limit` is not given (at most 100)
    max_characters: int = Field(100, ge=0)  # characters one user may keep (POST /v1/videos/characters)
    # Key guessing: this many wrong API keys from one address within the window, and that address is answered
    # 429 (even with a right key) until the oldest of them leaves the window. 0 turns the limit off.
    auth_failures_allowed: int = Field(10, ge=0)
    auth_failure_window_seconds: float = Field(300.0, gt=0)
    # GET /metrics (Prometheus) answers only "Authorization: Bearer <token>" when set; unset, anyone who
    # reaches the port may read queue depths per model and plan (keep it on the cluster network then).
    metrics_token: SecretStr | None = None


class OutboundSettings(BaseModel):
    """Requests the server sends to URLs its users chose (webhooks, image URLs): see azur.outbound."""

    # Private, loopback and link-local targets are refused unless allowed: everything (allow_private), or
    # listed networks ("10.0.0.0/8", "127.0.0.1/32") for a receiver inside the operator's own network.
    allow_private: bool = False
    allowed_networks: list[str] = Field(default_factory=list)
    allowed_ports: list[int] = Field(default_factory=lambda: [80, 443, 8080, 8443])
    timeout_seconds: float = Field(10.0, gt=0, le=300)  # whole request, connect to last byte
    max_bytes: int = Field(20 * 1024 * 1024, ge=1)  # the largest answer read
    # Fetch the web URL of an input_reference ({"image_url": "https://..."}); off: only data URLs are taken.
    fetch_image_urls: bool = False

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for net in value:
            ipaddress.ip_network(net, strict=False)  # raises ValueError with the bad entry
        return value


class BatchSettings(BaseModel):
    """Batches of video requests (``/v1/batches``, see azur.batches), advanced by a loop in ``azur serve``."""

    poll_seconds: float = Field(2.0, gt=0)  # how often batches are advanced (lines submitted, ends noticed)
    max_requests: int = Field(50_000, ge=1)  # lines one input file may hold (OpenAI's limit)
    lines_per_round: int = Field(200, ge=1)  # lines one round submits per batch: a cancel is noticed between


class WebhookSettings(BaseModel):
    """Signed event deliveries to the URLs users register (``azur.webhooks``); targets go through the
    ``[outbound]`` guard."""

    deliver_in_server: bool = True  # `azur serve` runs the delivery loop (else `azur webhooks deliver` / a worker)
    timeout_seconds: float = Field(5.0, gt=0, le=30)  # a receiver slower than this counts as a failed attempt
    # A claimed delivery whose deliverer died (kill -9, power loss) is sent again once this has passed; longer
    # than the timeout, so a live attempt is never sent twice at once.
    lease_seconds: float = Field(30.0, gt=0)
    retry_base_seconds: float = Field(5.0, gt=0)  # the wait after the first failed attempt; doubles each time
    retry_max_interval_seconds: float = Field(3600.0, gt=0)  # the longest wait between two attempts
    retry_window_hours: float = Field(24.0, gt=0)  # an event not delivered within this is marked failed
    poll_seconds: float = Field(1.0, gt=0)  # how often an idle delivery loop looks for due deliveries
    log_retention_days: int = Field(30, ge=1)  # finished deliveries (the log) are removed after this

    @model_validator(mode="after")
    def _lease_outlasts_timeout(self) -> WebhookSettings:
        if self.lease_seconds <= self.timeout_seconds:
            raise ValueError(f"webhooks.lease_seconds ({self.lease_seconds:g}) must be longer than "
                             f"webhooks.timeout_seconds ({self.timeout_seconds:g})")
        return self


class StoryboardChatSettings(BaseModel):
    """An OpenAI-compatible chat model that drafts storyboards from a script (optional; the operator's own,
    trusted URL). Unset: drafts come from Azur's deterministic rules."""

    url: str | None = None  # base URL, e.g. "http://127.0.0.1:8001/v1" (POST {url}/chat/completions)
    model: str | None = None  # the model name sent in the request
    api_key: str | None = None  # sent as a Bearer token when set
    timeout_seconds: float = Field(30.0, gt=0, le=300)


class StoryboardSettings(BaseModel):
    """Storyboards: several shots made into one video (azur.storyboard)."""

    max_shots: int = Field(12, ge=1, le=100)  # shots one storyboard may hold
    crossfade_seconds: float = Field(0.5, gt=0, le=2.0)  # length of a crossfade between two shots
    loop_seconds: float = Field(0.5, gt=0, le=2.0)  # length of the dissolve that closes a loop
    max_script_chars: int = Field(8000, ge=100)  # the longest script a draft reads
    chat: StoryboardChatSettings = Field(default_factory=StoryboardChatSettings)


class QueueSettings(BaseModel):
    lease_seconds: float = 60.0  # a claimed job whose worker stops heart-beating is reclaimed after this
    heartbeat_seconds: float = 5.0  # how often a running worker renews its lease
    max_attempts: int = 3  # a job that fails (or loses its worker) this many times ends `failed`
    poll_seconds: float = 0.5  # how often an idle worker looks for work
    progress_seconds: float = 0.5  # a running job writes its progress to the database at most this often


class PresetOptions(BaseModel):
    """A model's own sampling preset for one quality (unset fields: the derived preset's)."""

    model_config = ConfigDict(extra="forbid")

    steps: int | None = Field(None, ge=1, le=200)
    guidance: float | None = Field(None, ge=0.0, le=30.0)
    shift: float | None = Field(None, gt=0.0, le=50.0)
    scheduler: Literal["default", "euler", "unipc"] | None = None


class ModelOptions(BaseModel):
    """How one open-weight model runs. Every field left unset takes its family's default (see
    ``azur.engine.backends.diffusers_base``). Set per model with ``azur models add --option KEY=VALUE`` or in
    ``azur.toml`` under ``[models.NAME]``; the file wins over the catalog."""

    model_config = ConfigDict(extra="forbid")

    # Sampling
    steps: int | None = Field(None, ge=1, le=200)  # denoising steps
    guidance: float | None = Field(None, ge=0.0, le=30.0)  # classifier-free guidance scale (1: off)
    negative_prompt: str | None = None
    distilled: bool | None = None  # a few-step distilled checkpoint: 8 steps, guidance 1 unless set
    shift: float | None = Field(None, gt=0.0, le=50.0)  # flow-matching timestep shift (the scheduler's)
    scheduler: Literal["default", "euler", "unipc"] | None = None  # default: the checkpoint's own
    # quality (draft / standard / high) → sampling; unset ones are derived (see azur.engine.presets)
    presets: dict[Literal["draft", "standard", "high"], PresetOptions] | None = None
    decode_timestep: float | None = None  # LTX 0.9.1+ VAE decode noise (0.05 recommended there)
    decode_noise_scale: float | None = None  # LTX 0.9.1+ (0.025 recommended there)
    max_sequence_length: int | None = Field(None, ge=8, le=1024)  # prompt tokens the text encoder reads
    styles: bool | None = None  # append the style preset's words to the prompt (default true)
    # Shape of one generation window (the model's native constraints stay enforced on top)
    fps: int | None = Field(None, ge=1, le=60)  # the frame rate the model was trained at
    area: int | None = Field(None, ge=256)  # pixels per frame (width x height) to generate at
    max_frames: int | None = Field(None, ge=5)  # longest window; longer clips are extended window by window
    overlap_frames: int | None = Field(None, ge=1)  # frames each new window continues from
    # Memory
    dtype: Literal["auto", "bf16", "fp16", "fp32"] | None = None  # auto: bf16 on a GPU, fp32 on a CPU
    memory: Literal["gpu", "model_offload", "group_offload", "sequential_offload"] | None = None
    vae_tiling: bool | None = None  # decode in tiles: less memory at 720p and up
    vae_slicing: bool | None = None
    quantize: Literal["none", "fp8_layerwise", "int8", "nf4"] | None = None  # the transformer's weights
    # Speed
    cache: Literal["none", "first_block", "mag"] | None = None  # step caching
    cache_threshold: float | None = Field(None, gt=0.0, le=1.0)
    mag_ratios: list[float] | None = None  # per-model MagCache calibration (cache = "mag" needs them)
    compile: bool | None = None  # torch.compile the transformer's repeated blocks (GPU only)


class RemoteEngineOptions(BaseModel):
    """How one remote engine (family ``openai-videos``: SGLang-Diffusion, vLLM-Omni, another Azur) is called.
    Set with ``azur models add NAME --family openai-videos --url URL --option KEY=VALUE``.

    The create request always carries OpenAI's fields (``prompt``, ``seconds``, ``size``, and ``model`` when
    ``--remote-model`` is set); the fields below are added only when set, because a strict server (OpenAI's,
    Azur's own) refuses fields it does not know."""

    model_config = ConfigDict(extra="forbid")

    # Extra fields, sent as given (SGLang-Diffusion and vLLM-Omni take them; Azur and OpenAI do not)
    num_inference_steps: int | None = Field(None, ge=1, le=200)
    guidance_scale: float | None = Field(None, ge=0.0, le=30.0)
    negative_prompt: str | None = None
    fps: int | None = Field(None, ge=1, le=60)  # the frame rate asked of the remote (sent as "fps")
    size: str | None = Field(None, pattern=r"^[0-9]{2,5}x[0-9]{2,5}$")  # the remote's own size (e.g. "832x480")
    # Fields derived from the request, sent when listed: "width", "height", "num_frames" (seconds x fps),
    # "seed", "style" (Azur's). Default: the seed, which SGLang-Diffusion, vLLM-Omni and Azur all take.
    send: list[Literal["width", "height", "num_frames", "seed", "style"]] = Field(default_factory=lambda: ["seed"])
    # Time and retries
    timeout_seconds: float = Field(1800.0, gt=0)  # the remote job must finish within this, else the video fails
    request_timeout_seconds: float = Field(30.0, gt=0)  # one HTTP request (the download: between two reads)
    max_retries: int = Field(5, ge=0, le=50)  # per request: 429, 5xx and connection errors, with backoff
    max_backoff_seconds: float = Field(30.0, gt=0)  # the longest wait between two tries (Retry-After included)
    poll_seconds: float = Field(2.0, gt=0)  # between two status polls when the remote sends no openai-poll-after-ms
    delete_remote: bool = True  # delete the remote's copy once downloaded (and cancel it when Azur gives up)


class Settings(BaseSettings):
    """Azur's settings. Environment: ``AZUR_<FIELD>``, nested with ``__`` (``AZUR_SERVER__PORT=9000``)."""

    model_config = SettingsConfigDict(env_prefix="AZUR_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default_factory=default_home)  # data directory: database, files, keys
    database_url: str | None = None  # default: sqlite:///$home/azur.db
    storage_dir: Path | None = None  # default: $home/files (a local directory; storage_url, when set, wins)
    # Where videos, stills and uploads are stored: a local directory (the default: storage_dir) or
    # "s3://BUCKET/PREFIX" on an S3-compatible store, shared by every machine of a fleet. Credentials come
    # from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ~/.aws, an instance role).
    storage_url: str | None = None
    s3_endpoint_url: str | None = None  # a non-AWS store: "http://minio:9000" (MinIO, Ceph, Garage, R2); None: AWS
    s3_region: str | None = None  # the store's region when it needs one (None: boto3's chain, AWS_DEFAULT_REGION)
    s3_multipart_mb: int = Field(64, ge=5, le=5120)  # files larger than this are uploaded in parts this size
    # Downloads: False streams the file through the API (Range requests honoured); True answers a redirect to
    # a presigned URL of the store, valid storage_presigned_seconds (the bytes then skip the API).
    storage_presigned_downloads: bool = False
    storage_presigned_seconds: int = Field(300, ge=1, le=7 * 86400)
    default_model: str = "azur-tiny"  # the backend used when a request names none
    fps: int = 24  # output frame rate of every video
    log_format: Literal["text", "json"] = "text"  # json: one object a line, with the video id (azur.logs)
    max_seconds: int = 20  # the longest video a request may ask for (plans may allow less)
    video_retention_days: int = 30  # finished videos expire after this (expires_at in the API); then purged
    # Uploaded files (/v1/files) and batches' output files are purged this long after they were made.
    file_retention_days: int = Field(30, ge=1)
    prompt_retention_days: int | None = None  # prompts are blanked after this many days (None: kept with the row)
    purge_interval_minutes: float = 60.0  # how often `azur serve` purges expired videos and prompts
    # Stored files no video row owns are removed by the purge once this old (a younger one may be mid-write).
    orphan_grace_minutes: float = Field(60.0, ge=1.0)
    provenance: ProvenanceSettings = Field(default_factory=ProvenanceSettings)
    plans: dict[str, PlanSettings] = Field(default_factory=_default_plans)  # by plan id
    default_plan: str = "free"  # the plan of `azur users add` without --plan
    credits: CreditSettings = Field(default_factory=CreditSettings)
    billing_timezone: str = "UTC"  # quota months are calendar months in this zone
    server: ServerSettings = Field(default_factory=ServerSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    batches: BatchSettings = Field(default_factory=BatchSettings)  # [batches]
    safety: SafetySettings = Field(default_factory=SafetySettings)
    media: MediaLimits = Field(default_factory=MediaLimits)  # what uploaded images and videos may declare
    outbound: OutboundSettings = Field(default_factory=OutboundSettings)  # [outbound]: user-chosen URLs
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)  # [webhooks]: event deliveries
    sound: SoundSettings = Field(default_factory=SoundSettings)  # [sound]: default audio of videos
    storyboard: StoryboardSettings = Field(default_factory=StoryboardSettings)  # [storyboard], [storyboard.chat]
    # Per-model options, e.g. [models.wan-1.3b] memory = "model_offload"; override the catalog's options.
    models: dict[str, ModelOptions] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'azur.db'}"

    @property
    def resolved_storage_dir(self) -> Path:
        return self.storage_dir or self.home / "files"

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        scheme, sep, rest = value.partition("://")
        if not sep:
            return value  # a local directory
        if scheme != "s3":
            raise ValueError(f"storage_url '{value}': use a local directory or s3://BUCKET/PREFIX "
                             f"(got scheme '{scheme}')")
        if not rest.split("/", 1)[0]:
            raise ValueError(f"storage_url '{value}' names no bucket: use s3://BUCKET/PREFIX")
        return value


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the optional TOML file; a missing default file is fine, a missing named one is an error."""

    def __call__(self) -> dict[str, Any]:
        named = os.environ.get("AZUR_CONFIG")
        if named:
            path = Path(named)
            if not path.is_file():
                raise FileNotFoundError(f"AZUR_CONFIG names {path}, which does not exist")
        else:
            home = Path(os.environ.get("AZUR_HOME") or default_home())
            path = home / "azur.toml"
            if not path.is_file():
                return {}
        with path.open("rb") as f:
            return tomllib.load(f)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns the whole mapping


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
