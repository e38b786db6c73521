"""Encode overhead of provenance: a bare PyAV encode against watermark + C2PA (+ visible mark), same frames.

    python bench/encode_overhead.py --frames 96 --size 1280x720 --rounds 3

Frames are made once and held in memory, so only encoding is timed. Each round times, in turn: a bare PyAV
encode (av.open + libx264 stream, rgb24 frames, the same options as VideoWriter), the VideoWriter alone, the
VideoWriter with the watermark, and the full set (watermark + C2PA signing; then + visible mark). Medians.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av

from azur.media import synthetic
from azur.media.encode import EncodeOptions, VideoWriter
from azur.provenance.c2pa import GenerationInfo, ensure_credentials, sign_c2pa
from azur.provenance.identity import load_installation
from azur.provenance.visible import VisibleMark
from azur.provenance.watermark import WatermarkEmbedder, WatermarkPayload


def bare_pyav(path: Path, frames, w: int, h: int, fps: int) -> None:
    out = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
    stream = out.add_stream("libx264", rate=fps)
    stream.options = {"crf": "20", "preset": "veryfast"}
    stream.width, stream.height, stream.pix_fmt, stream.time_base = w, h, "yuv420p", Fraction(1, fps)
    for i, frame in enumerate(frames):
        vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
        vf.pts = i
        for packet in stream.encode(vf):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()


def marked(path: Path, frames, w: int, h: int, fps: int, *, c2pa: bool, visible: bool, installation, creds) -> None:
    video_id = "video_" + "5a" * 16
    embedder = WatermarkEmbedder(WatermarkPayload.for_video(installation.id, video_id), w, h)
    label = VisibleMark(w, h) if visible else None
    with VideoWriter(path, w, h, fps, EncodeOptions(), luma_filter=embedder.apply_luma) as writer:
        for frame in frames:
            writer.write(label.apply(frame.copy()) if label else frame)
    if c2pa:
        sign_c2pa(path, GenerationInfo(video_id=video_id, model="bench", installation_id=installation.id), creds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--kind", default="footage", help="synthetic clip kind (flat, gradient, noise, footage)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    fps = 24
    frames = list(synthetic.clip(args.kind, w, h, args.frames, seed=1))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        installation = load_installation(folder / "home")
        creds = ensure_credentials(installation)
        runs = {
            "bare PyAV": lambda p: bare_pyav(p, frames, w, h, fps),
            "VideoWriter": lambda p: _writer(p, frames, w, h, fps),
            "+ watermark": lambda p: marked(p, frames, w, h, fps, c2pa=False, visible=False,
                                            installation=installation, creds=creds),
            "+ watermark + C2PA": lambda p: marked(p, frames, w, h, fps, c2pa=True, visible=False,
                                                   installation=installation, creds=creds),
            "+ watermark + C2PA + visible": lambda p: marked(p, frames, w, h, fps, c2pa=True, visible=True,
                                                             installation=installation, creds=creds),
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, run in runs.items():
                t = time.perf_counter()
                run(folder / "out.mp4")
                times[name].append(time.perf_counter() - t)
    base = statistics.median(times["bare PyAV"])
    print(f"{args.frames} frames {w}x{h} ({args.kind}), median of {args.rounds} rounds, interleaved")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:30s} {med:6.2f} s  {args.frames / med:6.1f} fps  {med / base:5.2f}x")
    full = statistics.median(times["+ watermark + C2PA"]) / base
    print(f"overhead of watermark + C2PA: {full:.2f}x the bare encode (target <= 1.3x)")


def _writer(path: Path, frames, w: int, h: int, fps: int) -> None:
    with VideoWriter(path, w, h, fps, EncodeOptions()) as writer:
        for frame in frames:
            writer.write(frame)


if __name__ == "__main__":
    main()
