"""``Article.search_periods``: each word of the title and the body, tagged
with the article's publication period, so a search finds a word's newest
matches in the index instead of reading every match's row.

A search ranks the newest few hundred matches of its words. For a word in a few
percent of 100,000 articles, finding those meant reading thousands of rows
(a bitmap of every match, then the newest) or walking the date index and
testing vectors on the way. This column holds ``t:<lexeme>@<period>`` for
every lexeme of ``search_title`` and ``b:<lexeme>@<period>`` for every lexeme
of ``search_body``, where the period is the 30-day span since 1970 the
article's ``published_at`` falls in (``website.search_plans.PERIOD_SECONDS``). A
query for a word in the newest periods is an index lookup of a few short
posting lists (``website.search_plans.period_window``).

The trigger that writes the search vectors (migration 0004) writes this
column too, now also when ``published_at`` changes. NULL on SQLite (search
falls back to LIKE there) and for an article never published.

On a large archive the fill rewrites every article row once: run ``VACUUM
(ANALYZE) articles_article`` afterwards.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import migrations

PERIOD_SECONDS = 30 * 24 * 3600  # website.search_plans.PERIOD_SECONDS when this was written

TITLE_DOCUMENT = (
    "(setweight(to_tsvector('indonesian'::regconfig, COALESCE(NEW.headline, '')), 'A') || "
    "setweight(to_tsvector('indonesian'::regconfig, COALESCE(NEW.dek, '')), 'B'))"
)
BODY_DOCUMENT = "to_tsvector('indonesian'::regconfig, COALESCE(NEW.body, ''))"

FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION article_search_periods(title tsvector, body tsvector, published timestamptz)
    RETURNS tsvector AS $$
        SELECT CASE WHEN published IS NULL THEN NULL ELSE COALESCE(
            (SELECT array_to_tsvector(array_agg(token)) FROM (
                SELECT 't:' || lexeme || '@' || period AS token
                  FROM unnest(tsvector_to_array(COALESCE(title, ''::tsvector))) AS lexeme
                UNION ALL
                SELECT 'b:' || lexeme || '@' || period
                  FROM unnest(tsvector_to_array(COALESCE(body, ''::tsvector))) AS lexeme
            ) AS tokens),
            ''::tsvector) END
        FROM (SELECT floor(extract(epoch FROM published) / {PERIOD_SECONDS})::bigint AS period) AS p
    $$ LANGUAGE sql IMMUTABLE
    """,
    f"""
    CREATE OR REPLACE FUNCTION article_search_vectors() RETURNS trigger AS $$
    BEGIN
        NEW.search_title := {TITLE_DOCUMENT};
        NEW.search_body := {BODY_DOCUMENT};
        NEW.search_periods := article_search_periods(NEW.search_title, NEW.search_body, NEW.published_at);
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS article_search_vectors ON articles_article",
    "CREATE TRIGGER article_search_vectors BEFORE INSERT OR UPDATE OF headline, dek, body, published_at "
    "ON articles_article FOR EACH ROW EXECUTE FUNCTION article_search_vectors()",
    "UPDATE articles_article SET search_periods = "
    "article_search_periods(search_title, search_body, published_at) WHERE published_at IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS article_search_periods_gin ON articles_article USING gin (search_periods)",
    "ANALYZE articles_article",
]
BACKWARD = [
    f"""
    CREATE OR REPLACE FUNCTION article_search_vectors() RETURNS trigger AS $$
    BEGIN
        NEW.search_title := {TITLE_DOCUMENT};
        NEW.search_body := {BODY_DOCUMENT};
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS article_search_vectors ON articles_article",
    "CREATE TRIGGER article_search_vectors BEFORE INSERT OR UPDATE OF headline, dek, body "
    "ON articles_article FOR EACH ROW EXECUTE FUNCTION article_search_vectors()",
    "DROP INDEX IF EXISTS article_search_periods_gin",
    "DROP FUNCTION IF EXISTS article_search_periods(tsvector, tsvector, timestamptz)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0011_body_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_periods",
            field=SearchVectorField(editable=False, null=True, verbose_name="search periods"),
        ),
        migrations.RunPython(forward, backward),
    ]
