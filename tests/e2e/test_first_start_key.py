"""The README's first steps with auth on by default: ``omniroute serve`` on the embedded
default makes an admin key at its first start, in a file only its owner can read, and the
README's request works with it (and without it is 401). ``OMNIROUTE_AUTH=off`` warns."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx

from tests.support.processes import ServeProcess

PREVIEW = {  # the README's preview request
    "id": "O1",
    "channel": "web",
    "lines": [
        {"id": "1", "sku": "SKU-00001", "quantity": 2},
        {"id": "2", "sku": "SKU-00042", "quantity": 1},
    ],
    "delivery": {
        "method": "ship",
        "lat": 40.71,
        "lon": -74.01,
        "country": "US",
        "delivery_method_id": "STANDARD",
    },
}
SMALL_SAMPLE = {"OMNIROUTE_SAMPLE_SKUS": "100"}  # the bundled network, less generated stock


def test_the_first_start_writes_an_owner_only_admin_key_that_the_readme_request_uses(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "serve"
    with ServeProcess(SMALL_SAMPLE, directory=directory) as server:  # the default database
        server.start()
        key_file = directory / "omniroute-admin.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = key_file.read_text().strip()
        assert f"an API key with every scope is in {key_file}" in server.log_text()
        with httpx.Client(base_url=server.url, timeout=10) as http:
            refused = http.post("/v1/routes/preview", json=PREVIEW)
            answered = http.post(
                "/v1/routes/preview", json=PREVIEW, headers={"Authorization": f"Bearer {key}"}
            )
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert answered.status_code == 200, answered.text
        assert answered.json()["status"] == "routable"  # the sample stock holds both SKUs
        assert key not in server.log_text()

    with ServeProcess(SMALL_SAMPLE, directory=directory) as again:  # a restart keeps the key
        again.start()
        assert key_file.read_text().strip() == key
        assert f"the first start's API key is in {key_file}" in again.log_text()
        with httpx.Client(base_url=again.url, timeout=10) as http:
            headers = {"Authorization": f"Bearer {key}"}
            assert http.post("/v1/routes/preview", json=PREVIEW, headers=headers).status_code == 200


def test_auth_off_lets_anyone_in_and_warns_at_every_start(tmp_path: Path) -> None:
    env = {**SMALL_SAMPLE, "OMNIROUTE_AUTH": "off"}
    directory = tmp_path / "serve"
    for _ in range(2):
        with ServeProcess(env, directory=directory) as server:
            server.start()
            with httpx.Client(base_url=server.url, timeout=10) as http:
                assert http.post("/v1/routes/preview", json=PREVIEW).status_code == 200
            assert "OMNIROUTE_AUTH=off" in server.log_text()
        assert not (directory / "omniroute-admin.key").exists()
