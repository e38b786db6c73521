"""Prompt adherence of the embedded model, judged on the frames users get.

Every clip goes through the real backend path, ``EmbeddedBackend().generate(VideoRequest(...))``, at real
output sizes (landscape 854x480, portrait 480x854, square 480x480 by default), and the uint8 frames it
yields are judged by :mod:`azur.embedded.delivered`: object colour, background colour, shape, motion, and
"whole", the share of frames where the object is one piece touching no frame edge. The 32x32 scene the
model draws internally is never looked at: a user never sees it.

Fresh prompts: scenes and seeds drawn from a seed the training never used, captions written with the
grammar's held-out phrasings (`world.caption(..., split="eval")`), alternating English and French. Long
clips (20 s) are judged whole, and their first and last :data:`CLIP_SECONDS` are judged apart to see
whether the object keeps its colour and shape.

Targets (issue 14): each attribute right in at least 95% of clips, the object whole in at least 95% of
frames, at every size, in English and in French, and on 20 s clips too.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from azur.embedded import world
from azur.embedded.delivered import DeliveredVerdict, judge_delivered
from azur.engine.request import DEFAULT_SECONDS, make_request, size_text

if TYPE_CHECKING:
    from azur.engine.backends.embedded import EmbeddedBackend

EVAL_SEED = 20_251_125  # far from the training seeds (0, 1, ...) so no scene stream is shared
EVAL_SIZES: tuple[tuple[int, int], ...] = ((854, 480), (480, 854), (480, 480))
CLIP_SECONDS = float(DEFAULT_SECONDS)  # what `azur generate` makes when no length is asked
LONG_SECONDS = 20.0  # the longest clip a plan allows
FPS = 24  # the pipeline's frame rate
TARGET_ATTRIBUTE = 0.95  # share of clips with each attribute right
TARGET_WHOLE = 0.95  # share of frames with the object whole


def evaluate(
    backend: EmbeddedBackend | None = None, n_prompts: int = 60, seed: int = EVAL_SEED, *,
    sizes: Sequence[tuple[int, int]] = EVAL_SIZES, long_clips: int = 3, seconds: float = CLIP_SECONDS,
    long_seconds: float = LONG_SECONDS, fps: int = FPS, progress: Callable[[float], None] | None = None,
) -> dict:
    """Judge `n_prompts` clips and `long_clips` long ones at each size, from the backend's delivered frames.

    backend: an :class:`~azur.engine.backends.embedded.EmbeddedBackend` (default: one with the shipped
    weights). Returns a JSON-able dict: the fields older readers know ("n_prompts", "accuracy"
    {attribute: {"all", "en", "fr"}}, "all_four", "text_accuracy", "long_clips", "long_clip_color",
    "long_clip_shape", "seconds_per_clip", "failures"), now over all sizes, plus "whole" {"all", "en", "fr"},
    "sizes" {"854x480": the same per size, with "long"}, "targets", "meets_targets" and the run's settings.
    """
    if backend is None:
        from azur.engine.backends.embedded import EmbeddedBackend

        backend = EmbeddedBackend()
    rng = np.random.default_rng(seed)
    total_clips = max(len(sizes) * (n_prompts + long_clips), 1)
    done = 0
    short_records: list[dict] = []
    long_records: list[dict] = []
    started = time.perf_counter()
    short_time = 0.0
    for size in sizes:
        for i in range(n_prompts):
            language = "en" if i % 2 == 0 else "fr"
            scene = world.sample_scene(rng, clamped_starts=0.0)
            prompt = world.caption(scene, rng, language, "eval")
            clip_started = time.perf_counter()
            verdict = judge_delivered(_frames(backend, prompt, size, seconds, fps, seed + len(short_records)))
            short_time += time.perf_counter() - clip_started
            short_records.append(_record(size, language, prompt, scene, verdict, backend))
            done += 1
            if progress is not None:
                progress(done / total_clips)
        for j in range(long_clips):
            language = "en" if j % 2 == 0 else "fr"
            scene = world.sample_scene(rng, clamped_starts=0.0)
            prompt = world.caption(scene, rng, language, "eval")
            ends = _Ends(_frames(backend, prompt, size, long_seconds, fps, seed + 1_000_000 + len(long_records)),
                         round(seconds * fps))
            record = _record(size, language, prompt, scene, judge_delivered(ends), backend)
            first, last = judge_delivered(ends.first), judge_delivered(ends.last)
            record["keeps_color"] = first.object_color == last.object_color == scene.object_color
            record["keeps_shape"] = first.shape == last.shape == scene.shape
            long_records.append(record)
            done += 1
            if progress is not None:
                progress(done / total_clips)

    result = _summary(short_records, long_records)
    result["sizes"] = {
        size_text(size): {
            **_summary([r for r in short_records if r["size"] == size_text(size)],
                       [r for r in long_records if r["size"] == size_text(size)]),
        }
        for size in sizes
    }
    for per_size in result["sizes"].values():
        per_size.pop("failures")
    result.update(
        n_prompts=n_prompts,
        seed=seed,
        judge="delivered frames",
        style="flat",
        seconds=seconds,
        long_seconds=long_seconds,
        fps=fps,
        targets={"attribute": TARGET_ATTRIBUTE, "whole": TARGET_WHOLE},
        seconds_per_clip=round(short_time / max(len(short_records), 1), 4),
        wall_seconds=round(time.perf_counter() - started, 1),
    )
    result["meets_targets"] = _meets_all(result)
    return result


def _frames(backend: EmbeddedBackend, prompt: str, size: tuple[int, int], seconds: float, fps: int,
            seed: int) -> Iterator[np.ndarray]:
    request = make_request(prompt, seconds=seconds, size=size, seed=seed, fps=fps, max_seconds=int(LONG_SECONDS))
    clip = backend.generate(request)
    yield from clip.frames


class _Ends:
    """Passes a clip's frames through, keeping its first and last `count` frames aside."""

    def __init__(self, frames: Iterable[np.ndarray], count: int) -> None:
        self._frames = frames
        self.first: list[np.ndarray] = []
        self._last: deque[np.ndarray] = deque(maxlen=count)
        self._count = count

    def __iter__(self) -> Iterator[np.ndarray]:
        for frame in self._frames:
            if len(self.first) < self._count:
                self.first.append(frame)
            self._last.append(frame)
            yield frame

    @property
    def last(self) -> list[np.ndarray]:
        return list(self._last)


