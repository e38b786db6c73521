"""The database tables: users, their API keys, videos (each video row is also its job) and characters.

A video and the job that makes it share one row: the API reads what the worker writes (status, progress,
error) without a join, and a job is committed in the same transaction that accepts the request. The job
columns (``priority``, ``attempts``, ``lease_*``) are only touched through :mod:`azur.jobs.queue`.

Times are Unix seconds as floats (the API shows them rounded down to whole seconds); ``created_at`` with
the id breaks ties in list order.

Integer ids are never reused: SQLite would otherwise hand the id of the newest deleted row (an erased user)
to the next one, and anything still naming that id would then name someone else. Postgres sequences never
go back; on SQLite the tables with integer ids are declared AUTOINCREMENT (``NEVER_REUSED_IDS``).
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Double, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


# SQLite's AUTOINCREMENT: a new row gets an id above every id the table ever had, not max(id) + 1.
NEVER_REUSED_IDS = {"sqlite_autoincrement": True}


class VideoStatus(str, enum.Enum):
    """The lifecycle of a video job, as OpenAI's Videos API names it."""

    queued = "queued"
    in_progress = "in_progress"
    completed = "completed"
    failed = "failed"


class VideoKind(str, enum.Enum):
    """How a video was asked for; remixes, extensions, edits and blends start from other videos."""

    create = "create"
    remix = "remix"
    extension = "extension"
    edit = "edit"
    blend = "blend"  # a transition from the end of one video to the start of another


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    plan: Mapped[str] = mapped_column(String(50), default="free")  # not enforced yet (plans come later)
    created_at: Mapped[float] = mapped_column(Double)

    keys: Mapped[list[ApiKey]] = relationship(back_populates="user", cascade="all, delete-orphan")

    __table_args__ = NEVER_REUSED_IDS


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the key; the key itself is never stored
    prefix: Mapped[str] = mapped_column(String(20))  # the first characters, so a user can tell keys apart
    created_at: Mapped[float] = mapped_column(Double)
    revoked_at: Mapped[float | None] = mapped_column(Double, default=None)

    user: Mapped[User] = relationship(back_populates="keys")

    __table_args__ = NEVER_REUSED_IDS


class Video(Base):
    __tablename__ = "videos"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "video_" + uuid4 hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default=VideoKind.create.value)
    status: Mapped[str] = mapped_column(String(20), default=VideoStatus.queued.value)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0-100
    created_at: Mapped[float] = mapped_column(Double)
    started_at: Mapped[float | None] = mapped_column(Double, default=None)
    completed_at: Mapped[float | None] = mapped_column(Double, default=None)
    expires_at: Mapped[float | None] = mapped_column(Double, default=None)

    # What was asked, already validated (see azur.engine.request.make_request).
    model: Mapped[str] = mapped_column(String(100))
    prompt: Mapped[str] = mapped_column(Text)
    seconds: Mapped[float] = mapped_column(Double)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    style: Mapped[str] = mapped_column(String(20))
    # Storage key of a first frame (an upload, or the last frame of an extended video), if any.
    first_frame_key: Mapped[str | None] = mapped_column(String(300), default=None)
    remixed_from_video_id: Mapped[str | None] = mapped_column(String(40), default=None)
    source_video_id: Mapped[str | None] = mapped_column(String(40), default=None)  # extension / edit source
    # Storage keys of the finished files: {"video": ..., "thumbnail": ..., "spritesheet": ...}.
    files: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    notes: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    # What the request asked for beyond the fields above, by option name ({"audio": {...}, "loop": true, ...});
    # each option's own module reads its key. None: nothing more was asked.
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # How the finished video is marked: {"c2pa_signed": bool, "watermark_id": "tag:ref", "visible_mark": bool}.
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error_code: Mapped[str | None] = mapped_column(String(50), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)

    # The job: claimed by priority (higher first), then age. See azur.jobs.queue.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # Jobs of this video's owner that may run at once (from the plan when accepted); more wait queued.
    running_limit: Mapped[int] = mapped_column(Integer, default=1)
    cost_credits: Mapped[int] = mapped_column(Integer, default=0)  # what the reservation took
    visible_mark: Mapped[bool] = mapped_column(Boolean, default=False)  # the plan or server wants the "AI" label
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200), default=None)
    lease_expires_at: Mapped[float | None] = mapped_column(Double, default=None)

    __table_args__ = (
        Index("ix_videos_user_created", "user_id", "created_at", "id"),
        Index("ix_videos_claim", "status", "priority", "created_at"),
    )

    @property
    def size_text(self) -> str:
        return f"{self.width}x{self.height}"


