"""Stored search vectors, declared on the article (formerly ``readersite`` 0001-0002).

The columns ``search_title`` and ``search_body`` are model fields now
(``Article.search_title``/``search_body``). On PostgreSQL a trigger keeps them
current on every write of headline, dek or body, with GIN indexes on both;
ranking reads the stored vectors instead of re-parsing every matching body per
search. A trigger rather than ``GENERATED ALWAYS AS ... STORED``: PostgreSQL
refuses to change the type of a column a generated column reads, so a later
``AlterField`` on headline, dek or body would fail.

Every statement is idempotent: a database that ran the old ``readersite``
migrations already has the columns, trigger and indexes, and keeps them. On
SQLite the columns are plain nullable columns (search falls back to LIKE).
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import migrations

# Copied from 0001 / website.search when this migration was written.
TITLE_DOCUMENT = (
    "(setweight(to_tsvector('indonesian'::regconfig, COALESCE(headline, '')), 'A') || "
    "setweight(to_tsvector('indonesian'::regconfig, COALESCE(dek, '')), 'B'))"
)
BODY_DOCUMENT = "to_tsvector('indonesian'::regconfig, COALESCE(body, ''))"

FORWARD = [
    "ALTER TABLE articles_article "
    "ADD COLUMN IF NOT EXISTS search_title tsvector, ADD COLUMN IF NOT EXISTS search_body tsvector",
    f"""
    CREATE OR REPLACE FUNCTION article_search_vectors() RETURNS trigger AS $$
    BEGIN
        NEW.search_title := {TITLE_DOCUMENT.replace("headline", "NEW.headline").replace("dek,", "NEW.dek,")};
        NEW.search_body := {BODY_DOCUMENT.replace("body,", "NEW.body,")};
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS article_search_vectors ON articles_article",
    "CREATE TRIGGER article_search_vectors BEFORE INSERT OR UPDATE OF headline, dek, body "
    "ON articles_article FOR EACH ROW EXECUTE FUNCTION article_search_vectors()",
    f"UPDATE articles_article SET search_title = {TITLE_DOCUMENT}, search_body = {BODY_DOCUMENT}",
    "CREATE INDEX IF NOT EXISTS article_search_title_vec_gin ON articles_article USING gin (search_title)",
    "CREATE INDEX IF NOT EXISTS article_search_body_vec_gin ON articles_article USING gin (search_body)",
    "DROP INDEX IF EXISTS article_search_title_gin",
    "DROP INDEX IF EXISTS article_search_body_gin",
    "ANALYZE articles_article",
]
BACKWARD = [
    f"CREATE INDEX IF NOT EXISTS article_search_title_gin ON articles_article USING gin ({TITLE_DOCUMENT})",
    f"CREATE INDEX IF NOT EXISTS article_search_body_gin ON articles_article USING gin (({BODY_DOCUMENT}))",
    "DROP INDEX IF EXISTS article_search_title_vec_gin",
    "DROP INDEX IF EXISTS article_search_body_vec_gin",
    "DROP TRIGGER IF EXISTS article_search_vectors ON articles_article",
    "DROP FUNCTION IF EXISTS article_search_vectors()",
    "ALTER TABLE articles_article DROP COLUMN IF EXISTS search_title, DROP COLUMN IF EXISTS search_body",
]



def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)
        return
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "articles_article")}
    for name in ("search_title", "search_body"):
        if name not in columns:
            schema_editor.execute(f"ALTER TABLE articles_article ADD COLUMN {name} text NULL")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)
        return
    for name in ("search_title", "search_body"):
        schema_editor.execute(f"ALTER TABLE articles_article DROP COLUMN {name}")


class Migration(migrations.Migration):
    dependencies = [("articles", "0003_staff_roles")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="article",
                    name="search_title",
                    field=SearchVectorField(editable=False, null=True),
                ),
                migrations.AddField(
                    model_name="article",
                    name="search_body",
                    field=SearchVectorField(editable=False, null=True),
                ),
            ],
            database_operations=[migrations.RunPython(forward, backward, elidable=False)],
        )
    ]
