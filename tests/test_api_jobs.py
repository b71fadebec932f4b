"""Background index jobs: progress, searches served meanwhile, new vectors without restart."""

from __future__ import annotations

import shutil
import time

import pytest

from tests.api_server import (
    built_library,
    decoders_of_one_job,
    live_server,
    server_config,
    wait_for_job,
)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    library = built_library()
    base = tmp_path_factory.mktemp("jobs")
    root = base / "media"
    (root / "first").mkdir(parents=True)
    (root / "more").mkdir()
    shutil.copy(library.videos[0], root / "first" / "a.mp4")
    shutil.copy(library.videos[1], root / "more" / "b.mp4")
    shutil.copy(library.videos[2], root / "more" / "c.mp4")
    (root / "more" / "notes.txt").write_text("not a video")
    # the real default: each file decoded in an isolated worker process
    config = server_config(
        library, home=base / "library", media_roots=(root,), isolate_decoding=True
    )
    with live_server(config) as server, server.client() as client:
        yield client, root


def _videos_found(client) -> set[int]:
    response = client.get("/search", params={"q": "a shape", "k": 200, "group_by": "video"})
    assert response.status_code == 200, response.text
    return {g["video_id"] for g in response.json()["groups"]}


def test_job_progress_while_searches_are_served(setup):
    client, root = setup
    assert client.get("/search", params={"q": "a shape"}).json()["library_empty"] is True

    first = client.post("/index", json={"paths": ["first"]})
    assert first.status_code == 202, first.text
    assert first.json()["state"] in ("queued", "running")
    done = wait_for_job(client, first.json()["id"])
    assert done["state"] == "succeeded", done
    assert (done["files_total"], done["files_done"], done["files_indexed"]) == (1, 1, 1)
    assert done["frames"] > 0 and done["elapsed_s"] > 0 and done["eta_s"] == 0
    assert len(_videos_found(client)) == 1  # visible without a restart

    job = client.post("/index", json={"paths": [str(root / "more")]}).json()
    polls, searches = [], 0
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = client.get(f"/jobs/{job['id']}").json()
        polls.append(status)
        found = _videos_found(client)  # searches keep working during the job
        searches += 1
        assert len(found) >= 1
        if status["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    final = polls[-1]
    assert final["state"] == "succeeded", final
    assert final["files_total"] == 2 and final["files_done"] == 2 and final["files_failed"] == 0
    done_counts = [p["files_done"] for p in polls]
    assert done_counts == sorted(done_counts)
    assert any(p["state"] == "running" for p in polls)
    for poll in polls:
        if poll["state"] == "running" and poll["files_done"] >= 1:
            assert poll["eta_s"] is not None and poll["eta_s"] >= 0
    assert searches >= 2
    assert len(_videos_found(client)) == 3

    again = wait_for_job(client, client.post("/index", json={"paths": ["."]}).json()["id"])
    assert again["state"] == "succeeded" and again["files_unchanged"] == 3
    assert again["files_indexed"] == 0
    listed = client.get("/jobs").json()["jobs"]
    assert [j["id"] for j in listed][-3:] == [first.json()["id"], job["id"], again["id"]]


def test_failed_files_are_reported(setup):
    client, root = setup
    broken = root / "broken"
    broken.mkdir()
    (broken / "truncated.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    job = wait_for_job(client, client.post("/index", json={"paths": ["broken"]}).json()["id"])
    assert job["state"] == "succeeded"
    assert job["files_failed"] == 1 and job["failures"][0]["status"] == "failed"
    assert job["failures"][0]["reason"]
    failed = client.get("/videos", params={"status": "failed"}).json()
    assert failed["total"] == 1 and failed["videos"][0]["error"]


def test_unknown_job_is_404(setup):
    client, _ = setup
    response = client.get("/jobs/job-does-not-exist")
    assert response.status_code == 404 and response.json()["error"]["code"] == "job_not_found"
    assert client.post("/jobs/nope/cancel").status_code == 404


def test_cancel_stops_before_the_next_file_and_skips_queued_jobs(tmp_path, monkeypatch):
    import threading

    import vidseek.api.app as server_app

    library = built_library()
    root = tmp_path / "media"
    root.mkdir()
    for i, video in enumerate(library.videos):
        shutil.copy(video, root / f"v{i}.mp4")
    gate = threading.Event()
    real_expand = server_app.files_to_index

    def gated_expand(paths, roots):
        gate.wait(30)  # hold the job in its first step until the test has cancelled it
        return real_expand(paths, roots)

    monkeypatch.setattr(server_app, "files_to_index", gated_expand)
    config = server_config(library, home=tmp_path / "library", media_roots=(root,))
    with live_server(config) as server, server.client() as client:
        first = client.post("/index", json={"paths": ["."]}).json()
        second = client.post("/index", json={"paths": ["."]}).json()
        assert client.get(f"/jobs/{second['id']}").json()["state"] == "queued"
        assert client.post(f"/jobs/{second['id']}/cancel").status_code == 200
        assert client.post(f"/jobs/{first['id']}/cancel").status_code == 200
        gate.set()
        one = wait_for_job(client, first["id"])
        two = wait_for_job(client, second["id"])
        # Cancelled before its first file started: nothing is embedded, nothing half-written.
        assert one["state"] == "cancelled" and one["files_done"] == 0, one
        assert one["files_total"] == len(library.videos)
        assert two["state"] == "cancelled" and two["files_done"] == 0 and two["started_at"] is None
        assert client.get("/health").json()["videos"] == 0


@pytest.mark.parametrize("isolate", [True, False])
def test_fast_decode_server_runs_jobs_on_the_fast_decoder(tmp_path, isolate):
    backends = decoders_of_one_job(tmp_path, isolate_decoding=isolate, fast_decode=True)
    assert backends == ["pyav-fast"]
