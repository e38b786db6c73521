"""``azur verify FILE``: does this video carry Azur's marks? Exit 0 yes, 1 no, 2 unreadable."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from azur.cli.common import console


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)


def verify(
    file: Path = typer.Argument(..., help="The video to check (MP4, WebM, MOV, ...)."),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON on stdout."),
) -> None:
    """Check a video for Azur's C2PA credentials and invisible watermark.

    Exit status: 0 when the file carries Azur's watermark or a valid Azur manifest, 1 when neither is found,
    2 when the file cannot be read.
    """
    from azur.config import get_settings
    from azur.provenance.verify import verify_file

    settings = get_settings()
    report = verify_file(file, settings=settings, find_video=_database_lookup(settings))
    if as_json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_report(report)
    raise typer.Exit(report.exit_code)


def _print_report(report) -> None:  # type: ignore[no-untyped-def]
    out = console.print
    if not report.readable:
        print(f"azur: {report.error}", file=sys.stderr)
        return
    m = report.manifest
    verdicts = {
        "valid": "[green]valid[/], made by Azur",
        "foreign": "[yellow]valid, but not made by Azur[/]",
        "tampered": "[red]TAMPERED[/]: the file changed after it was signed",
        "stripped": "[yellow]missing (stripped)[/]: manifest missing, watermark present",
        "missing": "none",
    }
    out(f"[bold]{report.path}[/]")
    out(f"  C2PA manifest: {verdicts[report.manifest_verdict]}" + (f" ({m.source})" if m and m.source else ""))
    if m and m.status == "valid":
        trust = "this installation's certificate" if m.trusted else "a certificate this installation does not know"
        out(f"    signed by: {m.signer or '?'} ({trust})")
        out(f"    generator: {m.generator}; source type: {(m.digital_source_type or '?').rsplit('/', 1)[-1]}")
        if m.azur:
            out(f"    video: {m.azur.get('video_id')}, model {m.azur.get('model')}, created {m.azur.get('created_at')}")
    for error in (m.errors if m and m.status == "invalid" else ()):
        out(f"    [red]{error}[/]")
    w = report.watermark
    if w and w.found and w.payload:
        where = {True: "this installation", False: "another Azur installation", None: "an Azur installation"}
        out(f"  Watermark: [green]found[/] — installation {w.payload.installation_tag:04x} "
            f"({where[report.made_here]}), video ref {w.payload.video_ref} "
            f"(sync {w.sync_score:.1f}, {w.frames_read} frames)")
    else:
        out(f"  Watermark: none found (sync {w.sync_score:.1f} over {w.frames_read if w else 0} frames)")
    if report.video:
        v = report.video
        out(f"  Matching video: {v.get('id')} created {v.get('created_at')}: {v.get('prompt')!r}")
    for note in report.notes:
        out(f"  note: {note}")
    out("  [bold green]Verdict: made by Azur[/]" if report.exit_code == 0 else "  [bold]Verdict: no Azur mark found[/]")


def _database_lookup(settings):  # type: ignore[no-untyped-def]
    """A look-up of watermark video refs in this installation's database, when there is one (else None)."""
    try:
        from azur.db.models import Video
        from azur.db.session import Database
        from sqlalchemy import select
    except ImportError:
        return None
    url = settings.resolved_database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return None

    def find(ref: str) -> dict | None:
        try:
            db = Database(url)
            try:
                with db.session() as session:
                    video = session.scalars(select(Video).where(Video.id.like(f"video_{ref}%")).limit(1)).first()
                    if video is None:
                        return None
                    return {"id": video.id, "created_at": video.created_at, "prompt": video.prompt}
            finally:
                db.dispose()
        except Exception as exc:  # noqa: BLE001 - the look-up is a bonus; verify must still answer
            return {"id": None, "error": f"database look-up failed: {exc.__class__.__name__}"}

    return find
