"""The street-peer test: a grid far above the other grids of its street this month is
flagged, a grid like its peers is not, and its p-values behave as p-values."""

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import nbinom, poisson

from civicgrid.archive import store
from civicgrid.diagnosis.definition import window
from civicgrid.diagnosis.engines import DuckDBEngine
from civicgrid.diagnosis.report import MonthlyFigures, compute
from civicgrid.diagnosis.statistics import peer_test
from tests.factories import OTHER_STREET_SAME_DISTRICT, OWN_COMMUNITY, OWN_DISTRICT, archived_event

MONTH = "2026-11"
PEERS = tuple(f"{OWN_COMMUNITY}{n:03d}" for n in range(1, 9))
SPIKE, FLAT = PEERS[0], PEERS[1]
OTHERS = tuple(f"{OTHER_STREET_SAME_DISTRICT}001{n:03d}" for n in range(1, 9))
CHRONIC = OTHERS[0]
LONE = f"{OWN_DISTRICT}003001001"


def _count(grid: str, month: str) -> int:
    """Thefts per grid and month: 8 everywhere, the spike 24 this month only, the chronic
    grid (in another street) 24 every month, the grid alone in its street 40 every month."""
    if grid == SPIKE and month == MONTH:
        return 24
    return {CHRONIC: 24, LONE: 40}.get(grid, 8)


def _archive(root: Path) -> Path:
    serial = 0
    for month in window(MONTH):
        when = datetime.fromisoformat(f"{month}-10T02:00:00+00:00")
        batch = []
        for grid in (*PEERS, *OTHERS, LONE):
            for _ in range(_count(grid, month)):
                serial += 1
                batch.append(
                    archived_event(
                        serial, when, grid, "theft", source="case", kind="", status="closed"
                    )
                )
        store.write_batch(root, "case", batch)
    return root


def _theft(figures: MonthlyFigures, grid: str) -> dict[str, Any]:
    return next(row for row in figures.cells.to_pylist() if row["grid_code"] == grid)


def test_a_spike_against_flat_street_peers_is_flagged_by_the_peer_test_and_a_flat_grid_is_not(
    tmp_path: Path,
):
    figures = compute(DuckDBEngine(_archive(tmp_path)), MONTH, {})

    spike, flat = _theft(figures, SPIKE), _theft(figures, FLAT)
    assert spike["peer_anomaly"] is True
    assert spike["peer_p_value"] < 1e-4
    assert flat["peer_anomaly"] is False
    assert flat["peer_p_value"] > 0.3
    # The chronic grid never changed, so only the comparison with its peers finds it.
    chronic = _theft(figures, CHRONIC)
    assert (chronic["anomaly"], chronic["peer_anomaly"]) == (False, True)
    # A grid alone in its street has no peers: it is not tested against them.
    assert _theft(figures, LONE)["peer_p_value"] == 1.0
    grids = {row["grid_code"]: row for row in figures.grids.to_pylist()}
    assert grids[SPIKE]["peer_anomalies"] == 1
    assert grids[FLAT]["peer_anomalies"] == 0
    assert figures.peer_anomalies == 2


def test_a_grid_with_twice_the_residents_and_twice_the_events_is_not_flagged(tmp_path: Path):
    """With residents known for every grid of the street, the peers' rate is per resident."""
    residents = dict.fromkeys((*PEERS, *OTHERS), 1000) | {CHRONIC: 3000}

    figures = compute(DuckDBEngine(_archive(tmp_path)), MONTH, residents)

    assert _theft(figures, CHRONIC)["peer_anomaly"] is False
    assert _theft(figures, SPIKE)["peer_anomaly"] is True
    grids = {row["grid_code"]: row for row in figures.grids.to_pylist()}
    assert grids[CHRONIC]["rate_per_1000"] == 8.0
    assert grids[SPIKE]["rate_per_1000"] == 24.0
    assert grids[SPIKE]["month_on_month_pct"] == 200.0
    assert grids[FLAT]["year_on_year_pct"] == 0.0


_counts = st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=8)


@given(
    peers=_counts,
    exposures=st.lists(st.integers(min_value=1, max_value=5000), min_size=9, max_size=9),
    own=st.integers(min_value=0, max_value=500),
    more=st.integers(min_value=1, max_value=50),
)
def test_peer_p_values_lie_in_0_1_and_fall_as_the_grids_own_count_rises(
    peers, exposures, own, more
):
    street = np.zeros(len(peers) + 1, dtype=np.int64)
    exposure = np.array(exposures[: len(peers) + 1], dtype=np.float64)

    def p_of(count: int) -> float:
        counts = np.array([[count], *([c] for c in peers)], dtype=np.int64)
        p_values = peer_test(counts, exposure, street)
        assert np.all((p_values >= 0) & (p_values <= 1))
        return float(p_values[0, 0])

    lower, higher = p_of(own), p_of(own + more)
    assert higher <= lower + 1e-12
    assert p_of(0) == 1.0


def _peer_p_by_hand(counts: Any, exposure: Any, street: Any) -> Any:
    """The peer test cell by cell, as its docstring states it, with scipy's distributions:
    leave-one-out peer rate (+ ½), Pearson dispersion over the peers, NB1 or Poisson tail."""
    p_values = np.ones(counts.shape)
    for grid, klass in np.ndindex(counts.shape):
        x = counts[grid, klass]
        peers = [h for h in range(len(street)) if street[h] == street[grid] and h != grid]
        peers_e = sum(exposure[h] for h in peers)
        if x == 0 or not peers or peers_e <= 0:
            continue
        peers_x = sum(counts[h, klass] for h in peers)
        observed = peers_x / peers_e
        phi = 0.0
        if len(peers) >= 2 and peers_x > 0:
            pearson = sum(
                (counts[h, klass] - exposure[h] * observed) ** 2 / (exposure[h] * observed)
                for h in peers
            )
            phi = max(pearson / (len(peers) - 1) - 1.0, 0.0)
        mean = exposure[grid] * (peers_x + 0.5) / peers_e
        if phi > 0:
            p_values[grid, klass] = nbinom.sf(x - 1, mean / phi, 1.0 / (1.0 + phi))
        else:
            p_values[grid, klass] = poisson.sf(x - 1, mean)
    return p_values


@pytest.mark.parametrize("exposure_kind", ["one per grid", "residents"])
def test_peer_p_values_equal_a_cell_by_cell_computation(exposure_kind: str):
    """Cells sharing a street, class, count and exposure get their tail computed once: the
    figures must be those of computing every cell on its own."""
    rng = np.random.default_rng(5)
    street = np.repeat(np.arange(5), [12, 9, 1, 7, 11])
    counts = rng.poisson(rng.gamma(1.5, 2.0, (len(street), 6)))
    counts[3, 2] = 40  # a spike
    counts[:, 4] = 0  # a class nobody had
    exposure = (
        np.ones(len(street)) if exposure_kind == "one per grid" else rng.integers(200, 3000, 40)
    ).astype(np.float64)

    fast = peer_test(counts, exposure, street)

    assert fast == pytest.approx(_peer_p_by_hand(counts, exposure, street), rel=1e-9, abs=1e-15)
    assert fast[3, 2] < 1e-6
    assert (fast[:, 4] == 1.0).all()
    assert (fast[street == 2] == 1.0).all()
