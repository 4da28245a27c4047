"""HTTP routes of registry."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/registry", tags=["registry"])
