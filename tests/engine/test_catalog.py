"""The installed-model catalog: validation at add time, rows in the shared database (the JSON file of
earlier versions imported once), and the backend registry."""

from __future__ import annotations

import json

import pytest

from azur.db.session import Database
from azur.engine.catalog import DatabaseModelCatalog, InvalidModel, ModelSpec, open_catalog


def test_add_list_get_remove_round_trip(azur_home, tiny_models):
    catalog = open_catalog()
    spec = catalog.add(ModelSpec("my-wan", "wan", tiny_models["wan"], {"steps": 4, "memory": "model_offload"}))
    assert spec.pipeline_class == "WanPipeline" and spec.path.is_absolute()
    assert [s.name for s in catalog.list()] == ["my-wan"]
    assert catalog.get("my-wan") == spec
    # Another process (its own connection to the same database) sees the same thing.
    other = Database(f"sqlite:///{azur_home / 'azur.db'}")
    assert DatabaseModelCatalog(other).get("my-wan") == spec
    other.dispose()
    assert catalog.remove("my-wan") and not catalog.remove("my-wan")
    assert catalog.list() == []
    assert not (azur_home / "models.json").exists()


def test_the_json_file_of_earlier_versions_is_imported_once(azur_home, tiny_models):
    legacy = {"models": [{"name": "old-wan", "family": "wan", "path": str(tiny_models["wan"]),
                          "options": {"steps": 4}, "pipeline_class": "WanPipeline"}]}
    (azur_home / "models.json").write_text(json.dumps(legacy))
    catalog = open_catalog()
    assert [(s.name, s.family, s.options) for s in catalog.list()] == [("old-wan", "wan", {"steps": 4})]
    assert not (azur_home / "models.json").exists() and (azur_home / "models.json.imported").is_file()
    catalog.remove("old-wan")
    assert open_catalog().list() == []  # not imported a second time


def test_image_to_video_folders_are_recognised(azur_home, tiny_models):
    spec = open_catalog().add(ModelSpec("wan-i2v", "wan", tiny_models["wan-i2v"]))
    assert spec.pipeline_class == "WanImageToVideoPipeline"


@pytest.mark.parametrize(
    ("name", "family", "folder", "options", "message"),
    [
        ("my-wan", "sora", "wan", {}, "Unknown family 'sora'. Known families: wan, ltx, ltx2, cogvideox, skyreels, openai-videos."),
        ("my-wan", "ltx", "wan", {}, "holds a WanPipeline, not a 'ltx' pipeline"),
        ("my-wan", "wan", None, {}, "does not exist"),
        ("My Wan", "wan", "wan", {}, "Invalid model name 'My Wan'"),
        ("azur-tiny", "wan", "wan", {}, "built in"),
        ("my-wan", "wan", "wan", {"stepz": 4}, "unknown option 'stepz'"),
        ("my-wan", "wan", "wan", {"memory": "huge"}, "option 'memory'"),
    ],
)
def test_add_refuses_with_one_clear_message(azur_home, tiny_models, tmp_path, name, family, folder, options, message):
    path = tiny_models[folder] if folder else tmp_path / "missing"
    with pytest.raises(InvalidModel, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        open_catalog().add(ModelSpec(name, family, path, options))
    assert open_catalog().list() == []


def test_a_folder_without_model_index_is_refused(azur_home, tmp_path):
    (tmp_path / "weights").mkdir()
    with pytest.raises(InvalidModel, match="no model_index.json"):
        open_catalog().add(ModelSpec("w", "wan", tmp_path / "weights"))


def test_names_are_unique_unless_replaced(azur_home, tiny_models):
    catalog = open_catalog()
    catalog.add(ModelSpec("m", "wan", tiny_models["wan"]))
    with pytest.raises(InvalidModel, match="already installed"):
        catalog.add(ModelSpec("m", "ltx", tiny_models["ltx"]))
    assert catalog.add(ModelSpec("m", "ltx", tiny_models["ltx"]), replace=True).family == "ltx"


def test_the_registry_follows_the_catalog(azur_home, tiny_models):
    from azur.engine.backend import (
        UnknownModel,
        backend_names,
        get_backend,
        model_infos,
    )

    catalog = open_catalog()
    catalog.add(ModelSpec("reg-ltx", "ltx", tiny_models["ltx"], {"steps": 2}))
    assert "reg-ltx" in backend_names() and "azur-tiny" in backend_names()
    info = {i.name: i for i in model_infos()}["reg-ltx"]
    assert info.family == "ltx" and info.supports_first_frame
    backend = get_backend("reg-ltx")
    assert type(backend).__name__ == "LTXBackend" and backend.resolved.steps == 2
    catalog.remove("reg-ltx")
    with pytest.raises(UnknownModel):
        get_backend("reg-ltx")


def test_configuration_file_overrides_catalog_options(azur_home, tiny_models):
    from azur.config import get_settings
    from azur.engine.catalog import effective_options

    (azur_home / "azur.toml").write_text('[models.cfg-wan]\nsteps = 7\nmemory = "group_offload"\n')
    get_settings.cache_clear()
    spec = open_catalog().add(ModelSpec("cfg-wan", "wan", tiny_models["wan"], {"steps": 3, "guidance": 2.0}))
    options = effective_options(spec, get_settings())
    assert (options.steps, options.guidance, options.memory) == (7, 2.0, "group_offload")
