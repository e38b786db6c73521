"""Upload and output moderation with the real NudeNet detector and OpenCV cascade, on photographs that ship
inside scikit-image and on images drawn here."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from azur.config import SafetySettings
from azur.safety import ImageModerator
from tests.safety.corpus import cartoon_face, flat_frame, nudity_proxy


@pytest.fixture(scope="module")
def moderator() -> ImageModerator:
    return ImageModerator()


def test_photo_of_a_person_needs_likeness_consent(moderator):
    astronaut = data.astronaut()  # Eileen Collins, NASA portrait: a real photograph of a person
    finding = moderator.inspect(astronaut)
    assert finding.faces >= 1 and finding.photorealistic_face and not finding.nudity
    refused = moderator.check_upload(astronaut, likeness_consent=False)
    assert (refused.allowed, refused.category) == (False, "likeness")
    assert "consent" in refused.message
    assert moderator.check_upload(astronaut, likeness_consent=True).allowed


def test_greyscale_photo_of_a_person_counts_too(moderator):
    cameraman = np.repeat(data.camera()[..., None], 3, axis=2)
    assert moderator.inspect(cameraman).photorealistic_face


@pytest.mark.parametrize("name", ["coffee", "chelsea", "rocket"])
def test_photos_without_people_are_allowed(moderator, name):
    image = getattr(data, name)()
    finding = moderator.inspect(image)
    assert finding.faces == 0 and not finding.nudity
    assert moderator.check_upload(image, likeness_consent=False).allowed


def test_drawn_faces_and_flat_frames_are_never_photorealistic(moderator):
    drawn = moderator.inspect(cartoon_face())
    assert drawn.faces == 1 and not drawn.photorealistic_face  # the Haar cascade does see a face
    assert moderator.check_upload(cartoon_face(), likeness_consent=False).allowed
    flat = moderator.inspect(flat_frame())
    assert (flat.faces, flat.nudity, flat.photorealistic_face) == (0, False, False)


def test_nudity_is_refused_in_uploads_and_withheld_in_videos(moderator):
    image = nudity_proxy()
    finding = moderator.inspect(image)
    assert finding.nudity and finding.nudity_score >= 0.5 and "BUTTOCKS_EXPOSED" in finding.labels
    upload = moderator.check_upload(image, likeness_consent=True)  # consent does not excuse nudity
    assert (upload.allowed, upload.category) == (False, "sexual")
    video = moderator.check_frames([flat_frame(), image])
    assert (video.allowed, video.category) == (False, "sexual")
    assert video.matched.startswith("frame 1")
    assert moderator.check_frames([flat_frame(), flat_frame(240, 320)]).allowed


def test_skin_check_stops_nudenet_firing_on_colour_shapes(moderator):
    wheel = np.ascontiguousarray(data.colorwheel()[..., :3])
    finding = moderator.inspect(wheel)  # NudeNet alone scores it BUTTOCKS_EXPOSED ~0.83
    assert not finding.nudity and finding.nudity_score == 0.0


def test_thresholds_and_toggles_come_from_settings():
    strict = ImageModerator(SafetySettings(nudity_threshold=0.99))
    assert not strict.inspect(nudity_proxy()).nudity
    no_likeness = ImageModerator(SafetySettings(categories={"likeness": False}))
    assert no_likeness.check_upload(data.astronaut(), likeness_consent=False).allowed


@pytest.mark.parametrize("bad", [np.zeros((8, 8), np.uint8), np.zeros((8, 8, 4), np.uint8),
                                 np.zeros((8, 8, 3), np.float32), [[0, 0, 0]]])
def test_anything_but_rgb_uint8_is_refused_with_its_shape(moderator, bad):
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        moderator.inspect(bad)
