"""Moderation applied to requests and results, with each decision written to the audit log.

The API calls :meth:`SafetyGuard.check_prompt` and :meth:`check_upload` before it accepts a job (a refusal
queues and charges nothing); workers call :meth:`check_output` on a finished video's frames before
storing it. Models are loaded once per process, at first use.
"""

from __future__ import annotations

import threading

import numpy as np

from azur.config import Settings
from azur.db.session import Database
from azur.safety import audit
from azur.safety.prompts import ModerationResult, PromptModerator


class Blocked(Exception):
    """A prompt, upload or output was refused. ``category`` is one of :data:`azur.safety.CATEGORIES`."""

    def __init__(self, result: ModerationResult, *, param: str) -> None:
        super().__init__(result.message)
        self.category = result.category or "policy"
        self.message = result.message or "This request was refused by the content policy."
        self.param = param


class SafetyGuard:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.prompts = PromptModerator(settings.safety)
        self._images = None
        self._lock = threading.Lock()

    @property
    def images(self):  # noqa: ANN201 - ImageModerator, loaded on first use (NudeNet + OpenCV, ~1 s)
        with self._lock:
            if self._images is None:
                from azur.safety.images import ImageModerator

                self._images = ImageModerator(self.settings.safety)
            return self._images

    def check_prompt(self, user_id: int | None, prompt: str) -> None:
        result = self.prompts.check(prompt)
        if not result.allowed:
            audit.record(self.db, "moderation.prompt_blocked", user_id=user_id, detail={"category": result.category})
            raise Blocked(result, param="prompt")

    def check_upload(self, user_id: int | None, image: np.ndarray, *, likeness_consent: bool) -> None:
        result = self.images.check_upload(image, likeness_consent=likeness_consent)
        if not result.allowed:
            audit.record(self.db, "moderation.upload_blocked", user_id=user_id, detail={"category": result.category})
            raise Blocked(result, param="input_reference")
        if likeness_consent and self.images.inspect(image).photorealistic_face:
            # The user vouched for the consent of a real person shown: keep a record of that statement.
            audit.record(self.db, "likeness.consent_given", user_id=user_id)

    def check_output(self, user_id: int | None, video_id: str, frames: list[np.ndarray]) -> None:
        result = self.images.check_frames(frames)
        if not result.allowed:
            audit.record(self.db, "moderation.output_withheld", user_id=user_id, video_id=video_id,
                         detail={"category": result.category}, actor="system")
            raise Blocked(result, param="output")
