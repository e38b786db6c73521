"""Moderation of prompts (English and French word matching with context rules) and of images (uploads and
finished videos: NudeNet for nudity, NudeNet and OpenCV for faces). Nothing is downloaded at run time.

The category strings are stable: they are the ``param`` of ``moderation_blocked`` API errors.
"""

from azur.safety.images import ImageFinding, ImageModerator
from azur.safety.prompts import CATEGORY_ORDER, ModerationResult, PromptModerator

CATEGORIES = (*CATEGORY_ORDER, "likeness")

__all__ = ["CATEGORIES", "ImageFinding", "ImageModerator", "ModerationResult", "PromptModerator"]
