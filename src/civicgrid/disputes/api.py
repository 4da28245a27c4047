"""HTTP routes of disputes."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/disputes", tags=["disputes"])
