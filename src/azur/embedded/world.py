"""The world the embedded model knows: one simple object moving on a plain background.

This module is the data set. It samples scenes (object colour, background colour, shape, motion, start
position, size, speed), renders them at any normalised time t in [0, 1] with anti-aliased edges, and writes
captions for them in English and French from a grammar with many synonyms and word orders.

Time: one clip spans t in [0, 1]; `sample.py` maps that window onto `window_seconds` of video. Positions live
on a torus (they wrap around the canvas) so that a motion can be continued window after window for as long as
wanted; growing and shrinking clamp at `MAX_RADIUS` / `MIN_RADIUS` for the same reason.

Captions: every phrase in the grammar is tagged "train" or "heldout". Training captions only use train
phrases; `split="eval"` prefers held-out phrases (new word orders, new word forms such as "rightwards" or
"montant"), so that the evaluation measures generalisation to phrasings the model never saw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# --- The vocabulary of the world -------------------------------------------------------------------------

COLORS = ("red", "orange", "yellow", "green", "blue", "purple", "white", "black")
# Far apart in RGB so that a pixel judge can tell them apart after a lossy decoder.
PALETTE = np.array(
    [
        [220, 40, 40],
        [245, 140, 20],
        [240, 220, 40],
        [40, 170, 60],
        [40, 80, 220],
        [140, 60, 190],
        [245, 245, 245],
        [15, 15, 15],
    ],
    dtype=np.float32,
) / 255.0
SHAPES = ("circle", "square", "triangle", "star")
MOTIONS = ("right", "left", "up", "down", "growing", "shrinking")
ATTRIBUTES = {"object_color": COLORS, "background_color": COLORS, "shape": SHAPES, "motion": MOTIONS}

# Object size is a radius in canvas units (the canvas is 1 x 1). Below ~0.07 a 32-pixel star is a blob;
# above ~0.27 the object covers a third of the frame and the background is hard to see.
MIN_RADIUS = 0.07
MAX_RADIUS = 0.27
# Shapes of the same "radius" get about the same area, so that size does not give the shape away.
SHAPE_SCALE = {"circle": 1.0, "square": 0.86, "triangle": 1.3, "star": 1.3}


def attribute_labels(thing: object) -> dict[str, str]:
    """{attribute: value} of anything with the four ATTRIBUTES as fields (a scene, a judge's verdict)."""
    return {name: getattr(thing, name) for name in ATTRIBUTES}


@dataclass(frozen=True)
class Scene:
    """One clip's ground truth. Positions are the object's centre at t=0, in canvas units (x right, y down)."""

    object_color: str
    background_color: str
    shape: str
    motion: str
    x: float
    y: float
    radius: float
    speed: float  # canvas widths per window for translations; log size ratio per window for growing/shrinking

    def labels(self) -> dict[str, str]:
        return attribute_labels(self)

    def state_at(self, t: float) -> tuple[float, float, float]:
        """(x, y, radius) at normalised time t; the values a continuation window starts from."""
        x, y, r = _trajectory(
            np.array([self.x]), np.array([self.y]), np.array([self.radius]), np.array([self.speed]),
            np.array([MOTIONS.index(self.motion)]), np.array([[t]], dtype=np.float32),
        )
        return float(x[0, 0]), float(y[0, 0]), float(r[0, 0])


def sample_scene(rng: np.random.Generator, clamped_starts: float = 0.2, **fixed: str) -> Scene:
    """A random scene; keyword arguments fix attributes (e.g. ``motion="up"``).

    clamped_starts: share of growing/shrinking scenes that start at any size, possibly at the clamp, where
    the change is small or nil. Training needs them (a continuation window can start there); a judged
    evaluation of "does it grow" must use 0.
    """
    obj = fixed.get("object_color") or COLORS[rng.integers(len(COLORS))]
    bg = fixed.get("background_color")
    if bg is None:
        bg = obj
        while bg == obj:
            bg = COLORS[rng.integers(len(COLORS))]
    shape = fixed.get("shape") or SHAPES[rng.integers(len(SHAPES))]
    motion = fixed.get("motion") or MOTIONS[rng.integers(len(MOTIONS))]
    if motion == "growing":
        # Mostly small starts so the growth is visible, sometimes any size (a continuation window can start
        # at the clamp, and the model must learn that it then stays there).
        radius = rng.uniform(MIN_RADIUS, 0.14) if rng.random() >= clamped_starts else rng.uniform(MIN_RADIUS, MAX_RADIUS)
        speed = rng.uniform(0.55, 0.9)
    elif motion == "shrinking":
        radius = rng.uniform(0.19, MAX_RADIUS) if rng.random() >= clamped_starts else rng.uniform(MIN_RADIUS, MAX_RADIUS)
        speed = rng.uniform(0.55, 0.9)
    else:
        radius = rng.uniform(0.1, 0.2)
        speed = rng.uniform(0.3, 0.5)
    return Scene(obj, bg, shape, motion, float(rng.random()), float(rng.random()), float(radius), float(speed))


# --- Rendering ---------------------------------------------------------------------------------------------

def _trajectory(x, y, r, speed, motion_index, t):
    """Centre and radius of B objects at times t (B, T). Arrays of shape (B,); returns three (B, T) arrays."""
    m = motion_index[:, None]
    s = speed[:, None]
    dx = np.where(m == 0, s, np.where(m == 1, -s, 0.0))
    dy = np.where(m == 3, s, np.where(m == 2, -s, 0.0))  # y grows downwards, "up" is negative
    cx = np.mod(x[:, None] + dx * t, 1.0)
    cy = np.mod(y[:, None] + dy * t, 1.0)
    growth = np.where(m == 4, s, np.where(m == 5, -s, 0.0))
    radius = np.clip(r[:, None] * np.exp(growth * t), MIN_RADIUS, MAX_RADIUS)
    return cx, cy, radius


def _sdf(shape: str, px: np.ndarray, py: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Signed distance (canvas units, negative inside) from points (px, py) relative to the centre.

    Formulas after Inigo Quilez, https://iquilezles.org/articles/distfunctions2d/ (y is flipped because
    image rows grow downwards and the triangle and star should point up).
    """
    r = r * SHAPE_SCALE[shape]
    if shape == "circle":
        return np.hypot(px, py) - r
    if shape == "square":
        dx, dy = np.abs(px) - r, np.abs(py) - r
        outside = np.hypot(np.maximum(dx, 0), np.maximum(dy, 0))
        return outside + np.minimum(np.maximum(dx, dy), 0)
    if shape == "triangle":
        k = np.sqrt(3.0)
        qx, qy = np.abs(px) - r, -py + r / k
        flip = qx + k * qy > 0
        qx, qy = np.where(flip, (qx - k * qy) / 2, qx), np.where(flip, (-k * qx - qy) / 2, qy)
        qx = qx - np.clip(qx, -2 * r, 0)
        return -np.hypot(qx, qy) * np.sign(qy)
    if shape == "star":
        k1x, k1y = 0.809016994375, -0.587785252292
        qx, qy = np.abs(px), -py
        d = 2 * np.maximum(k1x * qx + k1y * qy, 0)
        qx, qy = qx - d * k1x, qy - d * k1y
        d = 2 * np.maximum(-k1x * qx + k1y * qy, 0)
        qx, qy = qx + d * k1x, qy - d * k1y
        qx, qy = np.abs(qx), qy - r
        inner = 0.45  # inner radius / outer radius: points fat enough to survive 32 pixels
        bax, bay = inner * -k1y, inner * k1x - 1
        h = np.clip((qx * bax + qy * bay) / (bax * bax + bay * bay), 0, r)
        return np.hypot(qx - bax * h, qy - bay * h) * np.sign(qy * bax - qx * bay)
    raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")


def trajectories(scenes: list[Scene], times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Object centre x, y (unwrapped: not taken modulo 1) and radius of each scene at times (B, T)."""
    times = np.asarray(times, dtype=np.float32)
    m = np.array([MOTIONS.index(s.motion) for s in scenes])[:, None]
    s = np.array([sc.speed for sc in scenes])[:, None]
    x = np.array([sc.x for sc in scenes])[:, None] + np.where(m == 0, s, np.where(m == 1, -s, 0.0)) * times
    y = np.array([sc.y for sc in scenes])[:, None] + np.where(m == 3, s, np.where(m == 2, -s, 0.0)) * times
    _, _, radius = _trajectory(
        np.zeros(len(scenes)), np.zeros(len(scenes)), np.array([sc.radius for sc in scenes]), s[:, 0], m[:, 0], times
    )
    return x, y, radius


def render(scenes: list[Scene], times: np.ndarray, resolution: int = 32) -> np.ndarray:
    """Frames of each scene at its times: times (B, T) in [0, 1] -> float32 (B, T, R, R, 3) in [0, 1].

    Anti-aliased by a one-pixel linear ramp on the signed distance; the object is drawn once at its wrapped
    offset from each pixel, so it straddles the edges of the torus correctly.
    """
    times = np.asarray(times, dtype=np.float32)
    b = len(scenes)
    cx, cy, radius = _trajectory(
        np.array([s.x for s in scenes]), np.array([s.y for s in scenes]), np.array([s.radius for s in scenes]),
        np.array([s.speed for s in scenes]), np.array([MOTIONS.index(s.motion) for s in scenes]), times,
    )
    grid = (np.arange(resolution, dtype=np.float32) + 0.5) / resolution
    px = grid[None, None, None, :] - cx[..., None, None]
    py = grid[None, None, :, None] - cy[..., None, None]
    px = np.mod(px + 0.5, 1.0) - 0.5
    py = np.mod(py + 0.5, 1.0) - 0.5
    coverage = np.zeros((b, times.shape[1], resolution, resolution), dtype=np.float32)
    for shape in SHAPES:
        idx = [i for i, s in enumerate(scenes) if s.shape == shape]
        if idx:
            d = _sdf(shape, px[idx], py[idx], radius[idx][..., None, None])
            coverage[idx] = np.clip(0.5 - d * resolution, 0.0, 1.0)
    obj = PALETTE[[COLORS.index(s.object_color) for s in scenes]][:, None, None, None, :]
    bg = PALETTE[[COLORS.index(s.background_color) for s in scenes]][:, None, None, None, :]
    a = coverage[..., None]
    return (a * obj + (1 - a) * bg).astype(np.float32)


def clip_times(frames: int) -> np.ndarray:
    """Evenly spaced times of a clip's frames in one window, first and last frame included."""
    return np.linspace(0.0, 1.0, frames, dtype=np.float32)


# --- Captions ----------------------------------------------------------------------------------------------
# Each entry: (phrase, heldout). Held-out phrases never appear in training captions. They are new orders,
# new connectives and new forms of known words ("rightwards", "travelling", "remonte"), never a new word for
# a colour, shape or motion: no model can guess that "scarlet" means red without having seen it.

EN_COLOR = {c: c for c in COLORS}
EN_COLOR_ALT = {"purple": [("violet", False)]}
EN_SHAPE = {
    "circle": [("circle", False), ("ball", False), ("disc", False), ("sphere", False), ("dot", False),
               ("orb", False), ("disk", True), ("round ball", True)],
    "square": [("square", False), ("box", False), ("cube", False), ("block", False), ("square box", True)],
    "triangle": [("triangle", False), ("triangular shape", True)],
    "star": [("star", False), ("star shape", True)],
}
EN_PARTICIPLE = [("moving", False), ("going", False), ("heading", False), ("drifting", False),
                 ("sliding", False), ("traveling", False), ("gliding", False), ("floating", False),
                 ("rolling", False), ("shifting", False), ("flying", False), ("racing", False),
                 ("travelling", True), ("cruising", True), ("moving slowly", True)]
EN_FINITE = [("moves", False), ("goes", False), ("heads", False), ("drifts", False), ("slides", False),
             ("travels", False), ("glides", False), ("floats", False), ("rolls", False), ("shifts", False),
             ("flies", False), ("cruises", True), ("is moving", True)]
EN_DIRECTION = {
    "right": [("right", False), ("to the right", False), ("rightward", False), ("towards the right", False),
              ("to the right side", False), ("rightwards", True), ("toward the right", True)],
    "left": [("left", False), ("to the left", False), ("leftward", False), ("towards the left", False),
             ("to the left side", False), ("leftwards", True), ("toward the left", True)],
    "up": [("up", False), ("upward", False), ("towards the top", False), ("to the top", False),
           ("upwards", True), ("toward the top", True)],
    "down": [("down", False), ("downward", False), ("towards the bottom", False), ("to the bottom", False),
             ("downwards", True), ("toward the bottom", True)],
}
# Motions said with one verb, no direction: (participle form, finite form, heldout). Both sizes have a
# "becoming ..." and a verb with a particle ("puffing up", "scaling down"): when "becoming" came only with
# "smaller", the encoder learnt it as a cue for shrinking and read the held-out "becoming larger" wrong; when
# "up"/"down" after a verb always meant a direction, it read "shrinking down" as a fall.
EN_SELF = {
    "up": [("rising", "rises", False), ("climbing", "climbs", False), ("ascending", "ascends", False),
           ("rising upward", "rises upward", True)],
    "down": [("falling", "falls", False), ("sinking", "sinks", False), ("descending", "descends", False),
             ("dropping", "drops", False), ("falling down", "falls down", True)],
    "growing": [("growing", "grows", False), ("getting bigger", "gets bigger", False),
                ("getting larger", "gets larger", False), ("expanding", "expands", False),
                ("swelling", "swells", False), ("growing larger", "grows larger", False),
                ("inflating", "inflates", False), ("increasing in size", "increases in size", False),
                ("scaling up", "scales up", False), ("becoming bigger", "becomes bigger", False),
                ("puffing up", "puffs up", False), ("becoming larger", "becomes larger", True),
                ("growing in size", "grows in size", True), ("getting bigger and bigger", "gets bigger and bigger", True)],
    "shrinking": [("shrinking", "shrinks", False), ("getting smaller", "gets smaller", False),
                  ("contracting", "contracts", False), ("deflating", "deflates", False),
                  ("becoming smaller", "becomes smaller", False), ("decreasing in size", "decreases in size", False),
                  ("scaling down", "scales down", False), ("dwindling", "dwindles", False),
                  ("shrinking down", "shrinks down", True), ("getting smaller and smaller", "gets smaller and smaller", True)],
}
EN_BG_PREP = [("on", False), ("over", False), ("against", False), ("in front of", False), ("atop", True),
              ("set against", True)]
EN_BG_ARTICLE = [("a ", False), ("a plain ", False), ("a solid ", False), ("a flat ", False), ("", False),
                 ("a uniform ", True)]
EN_BG_NOUN = [("background", False), ("backdrop", False), ("back drop", True)]
EN_DET = [("a ", False), ("one ", False), ("the ", False), ("", False), ("a single ", False), ("a small ", False),
          ("a big ", False), ("a little ", False), ("one lonely ", True), ("a tiny ", True)]
# Templates: {det}{color}{shape}{motion_p}{motion_f}{bg}{bg_noun}; (template, heldout).
EN_TEMPLATES = [
    ("{det}{color} {shape} {motion_p} {bg}", False),
    ("{det}{color} {shape} {bg} {motion_p}", False),
    ("{bg}, {det}{color} {shape} {motion_f}", False),
    ("{det}{color} {shape} {motion_f} {bg}", False),
    ("{det}{shape} that is {color}, {motion_p} {bg}", False),
    ("{color} {shape}, {bg_noun}, {motion_p}", False),
    ("{bg_noun} with {det}{color} {shape} {motion_p}", False),
    ("there is {det}{color} {shape} {motion_p} {bg}", True),
    ("{bg} {det}{color} {shape} is {motion_p}", True),
    ("{det}{shape} in {color} {motion_f} {bg}", True),
    ("watch {det}{color} {shape} {motion_p} {bg}", True),
]

FR_COLOR = {  # (masculine, feminine)
    "red": ("rouge", "rouge"), "orange": ("orange", "orange"), "yellow": ("jaune", "jaune"),
    "green": ("vert", "verte"), "blue": ("bleu", "bleue"), "purple": ("violet", "violette"),
    "white": ("blanc", "blanche"), "black": ("noir", "noire"),
}
FR_SHAPE = {  # (noun, feminine, heldout)
    "circle": [("balle", True, False), ("boule", True, False), ("cercle", False, False), ("disque", False, False),
               ("rond", False, False), ("ballon", False, False), ("sphère", True, False), ("balle ronde", True, True)],
    "square": [("carré", False, False), ("boîte", True, False), ("cube", False, False), ("bloc", False, False),
               ("boîte carrée", True, True)],
    "triangle": [("triangle", False, False), ("forme triangulaire", True, True)],
    "star": [("étoile", True, False), ("petite étoile", True, True)],
}
# Verb forms: (relative clause "qui ...", finite, participle) per verb; direction appended for translations.
FR_MOVE = [(("qui va", "va", "allant"), False), (("qui se déplace", "se déplace", "se déplaçant"), False),
           (("qui glisse", "glisse", "glissant"), False), (("qui avance", "avance", "avançant"), False),
           (("qui file", "file", "filant"), False), (("qui dérive", "dérive", "dérivant"), False),
           (("qui roule", "roule", "roulant"), False), (("qui part", "part", "partant"), False),
           (("qui voyage", "voyage", "voyageant"), True), (("qui bouge", "bouge", "bougeant"), True)]
FR_DIRECTION = {
    "right": [("vers la droite", False), ("à droite", False), ("sur la droite", False), ("en direction de la droite", True)],
    "left": [("vers la gauche", False), ("à gauche", False), ("sur la gauche", False), ("en direction de la gauche", True)],
    "up": [("vers le haut", False), ("en haut", False), ("en direction du haut", True)],
    "down": [("vers le bas", False), ("en bas", False), ("en direction du bas", True)],
}
# Motions said with one verb: (relative, finite, participle, heldout); "{e}" takes the feminine ending.
FR_SELF = {
    "up": [("qui monte", "monte", "montant", False), ("qui s'élève", "s'élève", "s'élevant", False),
           ("qui grimpe", "grimpe", "grimpant", False), ("qui remonte", "remonte", "remontant", True)],
    "down": [("qui descend", "descend", "descendant", False), ("qui tombe", "tombe", "tombant", False),
             ("qui chute", "chute", "chutant", False), ("qui redescend", "redescend", "redescendant", True)],
    "growing": [("qui grossit", "grossit", "grossissant", False), ("qui grandit", "grandit", "grandissant", False),
                ("qui s'agrandit", "s'agrandit", "s'agrandissant", False), ("qui gonfle", "gonfle", "gonflant", False),
                ("qui devient plus grand{e}", "devient plus grand{e}", "devenant plus grand{e}", False),
                ("qui devient de plus en plus grand{e}", "devient de plus en plus grand{e}", "devenant de plus en plus grand{e}", True)],
    "shrinking": [("qui rétrécit", "rétrécit", "rétrécissant", False), ("qui diminue", "diminue", "diminuant", False),
                  ("qui rapetisse", "rapetisse", "rapetissant", False), ("qui se contracte", "se contracte", "se contractant", False),
                  ("qui devient plus petit{e}", "devient plus petit{e}", "devenant plus petit{e}", False),
                  ("qui devient de plus en plus petit{e}", "devient de plus en plus petit{e}", "devenant de plus en plus petit{e}", True)],
}
FR_BG = [("sur un fond {c}", False), ("sur fond {c}", False), ("sur un fond uni {c}", False),
         ("sur un fond {c} uni", False), ("devant un fond {c}", False), ("avec un fond {c}", False),
         ("sur un arrière-plan {c}", False), ("sur un fond tout {c}", True), ("face à un fond {c}", True)]
FR_BG_NOUN = [("fond {c}", False), ("un fond {c}", False), ("arrière-plan {c}", True)]
FR_TEMPLATES = [  # {det} is resolved with the noun's gender
    ("{det}{shape} {color} {motion_r} {bg}", False),
    ("{det}{shape} {color} {bg} {motion_r}", False),
    ("{bg}, {det}{shape} {color} {motion_f}", False),
    ("{det}{shape} {color} {motion_p} {bg}", False),
    ("{bg_noun} avec {det}{shape} {color} {motion_r}", False),
    ("{det}{size}{shape} {color} {motion_r} {bg}", False),
    ("il y a {det}{shape} {color} {motion_r} {bg}", True),
    ("on voit {det}{shape} {color} {motion_p} {bg}", True),
    ("{det}{shape} de couleur {color_f} {motion_r} {bg}", True),
]


# Chance that an eval caption slot takes a held-out phrase (when the slot has any). With ~8 slots per caption
# nearly every eval caption then contains something never seen in training.
HELDOUT_PREFERENCE = 0.35


def _pick(rng: np.random.Generator, options: list, split: str):
    """One option of a (..., heldout) list: train never sees held-out ones; eval prefers them when any exist."""
    if split == "train":
        pool = [o for o in options if not o[-1]]
    else:
        held = [o for o in options if o[-1]]
        pool = held if held and rng.random() < HELDOUT_PREFERENCE else options
    return pool[rng.integers(len(pool))]


def caption(scene: Scene, rng: np.random.Generator, language: str = "en", split: str = "train") -> str:
    """A random caption of the scene. language: "en" or "fr"; split: "train" or "eval" (see module doc)."""
    if split not in ("train", "eval"):
        raise ValueError(f"split must be 'train' or 'eval', got {split!r}")
    if language == "en":
        return _caption_en(scene, rng, split)
    if language == "fr":
        return _caption_fr(scene, rng, split)
    raise ValueError(f"language must be 'en' or 'fr', got {language!r}")


def _caption_en(s: Scene, rng: np.random.Generator, split: str) -> str:
    def colour(name: str) -> str:
        return _pick(rng, [(name, False)] + EN_COLOR_ALT.get(name, []), split)[0]

    # Left and right are always said with a direction; up and down also have their own verbs ("rising").
    if s.motion in ("right", "left") or (s.motion in EN_DIRECTION and rng.random() < 0.6):
        direction = _pick(rng, EN_DIRECTION[s.motion], split)[0]
        motion_p = f"{_pick(rng, EN_PARTICIPLE, split)[0]} {direction}"
        motion_f = f"{_pick(rng, EN_FINITE, split)[0]} {direction}"
    else:
        participle, finite, _ = _pick(rng, EN_SELF[s.motion], split)
        motion_p, motion_f = participle, finite
    bg_colour = colour(s.background_color)
    noun = _pick(rng, EN_BG_NOUN, split)[0]
    if rng.random() < 0.15:
        bg = f"{_pick(rng, EN_BG_PREP, split)[0]} {bg_colour}"  # "against blue"
    else:
        bg = f"{_pick(rng, EN_BG_PREP, split)[0]} {_pick(rng, EN_BG_ARTICLE, split)[0]}{bg_colour} {noun}"
    template = _pick(rng, EN_TEMPLATES, split)[0]
    text = template.format(
        det=_pick(rng, EN_DET, split)[0], color=colour(s.object_color), shape=_pick(rng, EN_SHAPE[s.shape], split)[0],
        motion_p=motion_p, motion_f=motion_f, bg=bg, bg_noun=f"{bg_colour} {noun}",
    )
    return _finish(text, rng)


def _caption_fr(s: Scene, rng: np.random.Generator, split: str) -> str:
    noun, feminine, _ = _pick(rng, FR_SHAPE[s.shape], split)
    e = "e" if feminine else ""
    if s.motion in ("right", "left") or (s.motion in FR_DIRECTION and rng.random() < 0.5):
        (rel, fin, part), _ = _pick(rng, FR_MOVE, split)
        direction = _pick(rng, FR_DIRECTION[s.motion], split)[0]
        motion_r, motion_f, motion_p = (f"{w} {direction}" for w in (rel, fin, part))
    else:
        rel, fin, part, _ = _pick(rng, FR_SELF[s.motion], split)
        motion_r, motion_f, motion_p = (w.format(e=e) for w in (rel, fin, part))
    bg_colour = FR_COLOR[s.background_color][0]  # "fond" is masculine
    det_options = [("un " if not feminine else "une ", False), ("le " if not feminine else "la ", False), ("", False)]
    det = _pick(rng, det_options, split)[0]
    if det in ("le ", "la ") and noun[0] in "aeiouéèê":
        det = "l'"
    size = _pick(rng, [("petit{e} ", False), ("grand{e} ", False), ("", False)], split)[0].format(e=e)
    text = _pick(rng, FR_TEMPLATES, split)[0].format(
        det=det, shape=noun, color=FR_COLOR[s.object_color][1 if feminine else 0], color_f=FR_COLOR[s.object_color][1],
        motion_r=motion_r, motion_f=motion_f, motion_p=motion_p, size=size,
        bg=_pick(rng, FR_BG, split)[0].format(c=bg_colour), bg_noun=_pick(rng, FR_BG_NOUN, split)[0].format(c=bg_colour),
    )
    return _finish(text, rng)


def _finish(text: str, rng: np.random.Generator) -> str:
    """Capitalisation and a final full stop, sometimes: users type both ways."""
    text = " ".join(text.split())
    if rng.random() < 0.3:
        text = text[0].upper() + text[1:]
    if rng.random() < 0.2:
        text += "."
    return text


def grammar_words(split: str = "eval") -> set[str]:
    """Every word a caption of the split can contain, normalised like the tokenizer does.

    "eval" (the default): train and held-out phrases, every word the model is meant to understand; "train":
    only the words training captions can contain.
    """
    if split not in ("train", "eval"):
        raise ValueError(f"split must be 'train' or 'eval', got {split!r}")
    return _words_of(_phrases(split, attributes=True) + _phrases(split, attributes=False))


def filler_words() -> set[str]:
    """Words of training captions that say nothing about the scene: "there", "background", "qui", "avec"...

    Training splices made-up words from them (`train._training_caption`), so that an unknown word made of
    familiar letters does not sway what the encoder reads.
    """
    return _words_of(_phrases("train", attributes=False)) - _words_of(_phrases("eval", attributes=True))


def _words_of(phrases: list[str]) -> set[str]:
    from azur.embedded.text import words

    known: set[str] = set()
    for phrase in phrases:
        known.update(words(re.sub(r"\{[a-z_]+\}", " ", phrase)))
    return known


def _phrases(split: str, *, attributes: bool) -> list[str]:
    """The grammar's phrases that name an attribute (colours, shapes, motions) or the others."""

    def keep(heldout: bool) -> bool:
        return split == "eval" or not heldout

    if attributes:
        phrases: list[str] = list(COLORS) + [p for options in EN_COLOR_ALT.values() for p, h in options if keep(h)]
        for table in (EN_SHAPE, EN_DIRECTION, FR_DIRECTION):
            phrases += [p for options in table.values() for p, h in options if keep(h)]
        phrases += [p for options in EN_SELF.values() for a, b, h in options if keep(h) for p in (a, b)]
        phrases += [p for pair in FR_COLOR.values() for p in pair]
        phrases += [n for options in FR_SHAPE.values() for n, _, h in options if keep(h)]
        phrases += [p.format(e=e) for options in FR_SELF.values() for o in options if keep(o[3])
                    for p in o[:3] for e in ("", "e")]
        return phrases
    phrases = [p for p, h in EN_PARTICIPLE + EN_FINITE + EN_BG_PREP + EN_BG_ARTICLE + EN_BG_NOUN + EN_DET if keep(h)]
    phrases += [p for forms, h in FR_MOVE if keep(h) for p in forms]
    phrases += [p.format(c="") for p, h in FR_BG + FR_BG_NOUN if keep(h)]
    phrases += [t for t, h in EN_TEMPLATES + FR_TEMPLATES if keep(h)]
    phrases += ["un une le la l' petit petite grand grande"]
    return phrases
