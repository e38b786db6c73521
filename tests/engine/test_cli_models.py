"""End to end through the command line: ``azur models add`` a tiny saved pipeline, ``azur generate
--model`` it, and decode the MP4 that comes out. In-process (``azur.cli.main.run``), so user errors are
checked exactly as a user sees them: one line on stderr, exit status 2."""

from __future__ import annotations

import json
import sys

import av
import numpy as np
import pytest

from azur.cli.main import run


def azur(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["azur", *args])
    with pytest.raises(SystemExit) as exit_info:
        run()
    captured = capsys.readouterr()
    code = exit_info.value.code
    return (0 if code is None else int(code)), captured.out, captured.err


def decode(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


@pytest.mark.parametrize(("key", "family"), [("wan", "wan"), ("ltx", "ltx"), ("cogvideox", "cogvideox")])
def test_add_generate_list_remove(azur_home, tiny_models, tmp_path, monkeypatch, capsys, key, family):
    name = f"cli-{key}"
    code, _, err = azur(monkeypatch, capsys, "models", "add", name, "--family", family, "--path", str(tiny_models[key]),
                        "--option", "steps=2", "--option", "area=1024", "--option", "max_frames=9",
                        "--option", "max_sequence_length=16")
    assert code == 0, err
    assert f"added {name}" in err

    code, out, err = azur(monkeypatch, capsys, "models", "list", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows[name]["family"] == family and rows[name]["options"]["steps"] == 2 and "azur-tiny" in rows

    video = tmp_path / "clip.mp4"
    code, _, err = azur(monkeypatch, capsys, "generate", "a red ball bounces on a blue floor", "--model", name,
                        "--seconds", "1.5", "--size", "480x854", "--seed", "5", "--output", str(video))
    assert code == 0, err
    frames = decode(video)
    assert len(frames) == 36 and frames[0].shape == (854, 480, 3)  # 1.5 s at 24 fps, portrait
    assert "peak memory" in " ".join(err.split())  # the backend's note reaches the user (wrapped by Rich)

    code, _, err = azur(monkeypatch, capsys, "models", "remove", name)
    assert code == 0 and f"removed {name}" in err
    assert tiny_models[key].is_dir()  # the weights stay


def test_user_errors_are_one_line(azur_home, tiny_models, monkeypatch, capsys):
    code, _, err = azur(monkeypatch, capsys, "models", "add", "x", "--family", "hunyuan", "--path", str(tiny_models["wan"]))
    assert code == 2 and err == "azur: Unknown family 'hunyuan'. Known families: wan, ltx, ltx2, cogvideox, skyreels, openai-videos.\n"
    code, _, err = azur(monkeypatch, capsys, "models", "add", "x", "--family", "cogvideox", "--path", str(tiny_models["wan"]))
    assert code == 2 and "use --family wan" in err and err.count("\n") == 1
    code, _, err = azur(monkeypatch, capsys, "models", "add", "x", "--family", "wan", "--path", str(tiny_models["wan"]),
                        "--option", "steps")
    assert code == 2 and "expected KEY=VALUE" in err
    code, _, err = azur(monkeypatch, capsys, "models", "remove", "nothing")
    assert code == 2 and err == "azur: No installed model named 'nothing'. Installed models: none.\n"
    code, _, err = azur(monkeypatch, capsys, "generate", "a cat", "--model", "nothing", "--output", "x.mp4")
    assert code == 2 and "Unknown model 'nothing'" in err
