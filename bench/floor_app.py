"""The framework floor of (4): FastAPI with one route and nothing of ours (no middleware, no
database), served by the same uvicorn under the same clients as the list queries.

The p99 of a closed loop of 32 clients is first a throughput figure (p50 ~ 32 / req/s), and what
a request costs in FastAPI and uvicorn alone differs ~2.5x between the VMs this project has been
measured on. Printed beside the lists, this says how much of the 20 ms target this machine's
HTTP stack takes before any query runs: the figure to read (4) against, as (1) is for (2).
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel


class Health(BaseModel):
    status: str


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/livez", response_model=Health)
async def livez() -> Health:
    return Health(status="ok")


@app.get("/readyz", response_model=Health)
async def readyz() -> Health:
    return Health(status="ready")
