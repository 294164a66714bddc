"""The KPI endpoint: the business figures of the dashboard, as JSON."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_smorest import Blueprint

from banner_api.auth.current import current_principal
from banner_api.context import services
from banner_api.kpis.schemas import KpiSchema
from banner_api.kpis.service import KpiScope, compute_kpis
from banner_common.models import utcnow

blp = Blueprint("kpis", __name__, description="Business KPIs: live banners, coverage, planning activity")


@blp.route("/kpis", methods=["GET"])
@blp.response(HTTPStatus.OK, KpiSchema)
def read_kpis() -> dict[str, Any]:
    """KPIs as of now; a caller scoped to campaign types sees figures about its own banners only"""
    svc = services()
    scope = KpiScope(campaign_types=current_principal().campaign_types)
    with svc.session_factory() as session:
        return compute_kpis(session, svc.settings.tz, svc.target_names, utcnow(), scope)
