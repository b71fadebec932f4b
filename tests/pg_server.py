"""A real PostgreSQL server for tests: ``VIDSEEK_TEST_PG_URL`` if set, else a throwaway cluster.

The throwaway cluster lives in a temp folder, listens only on a unix socket in that folder
(no TCP port to collide on) and runs with ``fsync=off``; it is stopped and deleted at exit.
PostgreSQL refuses to run as root, so under root it runs as the ``postgres`` user.
Each test gets its own fresh database via :func:`fresh_database`.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import NoReturn

from tests.conftest import skip_or_fail_in_ci

ENV_URL = "VIDSEEK_TEST_PG_URL"
_counter = itertools.count()


def _unavailable(reason: str) -> NoReturn:
    """Fail in CI (the server is part of the test environment there), skip locally."""
    skip_or_fail_in_ci(f"PostgreSQL tests need a server: {reason}")


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class ThrowawayCluster:
    """``initdb`` + ``pg_ctl start`` in a temp folder; :meth:`stop` removes everything."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="vidseek-pg-"))
        self.data = self.root / "data"
        self.port = 5432  # only names the socket file; the socket folder is private
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = "postgres"
            pw = pwd.getpwnam(self._user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self.url = f"postgresql+psycopg://postgres@/postgres?host={self.root}&port={self.port}"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._user:
            cmd = ["runuser", "-u", self._user, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.strip() or proc.stdout}")

    def start(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        if self.data.exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.root, ignore_errors=True)


_server_url: str | None = None
_failure: str | None = None  # why no server could be had: not retried for every test


def server_url() -> str:
    """URL of a running server where the tests may create databases (started once)."""
    global _server_url, _failure
    if _server_url is not None:
        return _server_url
    if _failure is not None:
        _unavailable(_failure)
    url = os.environ.get(ENV_URL)
    if url:
        _server_url = url
        return url
    bindir = _bindir()
    if bindir is None:
        _failure = f"no PostgreSQL binaries (apt-get install postgresql) and no ${ENV_URL}"
        _unavailable(_failure)
    cluster = None
    try:
        cluster = ThrowawayCluster(bindir)
        cluster.start()
    except (RuntimeError, OSError, KeyError, subprocess.TimeoutExpired) as exc:
        if cluster is not None:
            cluster.stop()
        _failure = f"could not start a throwaway cluster: {exc}"
        _unavailable(_failure)
    atexit.register(cluster.stop)
    _server_url = cluster.url
    return _server_url


def fresh_database() -> str:
    """Create an empty database on the test server; return its SQLAlchemy URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(server_url())
    name = f"vidseek_t{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)