class Character(Base):
    """A character (OpenAI's "cameo"): a saved appearance a user reuses across clips (see azur.characters).
    ``reference_key`` is the stored picture it was made from (an image, or a video's frame)."""

    __tablename__ = "characters"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "char_" + uuid4 hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))  # unique per user: a prompt may name it
    created_at: Mapped[float] = mapped_column(Double)
    # The look, in the embedded model's words (azur.embedded.world): colour, shape, and the object's reach
    # from its centre in short sides of the picture.
    object_color: Mapped[str] = mapped_column(String(20))
    shape: Mapped[str] = mapped_column(String(20))
    size: Mapped[float] = mapped_column(Double)
    reference_key: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(10))  # "image" or "video": what was uploaded
    likeness_consent: Mapped[bool] = mapped_column(Boolean, default=False)  # vouched for a real person shown

    __table_args__ = (Index("ux_characters_user_name", "user_id", "name", unique=True),
                      Index("ix_characters_user_created", "user_id", "created_at", "id"))


class LedgerKind(str, enum.Enum):
    """Rows of the usage ledger. Usage is always the sum of rows, never a counter that could drift."""

    reserve = "reserve"  # a video accepted: +1 video, +cost credits
    charge = "charge"  # the video was made: its reservation is final (no amounts of its own)
    refund = "refund"  # failed, or deleted before it started: -1 video, -cost credits
    grant = "grant"  # credits given by an admin for one month: credits < 0 (negative spending)


class UsageEntry(Base):
    __tablename__ = "usage_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SET NULL, not CASCADE: erasing a user anonymises their ledger, which the operator's books still need.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    video_id: Mapped[str | None] = mapped_column(String(40), default=None)
    kind: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(7))  # billing month "YYYY-MM" in the billing time zone
    videos: Mapped[int] = mapped_column(Integer, default=0)
    credits: Mapped[int] = mapped_column(Integer, default=0)
    plan: Mapped[str] = mapped_column(String(50))  # the plan at the time, for the books
    note: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[float] = mapped_column(Double)

    __table_args__ = (
        Index("ix_usage_user_period", "user_id", "period"),
        # Exactly once by construction: a video has one reservation and is settled once (charged or refunded,
        # never both, never twice), whatever races between a DELETE, a worker and a lease expiry.
        # azur.accounts.ledger inserts with ON CONFLICT DO NOTHING against these.
        Index("ux_usage_reserve_once", "video_id", unique=True,
              sqlite_where=text("kind = 'reserve'"), postgresql_where=text("kind = 'reserve'")),
        Index("ux_usage_settle_once", "video_id", unique=True,
              sqlite_where=text("kind IN ('charge', 'refund')"), postgresql_where=text("kind IN ('charge', 'refund')")),
        NEVER_REUSED_IDS,
    )


