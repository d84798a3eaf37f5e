"""modelgen: generate the missing Flask-SQLAlchemy models from production PostgreSQL."""

__version__ = "0.1.0"
