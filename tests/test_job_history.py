"""Index jobs survive a server restart: finished ones are still listed, and one that was
queued or running when its server died is shown as interrupted, with what it had done."""

from __future__ import annotations

import shutil
import socket

from tests.api_server import built_library, live_server, server_config, wait_for_job
from vidseek.core.catalog.job_log import JobLog
from vidseek.core.library import Library

DEAD_PID = 2**22 + 12345  # above Linux's pid_max: never a live process


def _document(job_id: str, state: str, **counts) -> dict:
    return {
        "id": job_id, "state": state, "paths": ["/m/a.mp4"], "files_total": 4,
        "files_done": 2, "files_indexed": 2, "files_unchanged": 0, "files_failed": 0,
        "frames": 40, "current_file": "/m/c.mp4", "created_at": 1.0, "started_at": 2.0,
        "finished_at": None, "elapsed_s": 3.0, "eta_s": 3.0, "error": None, "failures": [],
        **counts,
    }  # fmt: skip


def test_orphans_of_this_host_are_interrupted_and_others_left_alone(tmp_path):
    with Library.open(tmp_path / "lib") as library:
        engine = library.catalog.engine
        host = socket.gethostname()
        JobLog(engine, owner=f"{host}:{DEAD_PID}").save(
            "dead", "running", 1.0, _document("dead", "running")
        )
        JobLog(engine, owner="elsewhere:1").save(
            "remote", "running", 2.0, _document("remote", "running")
        )
        JobLog(engine, owner=f"{host}:1").save("alive", "queued", 3.0, _document("alive", "queued"))
        log = JobLog(engine)
        assert log.interrupt_orphans() == 1
        states = {d["id"]: d["state"] for d in log.recent()}
        assert states == {"dead": "interrupted", "remote": "running", "alive": "queued"}
        dead = log.get("dead")
        assert dead["files_done"] == 2 and dead["current_file"] is None
        assert "stopped" in dead["error"]


def test_jobs_outlive_the_server(tmp_path):
    library = built_library()
    root = tmp_path / "media"
    root.mkdir()
    shutil.copy(library.videos[0], root / "a.mp4")
    config = server_config(library, home=tmp_path / "library", media_roots=(root,))
    with live_server(config) as server, server.client() as client:
        job = wait_for_job(client, client.post("/index", json={"paths": ["."]}).json()["id"])
        assert job["state"] == "succeeded"
    with Library.open(config.home) as lib:  # a server that died while a job was running
        JobLog(lib.catalog.engine, owner=f"{socket.gethostname()}:{DEAD_PID}").save(
            "job-dead", "running", 0.5, _document("job-dead", "running")
        )
    with live_server(config) as server, server.client() as client:
        listed = {j["id"]: j for j in client.get("/jobs").json()["jobs"]}
        assert listed[job["id"]]["state"] == "succeeded"
        assert listed[job["id"]]["files_indexed"] == 1
        dead = client.get("/jobs/job-dead").json()
        assert dead["state"] == "interrupted" and dead["files_done"] == 2
