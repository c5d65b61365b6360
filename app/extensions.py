"""Unbound extensions; create_app binds them. The AppBuilder is made inside create_app."""

from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_mail import Mail
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# One metadata for FAB's tables and ours, so Alembic sees both.
db = SQLA(metadata=Model.metadata)
migrate = Migrate()
mail = Mail()
csrf = CSRFProtect()
# Its storage comes from RATELIMIT_STORAGE_URI, set in create_app.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
