"""Upload and output moderation: nudity (NudeNet's ONNX detector) and photorealistic faces (NudeNet's FACE_*
boxes and OpenCV's Haar cascade), both shipped inside their wheels, nothing downloaded.

    >>> from skimage import data
    >>> moderator = ImageModerator()
    >>> moderator.check_upload(data.astronaut(), likeness_consent=False).category
    'likeness'

Nudity: a NudeNet box of a class in ``settings.nudity_labels`` scoring at least ``nudity_threshold``. NudeNet
also fires on flat synthetic shapes (a green star on black scores FEMALE_BREAST_EXPOSED 0.52, scikit-image's
colour wheel BUTTOCKS_EXPOSED 0.83), so a colour box must also be at least ``nudity_min_skin`` skin-toned
(YCrCb rule of Chai and Ngan, 1999); in a grey box, mid-grey tones stand in for skin.

Faces: NudeNet FACE_* boxes scoring at least ``face_threshold``, plus Haar frontal faces that no NudeNet box
already covers. A face is photorealistic when its box, resized to 96x96, has fine texture (|Laplacian| >= 4)
on at least ``photoreal_min_texture`` of its pixels: photographs do (0.6-0.9), flat drawings, Azur's own
frames and heavily upscaled thumbnails do not (< 0.2).

What it does not know: age (no minor detection in images), drawn or painted nudity the detector misses,
faces in profile or small faces that neither detector finds, and whether a face belongs to a real person.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from azur.config import SafetySettings
from azur.safety.prompts import ALLOWED, ModerationResult

MESSAGES = {
    "upload_nudity": "This image was refused: it contains nudity. Upload an image without nudity.",
    "likeness": "This image was refused: it shows a photorealistic human face. Confirm that you have the "
                "person's consent to use their likeness, or upload an image without a real person.",
    "frames_nudity": "This video was withheld: it contains nudity. Its credits were refunded; try a different "
                     "prompt.",
}

_FACE_SIDE = 96  # face boxes are judged at this size, so that texture does not depend on resolution
_TEXTURE_LEVEL = 4.0  # |Laplacian| from which a pixel counts as fine texture (above JPEG ringing in flat art)
_MIN_FACE = 24  # pixels: smaller Haar detections are ignored


class Detector(Protocol):
    """What ImageModerator needs from NudeNet: BGR uint8 image → [{"class", "score", "box": [x, y, w, h]}]."""

    def detect(self, image: np.ndarray) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class ImageFinding:
    """What one image shows.

    nudity: a nudity box passed the threshold and the skin check. nudity_score: the best such box's score (0
    when none). faces: faces found. photorealistic_face: one of them looks like a photograph. labels: the
    detector classes seen (NudeNet classes scoring >= 0.25, ``FACE_HAAR`` for OpenCV faces), for the audit log.
    """

    nudity: bool
    nudity_score: float
    faces: int
    photorealistic_face: bool
    labels: list[str] = field(default_factory=list)


class ImageModerator:
    """Inspects uploads (first frames) and finished videos' frames.

    settings: thresholds and category toggles (``SafetySettings``). detector: a NudeNet-like detector; by
    default NudeNet's own, loaded on first use (about 0.3 s) and then kept. Safe to share between threads.
    """

    def __init__(self, settings: SafetySettings | None = None, *, detector: Detector | None = None) -> None:
        self.settings = settings or SafetySettings()
        self._detector = detector
        self._cascade: Any = None
        self._lock = threading.Lock()

    # ---- public -------------------------------------------------------------------------------------

    def inspect(self, image: np.ndarray) -> ImageFinding:
        """Nudity and faces in one HxWx3 uint8 RGB image. Raises ValueError for any other shape or type."""
        return self._inspect(image, faces=True)

    def check_upload(self, image: np.ndarray, *, likeness_consent: bool) -> ModerationResult:
        """An uploaded first frame: nudity is refused ("sexual"); a photorealistic face is refused
        ("likeness") unless ``likeness_consent`` says the user has the person's consent (the caller records it
        in the audit log)."""
        finding = self.inspect(image)
        if finding.nudity and self.settings.categories.get("sexual", True):
            return ModerationResult(False, "sexual", MESSAGES["upload_nudity"], _describe(finding))
        if finding.photorealistic_face and not likeness_consent and self.settings.categories.get("likeness", True):
            return ModerationResult(False, "likeness", MESSAGES["likeness"], _describe(finding))
        return ALLOWED

    def check_frames(self, frames: list[np.ndarray]) -> ModerationResult:
        """A few frames of a finished video (HxWx3 uint8 RGB each): any nudity withholds it ("sexual")."""
        if not self.settings.categories.get("sexual", True):
            return ALLOWED
        for index, frame in enumerate(frames):
            finding = self._inspect(frame, faces=False)
            if finding.nudity:
                matched = f"frame {index}: {_describe(finding)}"
                return ModerationResult(False, "sexual", MESSAGES["frames_nudity"], matched)
        return ALLOWED

    # ---- inspection -----------------------------------------------------------------------------------

    def _inspect(self, image: np.ndarray, *, faces: bool) -> ImageFinding:
        if not (isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8):
            shape = getattr(image, "shape", None)
            dtype = getattr(image, "dtype", type(image).__name__)
            raise ValueError(f"expected an HxWx3 uint8 RGB image, got shape {shape} dtype {dtype}")
        import cv2  # heavy; imported on first use

        s = self.settings
        detections = self._load_detector().detect(np.ascontiguousarray(image[..., ::-1]))
        labels = sorted({d["class"] for d in detections if d["score"] >= 0.25})
        nudity_score = 0.0
        for d in detections:
            if d["class"] in s.nudity_labels and d["score"] >= s.nudity_threshold:
                if _skin_share(image, d["box"], cv2) >= s.nudity_min_skin:
                    nudity_score = max(nudity_score, float(d["score"]))
        boxes = []
        if faces:
            boxes = [d["box"] for d in detections if d["class"].startswith("FACE_") and d["score"] >= s.face_threshold]
            for box in self._haar_faces(image, cv2):
                if all(_iou(box, other) < 0.3 for other in boxes):
                    boxes.append(box)
                    labels.append("FACE_HAAR")
        photoreal = any(_texture_share(image, box, cv2) >= s.photoreal_min_texture for box in boxes)
        return ImageFinding(
            nudity=nudity_score > 0, nudity_score=round(nudity_score, 3), faces=len(boxes),
            photorealistic_face=photoreal, labels=labels,
        )

    def _load_detector(self) -> Detector:
        with self._lock:
            if self._detector is None:
                from nudenet import NudeDetector

                self._detector = NudeDetector()
            return self._detector

    def _haar_faces(self, image: np.ndarray, cv2: Any) -> list[list[int]]:
        with self._lock:
            if self._cascade is None:
                # opencv-python-headless 4.x ships the cascades; 5.x does not (see pyproject.toml).
                path = cv2.data.haarcascades + "haarcascade_frontalface_alt2.xml"
                self._cascade = cv2.CascadeClassifier(path)
                if self._cascade.empty():
                    raise RuntimeError(f"OpenCV face cascade missing at {path}; install opencv-python-headless<5")
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        scale = min(1.0, 400 / max(gray.shape))  # Haar cost grows with area; 400 px finds faces >= ~30 px
        if scale < 1.0:
            gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        gray = cv2.equalizeHist(gray)
        side = max(_MIN_FACE, int(min(gray.shape) * 0.08))
        found = self._cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
        return [[int(v / scale) for v in box] for box in found]


def _crop(image: np.ndarray, box: list[int]) -> np.ndarray:
    x, y, w, h = (int(v) for v in box)
    return image[max(0, y):max(0, y) + max(1, h), max(0, x):max(0, x) + max(1, w)]


def _skin_share(image: np.ndarray, box: list[int], cv2: Any) -> float:
    """Share of skin-toned pixels in a box (YCrCb: 133<=Cr<=173, 77<=Cb<=127); in a grey box, mid tones."""
    crop = _crop(image, box)
    if crop.size == 0:
        return 0.0
    ycrcb = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2YCrCb).astype(np.int16)
    y, cr, cb = ycrcb[..., 0], ycrcb[..., 1], ycrcb[..., 2]
    if float(np.mean(np.abs(cr - 128) + np.abs(cb - 128))) < 6:  # greyscale: colour cannot tell skin
        return float(np.mean((y >= 40) & (y <= 220)))
    return float(np.mean((cr >= 133) & (cr <= 173) & (cb >= 77) & (cb <= 127)))


def _texture_share(image: np.ndarray, box: list[int], cv2: Any) -> float:
    """Share of pixels with fine texture in a box resized to 96x96 (photographs: high; flat art: low)."""
    crop = _crop(image, box)
    if crop.shape[0] < 8 or crop.shape[1] < 8:
        return 0.0
    gray = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2GRAY)
    gray = cv2.resize(gray, (_FACE_SIDE, _FACE_SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)
    return float(np.mean(np.abs(cv2.Laplacian(gray, cv2.CV_32F)) >= _TEXTURE_LEVEL))


def _iou(a: list[int], b: list[int]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union else 0.0


def _describe(finding: ImageFinding) -> str:
    return f"nudity {finding.nudity_score:.2f}, faces {finding.faces}, labels {','.join(finding.labels)}"
