"""The baseline of `bench.speed`: a bare FastAPI app answering `GET /persons` with the same page the real API
returned, from memory (no database, no token, no middleware). What a list could cost at best on this machine.

    BENCH_BASELINE_BODY=/tmp/page.json uvicorn --factory bench.baseline_app:create --port 18100
"""

import json
import os
from typing import Any

from fastapi import FastAPI


def create() -> FastAPI:
    with open(os.environ["BENCH_BASELINE_BODY"], encoding="utf-8") as f:
        page: dict[str, Any] = json.load(f)
    app = FastAPI()

    @app.get("/persons")
    def persons() -> dict[str, Any]:
        return page

    return app
