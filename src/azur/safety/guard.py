"""Moderation applied to requests and results, with each decision written to the audit log.

The API calls :meth:`SafetyGuard.check_prompt` and :meth:`check_upload` before it accepts a job (a refusal
queues and charges nothing); workers call :meth:`check_output` on a finished video's frames before
storing it. Prompts pass the word rules first, then the operator's moderation model when one is
configured. Models are loaded once per process, at first use.
"""

from __future__ import annotations

import threading

import numpy as np

from azur.config import Settings
from azur.db.session import Database
from azur.safety import audit
from azur.safety.prompts import ALLOWED, ModerationResult, PromptModerator


class Blocked(Exception):
    """A prompt, upload or output was refused. ``category`` is one of :data:`azur.safety.CATEGORIES`."""

    def __init__(self, result: ModerationResult, *, param: str) -> None:
        super().__init__(result.message)
        self.category = result.category or "policy"
        self.message = result.message or "This request was refused by the content policy."
        self.param = param


class ModerationUnavailable(Exception):
    """The moderation model gave no usable answer and ``safety.model.fail_closed`` is on: nothing is
    accepted until it answers again."""


class SafetyGuard:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.prompts = PromptModerator(settings.safety)
        self.model = None  # the second line, when an operator runs one
        if settings.safety.model.url:
            from azur.safety.moderation_model import ModerationModel

            self.model = ModerationModel(settings.safety)
        self._images = None
        self._lock = threading.Lock()

    @property
    def images(self):  # noqa: ANN201 - ImageModerator, loaded on first use (NudeNet + OpenCV, ~1 s)
        with self._lock:
            if self._images is None:
                from azur.safety.images import ImageModerator

                self._images = ImageModerator(self.settings.safety)
            return self._images

    def check_prompt(self, user_id: int | None, prompt: str, *, param: str = "prompt") -> None:
        """The word rules, then (when configured) the moderation model. Raises :class:`Blocked`, or
        :class:`ModerationUnavailable` when the model cannot answer and the guard fails closed. ``param``:
        the request field the text came from (a voice-over's text is checked like a prompt)."""
        result, by = self.prompts.check(prompt), "rules"
        if result.allowed and self.model is not None:
            result, by = self._ask_model(user_id, prompt), "model"
        if not result.allowed:
            audit.record(self.db, "moderation.prompt_blocked", user_id=user_id,
                         detail={"category": result.category, "by": by})
            raise Blocked(result, param=param)

    def _ask_model(self, user_id: int | None, prompt: str) -> ModerationResult:
        from azur.safety.moderation_model import ModerationModelUnavailable

        try:
            return self.model.check(prompt)  # type: ignore[union-attr]
        except ModerationModelUnavailable as exc:
            closed = self.settings.safety.model.fail_closed
            audit.record(self.db, "moderation.model_unavailable", user_id=user_id,
                         detail={"reason": str(exc), "request": "refused" if closed else "allowed by the rules alone"})
            if closed:
                raise ModerationUnavailable(
                    f"The moderation service is unavailable: {exc}. No video can be accepted until it answers; "
                    "try again in a moment.") from None
            return ALLOWED

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
