"""GIN indexes for article search on PostgreSQL (nothing to do elsewhere).

The expressions are the ones ``articles.search`` queries with; keep the two
in step, or the planner falls back to a sequential scan.
"""

from django.db import migrations

# Copied from articles.search when this migration was written (a migration
# must not change when application code does).
TITLE_DOCUMENT = (
    "(setweight(to_tsvector('indonesian'::regconfig, COALESCE(headline, '')), 'A') || "
    "setweight(to_tsvector('indonesian'::regconfig, COALESCE(dek, '')), 'B'))"
)
BODY_DOCUMENT = "to_tsvector('indonesian'::regconfig, COALESCE(body, ''))"

CREATE = [
    f"CREATE INDEX IF NOT EXISTS article_search_title_gin ON articles_article USING gin ({TITLE_DOCUMENT})",
    f"CREATE INDEX IF NOT EXISTS article_search_body_gin ON articles_article USING gin (({BODY_DOCUMENT}))",
]
DROP = [
    "DROP INDEX IF EXISTS article_search_title_gin",
    "DROP INDEX IF EXISTS article_search_body_gin",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [migrations.RunPython(run(CREATE), run(DROP), elidable=False)]
