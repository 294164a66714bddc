"""Schedule and calendar endpoints (placeholder until the resource lands)."""

from flask_smorest import Blueprint

schedule_blp = Blueprint("schedule", __name__, description="Place, order and remove banners on days")
calendar_blp = Blueprint("calendar", __name__, description="A month at a glance")
