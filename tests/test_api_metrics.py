"""``/health`` and the Prometheus ``/metrics`` text."""

from __future__ import annotations

import re

import pytest

from tests.api_server import built_library, live_server, server_config

LABELS = r'\{(?:[a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*\}'
SAMPLE = re.compile(rf"^[a-zA-Z_:][a-zA-Z0-9_:]*(?:{LABELS})? -?[0-9.e+-]+$")


@pytest.fixture(scope="module")
def client():
    with live_server(server_config(built_library())) as server, server.client() as client:
        yield client


def test_health(client):
    data = client.get("/health").json()
    assert data == {"status": "ok", "videos": 3, "model": "vidseek-demo:random", "jobs_running": 0}


def _samples(text: str) -> dict[str, float]:
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        assert SAMPLE.match(line), line
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    return samples


def test_metrics_text_format(client):
    for _ in range(3):
        assert client.get("/search", params={"q": "a circle"}).status_code == 200
    client.get("/videos/999999")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert "# TYPE vidseek_http_request_duration_seconds histogram" in text
    samples = _samples(text)
    route = 'method="GET",route="/search"'
    count = samples[f"vidseek_http_request_duration_seconds_count{{{route}}}"]
    assert count >= 3
    inf = samples[f'vidseek_http_request_duration_seconds_bucket{{{route},le="+Inf"}}']
    assert inf == count
    buckets = [
        v
        for k, v in samples.items()
        if k.startswith(f"vidseek_http_request_duration_seconds_bucket{{{route}")
    ]
    assert buckets == sorted(buckets)  # cumulative
    assert samples[f'vidseek_http_requests_total{{{route},status="200"}}'] >= 3
    missing = 'vidseek_http_requests_total{method="GET",route="/videos/{video_id}",status="404"}'
    assert samples[missing] >= 1
    assert samples['vidseek_library_videos{status="indexed"}'] == 3
    assert samples['vidseek_library_videos{status="failed"}'] == 0
    assert samples["vidseek_library_segments"] > 0
    assert samples["vidseek_index_bytes"] > 0
    for state in ("queued", "running", "succeeded", "failed", "cancelled"):
        assert samples[f'vidseek_jobs{{state="{state}"}}'] == 0


def test_unmatched_paths_do_not_explode_label_cardinality(client):
    for i in range(5):
        client.get(f"/random/{i}")
    text = client.get("/metrics").text
    assert "/random/" not in text
    assert 'route="unmatched"' in text


def test_unknown_methods_share_one_label_so_series_stay_bounded(client):
    client.request("BREW", "/search")
    before = client.get("/metrics").text
    for i in range(50):
        client.request(f"M{i:03d}X", "/search")
        client.request(f"Q{i:03d}", f"/no/such/{i}")
    client.request("Z" * 8000, "/videos")
    after = client.get("/metrics").text
    assert 'method="other"' in after
    assert "M049X" not in after and "ZZZZ" not in after
    series = {line.rsplit(" ", 1)[0] for line in after.splitlines() if not line.startswith("#")}
    old = {line.rsplit(" ", 1)[0] for line in before.splitlines() if not line.startswith("#")}
    # new series may only come from the fixed label sets (method "other" × routes × statuses)
    assert all('method="other"' in s or "/metrics" in s for s in series - old), series - old
    assert len(series - old) < 60


@pytest.mark.parametrize(
    "label,public",
    [
        ("vidseek-demo:bundled", "vidseek-demo:bundled"),
        ("ViT-B-32:laion2b_s34b_b79k", "ViT-B-32:laion2b_s34b_b79k"),
        ("hf-hub:timm/ViT-B-16-SigLIP", "hf-hub:timm/ViT-B-16-SigLIP"),
        ("local-dir:/srv/models/mine", "local-dir:local"),
        ("ViT-B-32:/home/me/weights.pt", "ViT-B-32:local"),
    ],
)
def test_health_never_shows_a_local_model_path(label, public):
    from vidseek.api.routes_system import public_model_label

    assert public_model_label(label) == public
