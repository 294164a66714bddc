"""Fixtures: the rendered objects of each kustomize overlay."""

from __future__ import annotations

import pytest

from tests.deploy.manifests import OVERLAYS, Obj, render


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def objects(overlay: str) -> list[Obj]:
    return render(overlay)
