"""The search's index of words by period also holds each article's stored
access level: ``article_level_periods_gin`` on ``(access_level,
search_periods)`` replaces ``article_search_periods_gin`` (migration 0012).

A search finds a word's newest matches in ``search_periods``' index, then
reads each match's row to learn whether the reader may search its body. At
100,000 articles an anonymous reader's search read about three rows for
every one it kept (free articles are 37.5% of the demo archive). With the
level in the same GIN index (``btree_gin`` makes a text column indexable
there), the scan of body words skips rows at levels no rule can open to the
reader (``paywall.policy.stored_levels``) before reading them. Searches of
the headline and dek use the same index without a level.

PostgreSQL only (search falls back to LIKE on SQLite). Both indexes are
built and dropped concurrently, so editors can keep saving articles while a
large archive is indexed: the migration is not atomic, and an index left
invalid by an interrupted run is dropped and built again.
"""

from django.db import migrations

NEW, OLD = "article_level_periods_gin", "article_search_periods_gin"


def _index(schema_editor, name: str, columns: str) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE c.relname = %s",
            [name],
        )
        found = cursor.fetchone()
    if found and found[0]:
        return
    if found:  # left invalid by an interrupted build
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY {name} ON articles_article USING gin ({columns})"
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    _index(schema_editor, NEW, "access_level, search_periods")
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {OLD}")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _index(schema_editor, OLD, "search_periods")
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NEW}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("articles", "0012_search_periods"),
    ]

    operations = [migrations.RunPython(forward, backward)]
