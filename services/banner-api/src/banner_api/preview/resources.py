"""Preview endpoint (placeholder until the resource lands)."""

from flask_smorest import Blueprint

blp = Blueprint("preview", __name__, description="The footer exactly as it will be delivered")
