"""Stored search vectors for article search on PostgreSQL (nothing to do elsewhere).

Ranking with ``ts_rank`` needs each matching row's vector. With only
expression indexes (0001) PostgreSQL recomputed ``to_tsvector`` of every
match's headline, dek and body per search: ~3,000 bodies for a common word at
100,000 articles, a second per request. Two columns keep the vectors on the
row, computed once per write by a trigger; GIN indexes on them replace the
expression indexes. The columns are not model fields (the ORM never writes
them; the trigger does), so ``articles.search`` names them in raw SQL.

A trigger rather than ``GENERATED ALWAYS AS ... STORED``: PostgreSQL refuses
to change the type of a column a generated column reads, so a later
``AlterField`` on headline, dek or body (a longer ``max_length``) would fail.
"""

from django.db import migrations

# Copied from 0001 / articles.search when this migration was written.
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


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("readersite", "0001_search_indexes"), ("articles", "0003_staff_roles")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD), elidable=False)]
