"""The JSON API object. Each app adds its router here."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Newsroom API",
    version="1.0.0",
    description="Public content, the reader's subscription and editor endpoints.",
    urls_namespace="api",
)
