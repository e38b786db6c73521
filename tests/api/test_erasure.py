"""Erasure leaves nothing, on a real ``azur serve`` with a worker: several users in a row make videos with
distinctive prompts, get a prompt refused (an audit entry), then are erased, through ``DELETE /v1/me`` and
through ``azur users erase`` while the server runs. Afterwards no byte of their names, prompts or keys is
in the SQLite file (nor its -wal / -shm files) or anywhere under AZUR_HOME, the audit log no longer names
them, and no new user gets an erased user's id. On PostgreSQL the same, except the raw-file search
(its files belong to the database server, outside the test's reach)."""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import time
from pathlib import Path

import httpx
import openai
import pytest
from sqlalchemy import select, update

from azur.db.models import AuditEntry, User, Video
from azur.db.session import Database
from tests.accounts.conftest import database_env
from tests.conftest import AzurServer

ERASE_BY = ["api", "cli", "api", "cli"]


@pytest.fixture(params=["sqlite", "postgres"])
def working_server(request, tmp_path):
    env = {}
    env.update(database_env(request.param))
    srv = AzurServer(tmp_path / "home", env=env).start()
    yield srv
    srv.stop()


def database(server: AzurServer) -> Database:
    return Database(server.env.get("AZUR_DATABASE_URL") or f"sqlite:///{server.home / 'azur.db'}")


def user_id(server: AzurServer, name: str) -> int:
    db = database(server)
    try:
        with db.session() as session:
            return session.scalar(select(User.id).where(User.name == name))
    finally:
        db.dispose()


def crowd(server: AzurServer, owners: dict[int, str], rows: int, rng: random.Random) -> None:
    """Past videos of ``owners`` (id -> a word their prompts hold), interleaved and of varied lengths, some
    later updated: the page splits and merges of a real database, which leave stale copies of rows in
    pages' unused space where secure_delete does not look. Failed, so no worker picks them up."""
    db = database(server)
    try:
        with db.session() as session:
            ids = []
            for _ in range(rows):
                owner, word = rng.choice(list(owners.items()))
                ids.append(f"video_{secrets.token_hex(16)}")
                session.add(Video(id=ids[-1], user_id=owner, status="failed", created_at=time.time(),
                                  model="azur-tiny", prompt=f"a red ball {word} " + "x" * rng.randint(0, 300),
                                  seconds=1, width=480, height=480, seed=1, style="flat"))
        with db.session() as session:
            for video_id in rng.sample(ids, rows // 2):
                session.execute(update(Video).where(Video.id == video_id).values(
                    error_message="e" * rng.randint(0, 500), notes=["n" * rng.randint(0, 200)]))
    finally:
        db.dispose()


def traces_in(paths: list[Path], secrets_: dict[str, bytes]) -> list[str]:
    """Which secret is found in which file (empty when none)."""
    found = []
    for path in paths:
        raw = path.read_bytes()
        found += [f"{what} in {path.name}" for what, needle in secrets_.items() if needle in raw]
    return found


@pytest.mark.slow
def test_erasures_in_a_row_leave_no_byte_no_actor_and_no_reusable_id(working_server):
    srv = working_server
    on_sqlite = "AZUR_DATABASE_URL" not in srv.env
    rng = random.Random(0)
    erased: dict[int, dict[str, bytes]] = {}  # user id -> what must not be found afterwards
    ids_seen: list[int] = []
    bystander = srv.add_user("bystander", plan="plus")
    people = []  # created after the bystander: the last one erased is the newest user, whose id SQLite reused
    for how in ERASE_BY:
        marker = f"{rng.getrandbits(48):012x}"  # fixed by the seed: a random one once read as a slur
        name = f"zoé-erasable-{marker}"
        people.append((how, marker, name, srv.add_user(name, plan="plus")))
    crowd(srv, {user_id(srv, name): f"quasar{marker}" for _, marker, name, _ in people} |
          {user_id(srv, "bystander"): "bystander"}, 600, rng)
    for how, marker, name, key in people:
        client = srv.client(key)
        prompt = f"a purple star growing on a white background near quasar{marker}"
        video = client.videos.poll(client.videos.create(prompt=prompt, seconds="1", size="480x480").id)
        assert video.status == "completed", video.error
        with pytest.raises(openai.BadRequestError):  # a refusal: an audit entry naming the user
            client.videos.create(prompt=f"a naked woman lying on a bed {marker}", seconds="1", size="480x480")
        uid = user_id(srv, name)
        ids_seen.append(uid)
        erased[uid] = {"name": name.encode(), "prompt": f"quasar{marker}".encode(), "key": key.encode(),
                       "key prefix": key[:12].encode(), "key hash": hashlib.sha256(key.encode()).hexdigest().encode(),
                       "marker": marker.encode()}
        if how == "api":
            answer = httpx.delete(srv.url + "/v1/me", headers={"Authorization": f"Bearer {key}"}, timeout=60)
            assert answer.status_code == 200 and answer.json()["deleted"] is True
        else:
            srv.cli("users", "erase", name, "--yes")  # fails the test unless it exits 0
        assert not (srv.home / "files" / "videos" / video.id).exists()
        if on_sqlite:
            # Right after each erasure, with the server still running.
            leaks = traces_in(sorted(srv.home.glob("azur.db*")), {k: v for s in erased.values() for k, v in s.items()})
            assert leaks == [], (how, leaks)

    newcomer = srv.add_user("newcomer", plan="plus")
    assert user_id(srv, "newcomer") > max(ids_seen)  # the erased ids (the newest among them) are not given again
    assert "moderation" not in srv.cli("audit", "--user", "newcomer")  # an erased user's refusals are not theirs
    assert srv.client(newcomer).videos.list().data == []
    assert len(srv.client(bystander).videos.list(limit=100).data) > 0  # other users keep everything

    db = database(srv)
    try:
        with db.session() as session:
            actors = {a.actor for a in session.scalars(select(AuditEntry))}
            by_actor: dict[str, set[str]] = {}
            for a in session.scalars(select(AuditEntry)):
                by_actor.setdefault(a.actor, set()).add(a.action)
    finally:
        db.dispose()
    assert not {f"user:{uid}" for uid in erased} & actors, actors
    anonymous = {a for a in actors if a.startswith("user:erased-")}
    # One token per erased user, so the log still reads "this (unknown) user was refused, then erased".
    assert len(anonymous) == len(erased), actors
    assert all("moderation.prompt_blocked" in by_actor[a] for a in anonymous), by_actor

    srv.stop()
    everything = [p for p in srv.home.rglob("*") if p.is_file()]
    leaks = traces_in(everything, {k: v for s in erased.values() for k, v in s.items()})
    assert leaks == [], leaks
