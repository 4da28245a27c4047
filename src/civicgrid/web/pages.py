"""Page routes (placeholder until the web shell lands)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