def _record(size: tuple[int, int], language: str, prompt: str, scene: world.Scene, verdict: DeliveredVerdict,
            backend: EmbeddedBackend) -> dict:
    truth = scene.labels()
    judged = verdict.labels()
    understood = getattr(backend.model, "understood", None)
    return {
        "size": size_text(size),
        "language": language,
        "prompt": prompt,
        "expected": truth,
        "judged": judged,
        "right": {name: judged[name] == truth[name] for name in world.ATTRIBUTES},
        "whole": round(verdict.whole, 4),
        "jumps": verdict.jumps,
        "text_right": understood is not None and understood(prompt) == truth,
    }


def _share(records: list[dict], value: Callable[[dict], float]) -> dict[str, float]:
    def mean(rows: list[dict]) -> float:
        return round(float(np.mean([value(r) for r in rows])), 4) if rows else 0.0

    return {
        "all": mean(records),
        "en": mean([r for r in records if r["language"] == "en"]),
        "fr": mean([r for r in records if r["language"] == "fr"]),
    }


def _summary(short: list[dict], long: list[dict]) -> dict:
    names = list(world.ATTRIBUTES)
    return {
        "accuracy": {name: _share(short, lambda r, n=name: r["right"][n]) for name in names},
        "whole": _share(short, lambda r: r["whole"]),
        "all_four": _share(short, lambda r: all(r["right"].values()))["all"],
        "clips_with_jumps": _share(short, lambda r: r["jumps"] > 0)["all"],
        "text_accuracy": _share(short, lambda r: r["text_right"])["all"],
        "long_clips": len(long),
        "long_clip_color": _share(long, lambda r: r["keeps_color"])["all"],
        "long_clip_shape": _share(long, lambda r: r["keeps_shape"])["all"],
        "long": {
            "accuracy": {name: _share(long, lambda r, n=name: r["right"][n])["all"] for name in names},
            "whole": _share(long, lambda r: r["whole"])["all"],
            "clips_with_jumps": _share(long, lambda r: r["jumps"] > 0)["all"],
        },
        "failures": [
            {**{key: r[key] for key in ("size", "prompt", "expected", "judged", "whole")}, "long": clips is long}
            for clips in (short, long) for r in clips if not all(r["right"].values()) or r["whole"] < TARGET_WHOLE
        ][:12],
    }


