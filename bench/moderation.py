"""Moderation numbers: prompts blocked from tests/safety/data/blocked.txt, false blocks on harmless.txt, and
the latency each check adds to a request (prompt check; image inspection of an upload; four video frames).

    python bench/moderation.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.safety.corpus

from azur.safety import ImageModerator, PromptModerator  # noqa: E402
from tests.safety.corpus import blocked_prompts, cartoon_face, flat_frame, harmless_prompts, nudity_proxy  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20, help="passes over the prompt corpora for timing")
    parser.add_argument("--image-repeat", type=int, default=5, help="inspections per image for timing")
    args = parser.parse_args()

    start = time.perf_counter()
    prompts = PromptModerator()
    build_ms = (time.perf_counter() - start) * 1000

    blocked, harmless = blocked_prompts(), harmless_prompts()
    caught = Counter()
    wrong_category = []
    for category, prompt in blocked:
        result = prompts.check(prompt)
        if not result.allowed:
            caught[category] += 1
            if result.category != category:
                wrong_category.append((prompt, category, result.category))
    false_blocks = [(p, prompts.check(p)) for p in harmless if not prompts.check(p).allowed]

    times = []
    for _ in range(args.repeat):
        for prompt in [p for _, p in blocked] + harmless:
            t = time.perf_counter()
            prompts.check(prompt)
            times.append((time.perf_counter() - t) * 1000)

    print("Prompt moderation")
    print(f"| {'set':<28} | {'tried':>5} | {'blocked':>7} |")
    print(f"|{'-' * 30}|{'-' * 7}|{'-' * 9}|")
    for category in sorted({c for c, _ in blocked}):
        tried = sum(c == category for c, _ in blocked)
        print(f"| {'blocked.txt: ' + category:<28} | {tried:>5} | {caught[category]:>7} |")
    print(f"| {'blocked.txt: all':<28} | {len(blocked):>5} | {sum(caught.values()):>7} |")
    print(f"| {'harmless.txt (false blocks)':<28} | {len(harmless):>5} | {len(false_blocks):>7} |")
    print(f"wrong category: {len(wrong_category)} {wrong_category[:5]}")
    for prompt, result in false_blocks:
        print(f"  false block: {prompt!r} -> {result.category} ({result.matched})")
    print(f"check latency over {len(times)} checks: p50 {statistics.median(times):.3f} ms, "
          f"p99 {percentile(times, 99):.3f} ms, max {max(times):.3f} ms; lexicon build {build_ms:.1f} ms")

    from skimage import data

    images = ImageModerator()
    start = time.perf_counter()
    images.inspect(flat_frame())  # loads NudeNet and the cascade
    load_s = time.perf_counter() - start
    samples = {"astronaut 512x512": data.astronaut(), "coffee 400x600": data.coffee(),
               "cartoon face 512x512": cartoon_face(), "flat frame 360x640": flat_frame(),
               "flat frame 720x1280": flat_frame(720, 1280), "nudity proxy 320x320": nudity_proxy()}
    print(f"\nImage moderation (first use loads NudeNet + cascade: {load_s:.2f} s)")
    print(f"| {'image':<22} | {'inspect p50 ms':>14} | nudity | faces | photoreal | upload verdict |")
    print(f"|{'-' * 24}|{'-' * 16}|--------|-------|-----------|----------------|")
    for name, image in samples.items():
        spent = []
        for _ in range(args.image_repeat):
            t = time.perf_counter()
            finding = images.inspect(image)
            spent.append((time.perf_counter() - t) * 1000)
        verdict = images.check_upload(image, likeness_consent=False)
        print(f"| {name:<22} | {statistics.median(spent):>14.0f} | {finding.nudity!s:>6} | {finding.faces:>5} | "
              f"{finding.photorealistic_face!s:>9} | {verdict.category or 'allowed':>14} |")
    frames = [flat_frame(720, 1280)] * 4
    spent = []
    for _ in range(args.image_repeat):
        t = time.perf_counter()
        images.check_frames(frames)
        spent.append((time.perf_counter() - t) * 1000)
    print(f"check_frames, 4 frames of 720x1280: p50 {statistics.median(spent):.0f} ms")


if __name__ == "__main__":
    main()
