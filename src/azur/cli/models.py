"""``azur models``: install, list and remove open-weight models (local diffusers folders).

    azur models add wan-1.3b --family wan --path ~/models/Wan2.1-T2V-1.3B-Diffusers
    azur models add ltx-distilled --family ltx --path ~/models/LTX-Video-0.9.7-distilled \\
        --option distilled=true --option decode_timestep=0.05
    azur models add wan-sglang --family openai-videos --url http://gpu-1:30000/v1 \
        --remote-model Wan-AI/Wan2.1-T2V-1.3B-Diffusers --option send='["width","height","num_frames","seed"]'
    azur models list
    azur models remove wan-1.3b

Nothing is downloaded: the folder must already hold the weights (``huggingface-cli download`` or
``save_pretrained``). A remote engine (``--family openai-videos``) is any OpenAI-style ``/v1/videos`` server
(SGLang-Diffusion, vLLM-Omni, another Azur): Azur sends it the job and finishes the video itself. The catalog is shared by the CLI, the API server and workers through Azur's home.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from azur.cli.common import UserError, console, output_console

models_app = typer.Typer(help="Install, list and remove open-weight video models.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")


def _parse_option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE``; the value is read as JSON when it parses (numbers, true/false, lists), else a string."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"Invalid --option '{text}': expected KEY=VALUE, e.g. --option memory=model_offload.")
    try:
        parsed: Any = json.loads(value)
    except ValueError:
        parsed = value
    return key.strip(), parsed


@models_app.command("add")
def add(
    name: str = typer.Argument(..., help="The name requests use (--model NAME, the API's `model`)."),
    family: str = typer.Option(..., "--family", "-f", help="wan, ltx, cogvideox, or openai-videos (a remote engine)."),
    path: Path | None = typer.Option(None, "--path", "-p", help="A local diffusers folder (with model_index.json)."),
    url: str | None = typer.Option(None, "--url", help="openai-videos: the remote API's base URL (http://host:port/v1)."),
    api_key: str | None = typer.Option(None, "--api-key", help="openai-videos: sent as 'Authorization: Bearer KEY'."),
    remote_model: str | None = typer.Option(None, "--remote-model", help="openai-videos: the model name to ask for."),
    option: list[str] = typer.Option([], "--option", "-o", help="KEY=VALUE model option; repeatable."),
    replace: bool = typer.Option(False, "--replace", help="Replace a model of the same name."),
) -> None:
    """Install a model from a local diffusers folder, or a remote engine (--family openai-videos --url URL)."""
    from azur.engine.catalog import InvalidModel, ModelSpec, open_catalog

    options = dict(_parse_option(o) for o in option)
    try:
        spec = open_catalog().add(ModelSpec(name, family, path, options, url=url, api_key=api_key,
                                            remote_model=remote_model), replace=replace)
    except InvalidModel as exc:
        raise UserError(str(exc)) from None
    set_options = ", ".join(f"{k}={v}" for k, v in spec.options.items()) or "family defaults"
    if spec.is_remote:
        asked = f" ({spec.remote_model})" if spec.remote_model else ""
        console.print(f"[green]added[/] {spec.name} — remote engine at {spec.url}{asked}; {set_options}")
        return
    console.print(f"[green]added[/] {spec.name} — {spec.family} ({spec.pipeline_class}) from {spec.path}; {set_options}")


@models_app.command("list")
def list_models(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the available models: the built-in one and those installed."""
    from rich.table import Table

    from azur.engine.backend import model_infos
    from azur.engine.catalog import open_catalog

    specs = {spec.name: spec for spec in open_catalog().list()}
    rows = []
    for info in model_infos():
        spec = specs.get(info.name)
        rows.append({
            "name": info.name,
            "family": info.family,
            "path": (str(spec.path or spec.url)) if spec else "(built in)",
            "options": spec.options if spec else {},
            "description": info.description,
        })
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("name", "family", "path", "options")
    for row in rows:
        options = ", ".join(f"{k}={v}" for k, v in row["options"].items())
        table.add_row(row["name"], row["family"], row["path"], options)

    output_console().print(table)


@models_app.command("remove")
def remove(name: str = typer.Argument(..., help="The model to forget (its files stay on disk).")) -> None:
    """Remove an installed model from the catalog; its weights stay where they are."""
    from azur.engine.catalog import open_catalog

    catalog = open_catalog()
    if not catalog.remove(name):
        known = ", ".join(spec.name for spec in catalog.list()) or "none"
        raise UserError(f"No installed model named '{name}'. Installed models: {known}.")
    console.print(f"[green]removed[/] {name} (its files were left in place)")
