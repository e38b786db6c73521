"""``azur models``: install, list and remove open-weight models (local diffusers folders).

    azur models add wan-1.3b --family wan --path ~/models/Wan2.1-T2V-1.3B-Diffusers
    azur models add ltx-distilled --family ltx --path ~/models/LTX-Video-0.9.7-distilled \\
        --option distilled=true --option decode_timestep=0.05
    azur models add wan-sglang --family openai-videos --url http://gpu-1:30000/v1 \
        --remote-model Wan-AI/Wan2.1-T2V-1.3B-Diffusers --option send='["width","height","num_frames","seed"]'
    azur models pull wan2.1-1.3b                        # a known-good checkpoint by its one-word name
    azur models pull Wan-AI/Wan2.2-TI2V-5B-Diffusers --name wan-5b --revision main
    azur models list
    azur models remove wan-1.3b

``add`` downloads nothing: the folder must already hold the weights. ``pull`` downloads a diffusers
repository from the Hugging Face Hub into huggingface_hub's cache first (see :mod:`azur.engine.hub`). A
remote engine (``--family openai-videos``) is any OpenAI-style ``/v1/videos`` server (SGLang-Diffusion,
vLLM-Omni, another Azur): Azur sends it the job and finishes the video itself. The catalog is shared by
the CLI, the API server and workers through Azur's database.
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
    family: str = typer.Option(..., "--family", "-f", help="wan, ltx, ltx2, cogvideox, skyreels, or openai-videos (a remote engine)."),
    path: Path | None = typer.Option(None, "--path", "-p", help="A local diffusers folder (with model_index.json)."),
    url: str | None = typer.Option(None, "--url", help="openai-videos: the remote API's base URL (http://host:port/v1)."),
    api_key: str | None = typer.Option(None, "--api-key", help="openai-videos: sent as 'Authorization: Bearer KEY'."),
    remote_model: str | None = typer.Option(None, "--remote-model", help="openai-videos: the model name to ask for."),
    option: list[str] = typer.Option([], "--option", "-o", help="KEY=VALUE model option; repeatable."),
    lora: list[str] = typer.Option(
        [], "--lora", help="PATH[:SCALE] of a LoRA fused into the model at load (a style, a distillation LoRA); repeatable."
    ),
    lora_choice: list[str] = typer.Option(
        [], "--lora-choice", help="NAME=PATH[:SCALE] of a LoRA a request may pick by name (extra_body lora); repeatable."
    ),
    replace: bool = typer.Option(False, "--replace", help="Replace a model of the same name."),
) -> None:
    """Install a model from a local diffusers folder, or a remote engine (--family openai-videos --url URL)."""
    from azur.engine.catalog import InvalidModel, ModelSpec, open_catalog

    options = dict(_parse_option(o) for o in option)
    try:
        spec = open_catalog().add(ModelSpec(name, family, path, options, url=url, api_key=api_key,
                                            remote_model=remote_model, loras=_parse_loras(lora, lora_choice)),
                                  replace=replace)
    except InvalidModel as exc:
        raise UserError(str(exc)) from None
    set_options = ", ".join(f"{k}={v}" for k, v in spec.options.items()) or "family defaults"
    if spec.is_remote:
        asked = f" ({spec.remote_model})" if spec.remote_model else ""
        console.print(f"[green]added[/] {spec.name} — remote engine at {spec.url}{asked}; {set_options}")
        return
    loras = "".join(f"; LoRA {lo.name} x{lo.scale:g} ({'fused' if lo.fixed else 'on request'})" for lo in spec.loras)
    console.print(f"[green]added[/] {spec.name} — {spec.family} ({spec.pipeline_class}) from {spec.path}; {set_options}{loras}")


def _parse_loras(fixed: list[str], choices: list[str]) -> tuple:
    from azur.engine.loras import InvalidLora, parse_lora

    try:
        return tuple([parse_lora(text, fixed=True) for text in fixed] + [parse_lora(text, fixed=False) for text in choices])
    except InvalidLora as exc:
        raise UserError(str(exc)) from None


@models_app.command("pull")
def pull(
    ref: str = typer.Argument(..., help="A known model's one-word name (azur models known) or a Hub repo id."),
    revision: str = typer.Option(None, "--revision", "-r", help="A branch, tag or commit (default: main)."),
    name: str = typer.Option(None, "--name", "-n", help="The installed model's name (default: derived)."),
    option: list[str] = typer.Option([], "--option", "-o", help="KEY=VALUE model option; repeatable."),
    accept_licence: bool = typer.Option(
        False, "--accept-licence", help="Go on although the licence excludes the EU or limits commercial use."
    ),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Download here instead of the Hugging Face cache."),
    replace: bool = typer.Option(False, "--replace", help="Replace a model of the same name."),
) -> None:
    """Download a diffusers model from the Hugging Face Hub and install it.

    Checks the licence and the free disk space first; a pull that stops part-way keeps the files that
    finished, so running it again fetches only the rest. HF_TOKEN, HF_ENDPOINT, HF_HOME / HF_HUB_CACHE
    and HF_HUB_OFFLINE apply as for any Hugging Face tool."""
    from azur.engine import hub
    from azur.engine.catalog import FAMILY_PIPELINES, InvalidModel, ModelSpec, family_for_pipeline, open_catalog
    from azur.engine.known_models import LICENCES, known_model

    known = known_model(ref)
    if known is None and "/" not in ref:
        from azur.engine.known_models import KNOWN_MODELS

        raise UserError(f"Unknown model '{ref}': give a Hub repo id (ORG/NAME) or one of {', '.join(KNOWN_MODELS)}.")
    repo_id = known.repo_id if known else ref
    try:
        plan = hub.plan_pull(repo_id, revision, cache_dir=cache_dir)
        licence = plan.licence or (LICENCES[known.licence] if known else None)
        if licence is not None and licence.restrictions and not accept_licence:
            raise UserError(
                f"{repo_id} is under the {licence.name} licence: {'; '.join(licence.restrictions)}"
                f"{' — ' + licence.url if licence.url else ''}. Read it, then pull again with --accept-licence."
            )
        class_name = hub.pipeline_class(plan, cache_dir=cache_dir)
        family = family_for_pipeline(class_name)
        if family is None:
            raise UserError(
                f"{repo_id} holds a {class_name}, which this version of Azur cannot run (it runs: "
                f"{', '.join(sorted({c for classes in FAMILY_PIPELINES.values() for c in classes}))})."
            )
        if plan.cached_folder is None:
            free = hub.check_free_disk(plan, cache_dir)
            console.print(
                f"{repo_id} @ {(plan.commit or plan.revision)[:12]}: {plan.files} files, "
                f"{hub.gigabytes(plan.total_bytes)}; {hub.gigabytes(plan.download_bytes)} to download "
                f"({hub.gigabytes(free)} free)"
            )
        folder = hub.download(plan, cache_dir=cache_dir)
    except hub.PullError as exc:
        raise UserError(str(exc)) from None
    try:
        options = {**(known.options if known else {}), **dict(_parse_option(o) for o in option)}
        model_name = name or (known.name if known else _name_from_repo(repo_id))
        source = {"repo_id": repo_id, "revision": plan.revision, "commit": plan.commit or folder.name,
                  "licence": licence.id if licence else "unknown"}
        spec = open_catalog().add(ModelSpec(model_name, family, folder, options, source=source), replace=replace)
    except InvalidModel as exc:
        raise UserError(str(exc)) from None
    console.print(f"[green]pulled[/] {spec.name} — {spec.family} ({spec.pipeline_class}) from {repo_id}, in {spec.path}")


def _name_from_repo(repo_id: str) -> str:
    """``Wan-AI/Wan2.1-T2V-1.3B-Diffusers`` → ``wan2.1-t2v-1.3b``: the repo's name, lowercase, without the
    ``-Diffusers`` suffix, other characters as dashes."""
    import re

    name = repo_id.rsplit("/", 1)[-1].lower()
    name = re.sub(r"-diffusers$", "", name)
    name = re.sub(r"[^a-z0-9._-]+", "-", name).strip("-._")
    return name[:64] or "model"


@models_app.command("known")
def known(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """The checkpoints `azur models pull NAME` knows, with their licences."""
    from rich.table import Table

    from azur.engine.known_models import KNOWN_MODELS, LICENCES

    rows = [{"name": m.name, "repo_id": m.repo_id, "family": m.family, "size_gb": m.size_gb,
             "licence": LICENCES[m.licence].to_json(), "description": m.description} for m in KNOWN_MODELS.values()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("name", "repository", "family", "≈ GB", "licence")
    for row in rows:
        flags = "; ".join(row["licence"]["restrictions"])
        table.add_row(row["name"], row["repo_id"], row["family"], f"{row['size_gb']:g}",
                      row["licence"]["name"] + (f" — {flags}" if flags else ""))
    output_console().print(table)


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
            "sound": info.sound,  # makes its own soundtrack (LTX-2)
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
