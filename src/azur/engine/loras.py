"""LoRA adapters on an installed model: fixed ones fused into the weights, and a menu a request may pick from.

An operator registers adapters with the model (``azur models add ... --lora PATH[:SCALE]`` for fixed ones,
``--lora-choice NAME=PATH[:SCALE]`` for ones a request may ask for by name). A fixed adapter (a style, a
distillation LoRA such as lightx2v's 4-step one) is fused into the transformer when the model loads: it then
costs nothing per step. The choices stay loaded side by side as named peft adapters and are switched per
request with diffusers' ``set_adapters``, without reloading the base model; a request without one runs with
them disabled. A request may only name adapters the operator registered: never a path or a URL.

Files are diffusers / peft LoRA state dicts (``pytorch_lora_weights.safetensors``, or any ``.safetensors``
that the family's ``load_lora_weights`` reads, which includes most Wan and LTX LoRAs published for ComfyUI).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_SCALE = 4.0  # beyond this an adapter only breaks the picture
MAX_PER_REQUEST = 4


class InvalidLora(ValueError):
    """An adapter cannot be registered or asked for as given; the message names the value."""


@dataclass(frozen=True)
class LoraSpec:
    name: str
    path: Path
    scale: float = 1.0
    fixed: bool = True  # fused at load; else a choice a request may name

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "scale": self.scale, "fixed": self.fixed}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoraSpec:
        return cls(data["name"], Path(data["path"]), float(data.get("scale", 1.0)), bool(data.get("fixed", True)))


def parse_lora(text: str, *, fixed: bool) -> LoraSpec:
    """``PATH[:SCALE]`` (fixed) or ``NAME=PATH[:SCALE]`` (a choice). Raises :class:`InvalidLora`."""
    name = ""
    if not fixed:
        name, sep, text = text.partition("=")
        if not sep or not name:
            raise InvalidLora(f"Invalid --lora-choice '{name}{sep}{text}': expected NAME=PATH[:SCALE].")
    path_text, scale = text, 1.0
    head, sep, tail = text.rpartition(":")
    if sep and head:
        try:
            scale = float(tail)
            path_text = head
        except ValueError:
            pass  # a colon inside the path
    path = Path(path_text).expanduser()
    return LoraSpec(name or _name_from_path(path), path, scale, fixed)


def _name_from_path(path: Path) -> str:
    stem = path.stem if path.suffix else path.name
    return re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._")[:64] or "lora"


def weights_file(path: Path) -> Path:
    """The ``.safetensors`` file of an adapter given as a file or a folder holding exactly one."""
    if path.is_file():
        return path
    if path.is_dir():
        files = sorted(path.glob("*.safetensors"))
        if len(files) == 1:
            return files[0]
        if not files:
            raise InvalidLora(f"The LoRA folder {path} holds no .safetensors file.")
        raise InvalidLora(f"The LoRA folder {path} holds several .safetensors files: name one.")
    raise InvalidLora(f"The LoRA {path} does not exist.")


def validate_loras(loras: Iterable[LoraSpec]) -> list[LoraSpec]:
    """Check names, scales and files; returns the specs with absolute file paths. Raises :class:`InvalidLora`."""
    checked: list[LoraSpec] = []
    seen: set[str] = set()
    for lora in loras:
        if not _NAME.match(lora.name):
            raise InvalidLora(f"Invalid LoRA name '{lora.name}': use lowercase letters, digits, '.', '_' or '-'.")
        if lora.name in seen:
            raise InvalidLora(f"Two LoRAs are named '{lora.name}': give each a different name (NAME=PATH).")
        if not -MAX_SCALE <= lora.scale <= MAX_SCALE:
            raise InvalidLora(f"LoRA '{lora.name}' has scale {lora.scale:g}; allowed: -{MAX_SCALE:g} to {MAX_SCALE:g}.")
        if weights_file(lora.path.resolve()).suffix != ".safetensors":
            raise InvalidLora(f"The LoRA {lora.path} is not a .safetensors file.")
        seen.add(lora.name)
        checked.append(LoraSpec(lora.name, weights_file(lora.path.resolve()), lora.scale, lora.fixed))
    return checked


def check_choices(requested: Iterable[tuple[str, float | None]], loras: Iterable[LoraSpec], model: str) -> None:
    """A request's adapters must be among the model's choices, at allowed scales; raises :class:`InvalidLora`."""
    requested = list(requested)
    choices = {lora.name: lora for lora in loras if not lora.fixed}
    if len(requested) > MAX_PER_REQUEST:
        raise InvalidLora(f"At most {MAX_PER_REQUEST} LoRAs per request; got {len(requested)}.")
    for name, scale in requested:
        if name not in choices:
            offered = ", ".join(sorted(choices)) or "none"
            raise InvalidLora(f"Model '{model}' has no LoRA '{name}'. Its LoRAs: {offered}.")
        if scale is not None and not -MAX_SCALE <= scale <= MAX_SCALE:
            raise InvalidLora(f"LoRA '{name}' scale {scale:g} is out of range (-{MAX_SCALE:g} to {MAX_SCALE:g}).")


class LoraSwitch:
    """The adapters of one loaded pipeline: fuses the fixed ones once, then selects choices per request."""

    def __init__(self, pipe: Any, loras: Iterable[LoraSpec], *, both_transformers: bool = False) -> None:
        self.pipe = pipe
        loras = list(loras)
        # Wan 2.2 A14B has two experts; an adapter trained on it holds weights for both.
        kwargs = {"load_into_transformer_2": True} if both_transformers else {}
        fixed = [lora for lora in loras if lora.fixed]
        if fixed:
            for lora in fixed:
                pipe.load_lora_weights(str(lora.path), adapter_name=f"fixed-{lora.name}", **kwargs)
            names = [f"fixed-{lora.name}" for lora in fixed]
            pipe.set_adapters(names, [lora.scale for lora in fixed])
            pipe.fuse_lora(adapter_names=names)
            pipe.unload_lora_weights()  # the fused weights stay; the adapter layers go
        self.choices = {lora.name: lora for lora in loras if not lora.fixed}
        for lora in self.choices.values():
            pipe.load_lora_weights(str(lora.path), adapter_name=lora.name, **kwargs)
        self.active: tuple[tuple[str, float], ...] = ()
        if self.choices:
            pipe.disable_lora()

    def select(self, requested: Iterable[tuple[str, float | None]]) -> tuple[tuple[str, float], ...]:
        """Activate exactly ``requested`` (name, scale or None for the registered one); returns them."""
        wanted = tuple((name, self.choices[name].scale if scale is None else float(scale)) for name, scale in requested)
        if wanted == self.active or not self.choices:
            return wanted
        if wanted:
            self.pipe.enable_lora()
            self.pipe.set_adapters([n for n, _ in wanted], [s for _, s in wanted])
        else:
            self.pipe.disable_lora()
        self.active = wanted
        return wanted
