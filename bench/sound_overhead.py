"""Time that sound adds to a video: the same 10 s 720p video with the embedded model, silent and with a
voice-over, music and effects (the full mix, encoded as AAC).

    python bench/sound_overhead.py --seconds 10 --size 1280x720 --rounds 1

Each round makes the video silent, then with sound, through ``make_video`` (model, sound, encode, C2PA and
watermark as configured), in a throwaway AZUR_HOME. The model is loaded before timing. Prints the medians of
the total times, the overhead in percent (the issue's target: at most 20%), and the sound stage alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="azur-bench-") as home:
        os.environ["AZUR_HOME"] = home
        from azur.config import Settings
        from azur.engine.backend import get_backend
        from azur.engine.request import make_request
        from azur.pipeline import make_video
        from azur.sound.mix import SoundPlan
        from azur.sound.spec import parse_audio

        settings = Settings(home=Path(home))
        get_backend("azur-tiny")  # loaded once, outside the timings
        request = make_request("a red ball moving right on a blue background", seconds=args.seconds,
                               size=args.size, seed=1)
        sound = SoundPlan(parse_audio({
            "voiceover": {"text": "A red ball rolls across the screen, from left to right.", "language": "en"},
            "music": {"mood": "happy", "intensity": 0.7}, "effects": True}))
        silent_times, sound_times, stage_times, silent_cpu, sound_cpu = [], [], [], [], []
        for _ in range(args.rounds):
            started, cpu = time.perf_counter(), _cpu_seconds()
            make_video(request, Path(home) / "silent.mp4", settings=settings)
            silent_times.append(time.perf_counter() - started)
            silent_cpu.append(_cpu_seconds() - cpu)
            started, cpu = time.perf_counter(), _cpu_seconds()
            result = make_video(request, Path(home) / "sound.mp4", settings=settings, sound=sound)
            sound_times.append(time.perf_counter() - started)
            sound_cpu.append(_cpu_seconds() - cpu)
            stage_times.append(result.timings["sound_s"])
        silent, with_sound = statistics.median(silent_times), statistics.median(sound_times)
        track = result.soundtrack
        print(f"video: {args.seconds:g} s at {args.size}, {args.rounds} round(s), {os.cpu_count()} CPU cores")
        print(f"silent:      {silent:6.2f} s")
        print(f"with sound:  {with_sound:6.2f} s  (+{100 * (with_sound - silent) / silent:.1f}%; target <= 20%)")
        print(f"sound stage: {statistics.median(stage_times):6.2f} s  (voice-over, music, effects, mix)")
        cpu_silent, cpu_sound = statistics.median(silent_cpu), statistics.median(sound_cpu)
        print(f"CPU time:    {cpu_silent:6.2f} s silent, {cpu_sound:6.2f} s with sound "
              f"(+{100 * (cpu_sound - cpu_silent) / cpu_silent:.1f}%: steadier than wall time on a shared machine)")
        print(f"mix: {', '.join(track.parts)}; {track.loudness_lufs:.2f} LUFS, true peak {track.true_peak_dbtp:.2f} dBTP")


def _cpu_seconds() -> float:
    """CPU time of this process and its children (espeak-ng runs in a child), all threads."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
