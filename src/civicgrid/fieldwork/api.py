"""HTTP routes of fieldwork."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/fieldwork", tags=["fieldwork"])
