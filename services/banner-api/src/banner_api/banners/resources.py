"""Banner endpoints (placeholder until the resource lands)."""

from flask_smorest import Blueprint

blp = Blueprint("banners", __name__, description="Register, search, edit and archive banners")
