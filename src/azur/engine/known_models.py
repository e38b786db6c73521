"""Known-good open-weight checkpoints with one-word names, and the licences they come under.

``azur models pull wan2.1-1.3b`` looks the name up here; ``azur models pull ORG/REPO`` works for any other
diffusers repository, whose licence is then read from its model card (the ``license`` / ``license_name``
metadata) and looked up in :data:`LICENCES`. A licence that excludes the EU or restricts commercial use, or
one Azur does not know, is shown before anything is downloaded and needs ``--accept-licence``: the operator
who serves videos to others is the one bound by it.

The licence summaries are short reminders, not legal advice; each links to the text that binds. They were
recorded on 2026-12-02 from the model cards; a repository's own card wins when the two differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Licence:
    """A model licence as far as serving videos goes."""

    id: str  # the Hub's ``license`` (or ``license_name`` for ``license: other``)
    name: str
    url: str
    excludes_eu: bool = False  # the licence does not grant rights in the European Union
    commercial: str = "yes"  # "yes", "limited" (conditions, e.g. a revenue cap) or "no"
    note: str = ""

    @property
    def restrictions(self) -> list[str]:
        """What an operator must agree to knowingly; empty when the licence is permissive."""
        found = []
        if self.excludes_eu:
            found.append("it grants no rights in the European Union (nor the UK and South Korea)")
        if self.commercial == "no":
            found.append("no commercial use")
        elif self.commercial == "limited":
            found.append("commercial use only under its conditions" + (f" ({self.note})" if self.note else ""))
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "url": self.url, "excludes_eu": self.excludes_eu,
            "commercial": self.commercial, "restrictions": self.restrictions,
        }


LICENCES: dict[str, Licence] = {lic.id: lic for lic in [
    Licence("apache-2.0", "Apache 2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
    Licence("mit", "MIT", "https://opensource.org/license/mit"),
    Licence("openrail++", "CreativeML OpenRAIL++-M", "https://huggingface.co/spaces/CompVis/stable-diffusion-license",
            note="use restrictions in its attachment A"),
    Licence("ltxv-open-weights", "LTX-Video Open Weights License",
            "https://huggingface.co/Lightricks/LTX-Video/blob/main/LICENSE", commercial="limited",
            note="free below an annual revenue threshold; a commercial licence from Lightricks above it"),
    Licence("ltx-2-community-license", "LTX-2 Community License",
            "https://huggingface.co/Lightricks/LTX-2/blob/main/LICENSE", commercial="limited",
            note="free below an annual revenue threshold; a commercial licence from Lightricks above it"),
    Licence("cogvideox-license", "CogVideoX License", "https://huggingface.co/THUDM/CogVideoX-5b/blob/main/LICENSE",
            commercial="limited", note="commercial use after registration with Zhipu AI"),
    Licence("skywork-community-license", "Skywork Community License",
            "https://github.com/SkyworkAI/Skywork/blob/main/Skywork%20Community%20License.pdf", commercial="limited",
            note="read the licence's conditions before serving others"),
    Licence("tencent-hunyuan-community", "Tencent Hunyuan Community License",
            "https://huggingface.co/tencent/HunyuanVideo/blob/main/LICENSE", excludes_eu=True, commercial="limited",
            note="a licence from Tencent above 100 million monthly active users"),
    Licence("cc-by-nc-4.0", "Creative Commons BY-NC 4.0", "https://creativecommons.org/licenses/by-nc/4.0/",
            commercial="no"),
]}


def licence_for(card: dict[str, Any] | None) -> Licence:
    """The licence a model card's metadata declares; an unknown or missing one is returned as such, with
    commercial use unknown ("no" until the operator has read it)."""
    card = card or {}
    declared = card.get("license")
    if isinstance(declared, list):
        declared = declared[0] if declared else None
    key = card.get("license_name") if declared == "other" else declared
    if isinstance(key, str) and key.lower() in LICENCES:
        return LICENCES[key.lower()]
    if not key:
        return Licence("unknown", "no licence declared", "", commercial="no",
                       note="the model card declares none")
    return Licence(str(key), str(key), str(card.get("license_link") or ""), commercial="no",
                   note="a licence Azur does not know: read it")


@dataclass(frozen=True)
class KnownModel:
    """A checkpoint known to load in Azur, with the options its model card recommends."""

    name: str  # the one-word name, also the installed model's default name
    repo_id: str
    family: str
    licence: str  # a key of LICENCES
    description: str
    options: dict[str, Any] = field(default_factory=dict)  # ModelOptions fields set at registration
    size_gb: float = 0.0  # the download, roughly (the Hub's metadata gives the exact figure before pulling)


KNOWN_MODELS: dict[str, KnownModel] = {m.name: m for m in [
    KnownModel("wan2.1-1.3b", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "wan", "apache-2.0",
               "Wan 2.1 text-to-video 1.3B, 480p, 16 fps; runs in ~8 GB with offloading", size_gb=29),
    KnownModel("wan2.1-14b", "Wan-AI/Wan2.1-T2V-14B-Diffusers", "wan", "apache-2.0",
               "Wan 2.1 text-to-video 14B, 480p or 720p", {"area": 1280 * 720}, size_gb=78),
    KnownModel("wan2.1-i2v-480p", "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", "wan", "apache-2.0",
               "Wan 2.1 image-to-video 14B, 480p", size_gb=82),
    KnownModel("wan2.2-5b", "Wan-AI/Wan2.2-TI2V-5B-Diffusers", "wan", "apache-2.0",
               "Wan 2.2 text-and-image-to-video 5B, 720p at 24 fps", {"fps": 24, "area": 1280 * 704, "max_frames": 121},
               size_gb=34),
    KnownModel("wan2.2-a14b", "Wan-AI/Wan2.2-T2V-A14B-Diffusers", "wan", "apache-2.0",
               "Wan 2.2 text-to-video, two 14B experts (high noise, then low noise)", {"area": 1280 * 720},
               size_gb=126),
    KnownModel("fastwan2.1-1.3b", "FastVideo/FastWan2.1-T2V-1.3B-Diffusers", "wan", "apache-2.0",
               "FastWan 2.1 1.3B: Wan 2.1 distilled (DMD) to 3 steps; diffusers runs it with dense attention",
               {"distilled": True, "steps": 3, "guidance": 1.0, "shift": 8.0}, size_gb=29),
    KnownModel("ltx-video", "Lightricks/LTX-Video", "ltx", "ltxv-open-weights",
               "LTX-Video 2B (0.9.x): fast text and image to video at 24 fps", size_gb=28),
    KnownModel("ltx-video-distilled", "Lightricks/LTX-Video-0.9.7-distilled", "ltx", "ltxv-open-weights",
               "LTX-Video 13B 0.9.7 distilled: 8 steps, no guidance",
               {"distilled": True, "decode_timestep": 0.05, "decode_noise_scale": 0.025}, size_gb=60),
    KnownModel("ltx-2", "Lightricks/LTX-2", "ltx2", "ltx-2-community-license",
               "LTX-2 19B: video with its own soundtrack", size_gb=150),
    KnownModel("cogvideox-2b", "THUDM/CogVideoX-2b", "cogvideox", "apache-2.0",
               "CogVideoX 2B: 720x480, 8 fps, 6 s", size_gb=13),
    KnownModel("cogvideox-5b", "THUDM/CogVideoX-5b", "cogvideox", "cogvideox-license",
               "CogVideoX 5B: 720x480, 8 fps, 6 s", size_gb=21),
    KnownModel("skyreels-v2-df-1.3b", "Skywork/SkyReels-V2-DF-1.3B-540P-Diffusers", "skyreels",
               "skywork-community-license",
               "SkyReels-V2 diffusion forcing 1.3B, 540p: long videos in overlapping windows", size_gb=29),
]}


def known_model(name_or_repo: str) -> KnownModel | None:
    """The catalog entry for a one-word name or for its repository id (case-insensitive)."""
    if name_or_repo in KNOWN_MODELS:
        return KNOWN_MODELS[name_or_repo]
    lowered = name_or_repo.lower()
    return next((m for m in KNOWN_MODELS.values() if m.repo_id.lower() == lowered), None)