class AuditEntry(Base):
    """Who did what, when: moderation decisions, consents, exports, erasures. Never the user's content
    (no prompt, no image): only categories, ids and counts, so an erased user leaves nothing here."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Double)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # "user:<id>", "admin" (CLI), "system" (worker, purge); "user:erased-<token>" once the user is erased.
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))  # e.g. "moderation.prompt_blocked", "gdpr.erase"
    video_id: Mapped[str | None] = mapped_column(String(40), default=None)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    __table_args__ = (Index("ix_audit_at", "at"), NEVER_REUSED_IDS)


class UserFile(Base):
    """A file a user uploaded (``POST /v1/files``) or a batch wrote for them (its output and error files).
    The bytes live in storage under ``files/<id>``; see :mod:`azur.files`."""

    __tablename__ = "files"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "file-" + uuid4 hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    purpose: Mapped[str] = mapped_column(String(20))  # batch, vision, user_data; batch_output for a batch's files
    bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float | None] = mapped_column(Double, default=None)  # then purged (azur.accounts.privacy)

    __table_args__ = (Index("ix_files_user_created", "user_id", "created_at", "id"),)


class Batch(Base):
    """A batch of video requests (``POST /v1/batches``); its lines are :class:`BatchRequest` rows and the
    videos they made. State lives here so that a restart resumes it (see :mod:`azur.batches`)."""

    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "batch_" + uuid4 hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(String(100))
    input_file_id: Mapped[str] = mapped_column(String(40))
    completion_window: Mapped[str] = mapped_column(String(10))
    # validating, in_progress, finalizing, completed, failed, expired, cancelling, cancelled (OpenAI's names)
    status: Mapped[str] = mapped_column(String(20))
    total: Mapped[int] = mapped_column(Integer, default=0)  # lines in the input file, once validated
    output_file_id: Mapped[str | None] = mapped_column(String(40), default=None)
    error_file_id: Mapped[str | None] = mapped_column(String(40), default=None)
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)  # why validation failed
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON, default=None)
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    in_progress_at: Mapped[float | None] = mapped_column(Double, default=None)
    finalizing_at: Mapped[float | None] = mapped_column(Double, default=None)
    completed_at: Mapped[float | None] = mapped_column(Double, default=None)
    failed_at: Mapped[float | None] = mapped_column(Double, default=None)
    expired_at: Mapped[float | None] = mapped_column(Double, default=None)
    cancelling_at: Mapped[float | None] = mapped_column(Double, default=None)
    cancelled_at: Mapped[float | None] = mapped_column(Double, default=None)

    __table_args__ = (
        Index("ix_batches_user_created", "user_id", "created_at", "id"),
        Index("ix_batches_status", "status"),
    )


class BatchRequest(Base):
    """One line of a batch once submitted: the video it made, or why it was refused."""

    __tablename__ = "batch_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "batch_req_" + uuid4 hex
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)  # 1-based line number in the input file
    custom_id: Mapped[str] = mapped_column(String(512))
    video_id: Mapped[str | None] = mapped_column(String(40), default=None)  # None: refused when submitted
    # A refused line: the HTTP status and error envelope a single request would have got.
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[float] = mapped_column(Double)

    # One row per line, whichever process submits it: a second submission of the same line fails here.
    __table_args__ = (Index("ux_batch_requests_line", "batch_id", "line", unique=True),)


class WebhookEndpoint(Base):
    """A URL a user registered to receive signed events (``azur.webhooks``). The signing secret is kept as
    given (not hashed): every delivery is signed with it. It is shown to the user once, at creation."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "whep_" + uuid4 hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(100))  # "whsec_" + base64 of 32 random bytes
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class DeliveryStatus(str, enum.Enum):
    pending = "pending"  # waiting for its next attempt (or being attempted, while its lease runs)
    delivered = "delivered"  # the receiver answered 2xx
    failed = "failed"  # no 2xx within webhooks.retry_window_hours


class WebhookDelivery(Base):
    """One event for one endpoint: the durable outbox and, once sent, the delivery log.

    Rows are written in the transaction that changes what the event reports (a video completing), so an
    event exists exactly when its cause does. A deliverer claims a row with a lease; a row whose lease ran
    out (its deliverer died mid-request) is claimed again: at least once, never lost."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "whdel_" + uuid4 hex
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(40))  # "evt_...": the webhook-id header, same on every attempt
    event_type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text)  # the exact JSON body that is signed and sent
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Double)
    next_attempt_at: Mapped[float] = mapped_column(Double)
    delivered_at: Mapped[float | None] = mapped_column(Double, default=None)
    last_attempt_at: Mapped[float | None] = mapped_column(Double, default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    lease_owner: Mapped[str | None] = mapped_column(String(200), default=None)
    lease_expires_at: Mapped[float | None] = mapped_column(Double, default=None)

    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at", "id"),
    )


class InstalledModel(Base):
    """One entry of the model catalog (``azur models add``), shared by every machine of a fleet. ``spec`` is
    :meth:`azur.engine.catalog.ModelSpec.to_json` (family, folder, options), read back with ``from_json``."""

    __tablename__ = "installed_models"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    family: Mapped[str] = mapped_column(String(40))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[float] = mapped_column(Double)


class WorkerRecord(Base):
    """A running worker, on any machine: written at start, refreshed by its heartbeat (``last_seen``). A
    worker whose heartbeat stopped (killed, machine gone) is not live; ``azur workers list`` shows it until
    it is forgotten. See :mod:`azur.jobs.fleet`."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid:random, the lease owner's name
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    models: Mapped[list[str] | None] = mapped_column(JSON, default=None)  # what it serves (None: any model)
    gpus: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)  # [{"name", "memory_gb"}]
    current_video_id: Mapped[str | None] = mapped_column(String(40), default=None)
    started_at: Mapped[float] = mapped_column(Double)
    last_seen: Mapped[float] = mapped_column(Double)
    stopped_at: Mapped[float | None] = mapped_column(Double, default=None)  # a clean stop; None while running

    __table_args__ = (Index("ix_workers_last_seen", "last_seen"),)


class InstallationRecord(Base):
    """The installation's identity, one row (``id = 1``): every machine signs and watermarks as this
    installation. Only public material lives here; the signing key reaches workers as a secret."""

    __tablename__ = "installation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[str] = mapped_column(String(32))  # 32 hex digits, in manifests and the watermark
    ca_cert_pem: Mapped[str | None] = mapped_column(Text, default=None)  # trust anchor of its signatures
    created_at: Mapped[float] = mapped_column(Double)
