"""``azur models pull`` against a loopback stand-in for the Hub (``fake_hub.py``): the real huggingface_hub
client downloads a tiny saved pipeline into its own cache layout, Azur checks licence and disk first,
installs it with the family read from model_index.json, and the model then makes a clip. Offline mode
(HF_HUB_OFFLINE=1) installs from that cache with no request at all.

Not run here: the real Hub (gated repos and tokens, xet storage, redirects to a CDN), real multi-gigabyte
downloads. Each ``azur`` call is its own process, because huggingface_hub reads HF_ENDPOINT and
HF_HUB_OFFLINE when it is imported, exactly as for a user."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import av
import pytest
from fake_hub import FakeHub

WAN_REPO = "Wan-AI/Wan2.1-T2V-1.3B-Diffusers"  # the known name wan2.1-1.3b points here
TINY = ["--option", "steps=2", "--option", "area=1024", "--option", "max_frames=9",
        "--option", "max_sequence_length=16"]


@pytest.fixture
def hub(tmp_path, tiny_models):
    with FakeHub() as fake:
        fake.add(WAN_REPO, tiny_models["wan"], card={"license": "apache-2.0"})
        yield fake


@pytest.fixture
def env(tmp_path, hub):
    home = tmp_path / "home"
    home.mkdir()
    values = {**os.environ, "AZUR_HOME": str(home), "HF_ENDPOINT": hub.url, "HF_HUB_CACHE": str(tmp_path / "hf"),
              "HF_HUB_OFFLINE": "0", "HF_HUB_DISABLE_TELEMETRY": "1", "HF_TOKEN": ""}
    values.pop("AZUR_CONFIG", None)
    return values


def azur(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "azur.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def installed(env: dict[str, str]) -> dict[str, dict]:
    return {row["name"]: row for row in json.loads(azur(env, "models", "list", "--json").stdout)}


def test_pull_a_known_name_installs_it_and_it_makes_a_clip(env, hub, tmp_path):
    result = azur(env, "models", "pull", "wan2.1-1.3b", *TINY)
    assert result.returncode == 0, result.stderr
    assert "pulled wan2.1-1.3b" in result.stderr and "to download" in result.stderr
    from azur.config import Settings
    from azur.engine.catalog import open_catalog

    [spec] = open_catalog(Settings(home=Path(env["AZUR_HOME"]))).list()  # the catalog in Azur's database
    catalog = spec.to_json()
    assert catalog["family"] == "wan" and catalog["pipeline_class"] == "WanPipeline"
    assert catalog["source"]["repo_id"] == WAN_REPO and catalog["source"]["licence"] == "apache-2.0"
    # Installed from huggingface_hub's own cache layout: models--ORG--NAME/snapshots/COMMIT.
    path = Path(catalog["path"])
    assert path.parent.parent.name == "models--Wan-AI--Wan2.1-T2V-1.3B-Diffusers" and path.parent.name == "snapshots"
    assert (path / "transformer" / "diffusion_pytorch_model.safetensors").is_file()

    video = tmp_path / "clip.mp4"
    result = azur({**env, "HF_HUB_OFFLINE": "1"}, "generate", "a red ball bounces on a blue floor",
                  "--model", "wan2.1-1.3b", "--seconds", "1", "--size", "854x480", "--output", str(video))
    assert result.returncode == 0, result.stderr
    with av.open(str(video)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 24 and frames[0].shape == (480, 854, 3)


def test_pull_any_repo_and_its_name_revision_and_family_are_found(env, hub, tiny_models):
    result = azur(env, "models", "pull", WAN_REPO, "--revision", "main", "--name", "my-wan")
    assert result.returncode == 0, result.stderr
    assert installed(env)["my-wan"]["family"] == "wan"
    result = azur(env, "models", "pull", WAN_REPO, "--revision", "v9")
    assert result.returncode == 2 and result.stderr == f"azur: {WAN_REPO} has no revision 'v9'.\n"
    hub.add("Someone/Cool.Model_V2-Diffusers", tiny_models["ltx"], card={"license": "mit"})
    assert azur(env, "models", "pull", "Someone/Cool.Model_V2-Diffusers").returncode == 0
    assert installed(env)["cool.model_v2"]["family"] == "ltx"  # name derived from the repo's, family read


def test_ltx_2_is_pulled_as_a_model_with_its_own_sound(env, hub, tiny_models):
    hub.add("Lightricks/LTX-2", tiny_models["ltx2"], card={"license": "other", "license_name": "ltx-2-community-license"})
    result = azur(env, "models", "pull", "ltx-2", *TINY)
    assert result.returncode == 2 and "--accept-licence" in result.stderr and "cannot run" not in result.stderr
    result = azur(env, "models", "pull", "ltx-2", "--accept-licence", *TINY)
    assert result.returncode == 0, result.stderr
    row = installed(env)["ltx-2"]
    assert row["family"] == "ltx2" and row["sound"] is True


def test_a_dropped_transfer_resumes_from_the_byte_it_stopped_at(env, hub, tiny_models, tmp_path):
    repo = tmp_path / "big"
    shutil.copytree(tiny_models["wan"], repo)
    (repo / "transformer" / "extra.bin").write_bytes(os.urandom(24 << 20))  # past huggingface_hub's 10 MB chunks
    hub.add("org/big", repo, card={"license": "apache-2.0"})
    hub.drop_after["transformer/extra.bin"] = 16 << 20
    result = azur(env, "models", "pull", "org/big")
    assert result.returncode == 0, result.stderr
    ranges = [rng for name, rng in hub.downloads() if name == "transformer/extra.bin"]
    assert ranges[0] is None and ranges[1] is not None and int(ranges[1][6:].split("-")[0]) >= 10 << 20
    pulled = Path(installed(env)["big"]["path"]) / "transformer" / "extra.bin"
    assert pulled.read_bytes() == (repo / "transformer" / "extra.bin").read_bytes()


def test_an_interrupted_pull_keeps_finished_files_and_the_next_one_fetches_the_rest(env, hub):
    weights = "transformer/diffusion_pytorch_model.safetensors"
    hub.fail.add(weights)
    result = azur(env, "models", "pull", "wan2.1-1.3b")
    last = result.stderr.splitlines()[-1]  # after huggingface_hub's progress bars
    assert result.returncode == 2 and last.startswith("azur: ")
    assert "HTTP 500" in last and "run the same pull again" in last
    assert "wan2.1-1.3b" not in installed(env)
    first = {name for name, _ in hub.downloads()}
    hub.fail.clear()
    hub.requests.clear()
    result = azur(env, "models", "pull", "wan2.1-1.3b")
    assert result.returncode == 0, result.stderr
    again = {name for name, _ in hub.downloads()}
    assert weights in again and not (again & (first - {weights}))  # finished files were not fetched again


def test_not_enough_disk_is_refused_before_downloading(env, hub, tiny_models):
    hub.add("org/huge", tiny_models["wan"], card={"license": "apache-2.0"},
            declared_sizes={"transformer/diffusion_pytorch_model.safetensors": 10**18})  # an exabyte
    result = azur(env, "models", "pull", "org/huge")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "needs 1000000000.00 GB more" in result.stderr and "free" in result.stderr
    assert [name for name, _ in hub.downloads()] == ["model_index.json"]  # read to check the family, alone


def test_a_licence_excluding_the_eu_needs_accepting_before_download(env, hub, tiny_models):
    hub.add("org/hunyuan-like", tiny_models["wan"],
            card={"license": "other", "license_name": "tencent-hunyuan-community"})
    result = azur(env, "models", "pull", "org/hunyuan-like")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "European Union" in result.stderr and "--accept-licence" in result.stderr
    assert hub.downloads() == []
    result = azur(env, "models", "pull", "org/hunyuan-like", "--accept-licence")
    assert result.returncode == 0, result.stderr
    assert installed(env)["hunyuan-like"]["family"] == "wan"


def test_offline_installs_from_the_cache_without_a_request(env, hub):
    assert azur(env, "models", "pull", "wan2.1-1.3b").returncode == 0
    hub.requests.clear()
    offline = {**env, "HF_HUB_OFFLINE": "1"}
    result = azur(offline, "models", "pull", "wan2.1-1.3b", "--name", "again")
    assert result.returncode == 0, result.stderr
    assert hub.requests == [] and "again" in installed(env)
    result = azur(offline, "models", "pull", "org/never-pulled")
    assert result.returncode == 2 and "not in the Hugging Face cache" in result.stderr


def test_a_repo_azur_cannot_run_is_refused_before_its_weights_are_downloaded(env, hub, tiny_models, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(tiny_models["wan"], other)
    (other / "model_index.json").write_text(json.dumps({"_class_name": "HunyuanVideoPipeline"}))
    hub.add("org/other", other, card={"license": "mit"})
    result = azur(env, "models", "pull", "org/other")
    assert result.returncode == 2 and "holds a HunyuanVideoPipeline, which this version of Azur cannot run" in result.stderr
    assert [name for name, _ in hub.downloads()] == ["model_index.json"]
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "weights.safetensors").write_bytes(b"0" * 100)
    hub.add("org/bare", bare, card={"license": "mit"})
    result = azur(env, "models", "pull", "org/bare")
    assert result.returncode == 2 and "not a diffusers pipeline" in result.stderr


def test_unknown_names_and_missing_repos_are_one_line(env, hub):
    result = azur(env, "models", "pull", "wan9")
    assert result.returncode == 2 and "Unknown model 'wan9'" in result.stderr and "wan2.1-1.3b" in result.stderr
    result = azur(env, "models", "pull", "org/missing")
    assert result.returncode == 2 and result.stderr == "azur: No model repository 'org/missing' on the Hub (or it is private: set HF_TOKEN).\n"
    result = azur(env, "models", "known", "--json")
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["wan2.1-1.3b"]["licence"]["restrictions"] == []
    assert rows["ltx-2"]["licence"]["commercial"] == "limited"