def _meets(block: dict, *, long_clips: bool = True) -> bool:
    short = all(row[k] >= TARGET_ATTRIBUTE for row in block["accuracy"].values() for k in ("en", "fr"))
    short = short and min(block["whole"]["en"], block["whole"]["fr"]) >= TARGET_WHOLE
    if long_clips and block["long_clips"]:
        long = block["long"]
        short = short and min(long["accuracy"].values()) >= TARGET_ATTRIBUTE and long["whole"] >= TARGET_WHOLE
    return short


def _meets_all(result: dict) -> bool:
    """Short clips meet the targets at every size (60 per size by default); 20 s clips over all sizes together.
    Why not per size: a size's handful of long clips (10 for the shipped eval.json, each ~20 CPU seconds) can
    only read 90% or 100%, so a single misread prompt would decide; the per-size long figures are still shown."""
    return all(_meets(block, long_clips=False) for block in result["sizes"].values()) and _meets(result)


def print_table(result: dict, console=None) -> None:  # noqa: ANN001 - a rich Console
    """Print one table per size (each attribute and "whole", all / English / French, against the targets),
    then the long clips and the timing, with Rich."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    target_attribute = f"≥ {100 * result['targets']['attribute']:.0f}%"
    target_whole = f"≥ {100 * result['targets']['whole']:.0f}%"

    def percent(value: float, target: float | None = None) -> str:
        text = f"{100 * value:.1f}%"
        return text if target is None or value >= target else f"[red]{text}[/]"

    for size, block in result["sizes"].items():
        table = Table(title=f"{size}: {result['n_prompts']} fresh prompts, judged on the delivered frames")
        table.add_column("attribute")
        for column in ("all", "English", "French", "target"):
            table.add_column(column, justify="right")
        for name, row in block["accuracy"].items():
            table.add_row(name.replace("_", " "),
                          *(percent(row[k], result["targets"]["attribute"]) for k in ("all", "en", "fr")),
                          target_attribute)
        table.add_row("whole (frames)", *(percent(block["whole"][k], result["targets"]["whole"])
                                          for k in ("all", "en", "fr")), target_whole)
        table.add_row("all four right", percent(block["all_four"]), "", "", "")
        console.print(table)
        long = block["long"]
        line = f"{size}: clips where the object jumps: {percent(block['clips_with_jumps'])}"
        if block["long_clips"]:
            attributes = ", ".join(f"{name.replace('_', ' ')} {percent(v, result['targets']['attribute'])}"
                                   for name, v in long["accuracy"].items())
            line += (f"; {block['long_clips']} clips of {result['long_seconds']:g} s: {attributes}, "
                     f"whole {percent(long['whole'], result['targets']['whole'])}, "
                     f"keep colour {percent(block['long_clip_color'])}, keep shape {percent(block['long_clip_shape'])}")
        console.print(line, soft_wrap=True)
    verdict = "[green]meets the targets[/]" if result["meets_targets"] else "[red]misses the targets[/]"
    console.print(
        f"{verdict}; text encoder read all four attributes right: {percent(result['text_accuracy'])}; "
        f"{result['seconds_per_clip']:.2f} s per {result['seconds']:g} s clip, {result['wall_seconds']:.0f} s in all",
        soft_wrap=True,
    )


def main(argv: list[str] | None = None) -> None:
    """`python -m azur.embedded.eval [--prompts N] [--long N] [--save]`: print the tables; --save writes
    eval.json beside the shipped weights (how the shipped weights/eval.json is made)."""
    import argparse
    import json

    from azur.embedded.sample import WEIGHTS_DIR

    parser = argparse.ArgumentParser(description="Prompt adherence of the embedded model on delivered frames.")
    parser.add_argument("--prompts", type=int, default=60, help="fresh prompts per size")
    parser.add_argument("--long", type=int, default=3, help="20 s clips per size")
    parser.add_argument("--seed", type=int, default=EVAL_SEED)
    parser.add_argument("--save", action="store_true", help="write eval.json into the shipped weights folder")
    args = parser.parse_args(argv)
    result = evaluate(n_prompts=args.prompts, seed=args.seed, long_clips=args.long)
    print_table(result)
    if args.save:
        (WEIGHTS_DIR / "eval.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
