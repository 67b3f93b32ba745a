"""``Article.body_text``: the body's blocks as plain text, for search snippets.

``Article.save`` writes it with the body from now on; this fills it in for the
articles already stored. A trigger (PostgreSQL and SQLite) clears it when a
body is written without it (raw SQL, an import, ``QuerySet.update``): search
then reads the body itself (``articles.body.visible_text``), so a snippet is
never cut from another body's text. The kept value holds the body's digest,
so a body written with ``save`` always writes a different value.

On a large archive this rewrites every article row once: run ``VACUUM
(ANALYZE) articles_article`` afterwards, or the table keeps the dead rows'
space until autovacuum gets to it.
"""

from django.db import migrations, models

from articles.body import body_as_text

BATCH = 500

POSTGRESQL = [
    """
    CREATE OR REPLACE FUNCTION article_body_text_kept() RETURNS trigger AS $$
    BEGIN
        IF NEW.body IS DISTINCT FROM OLD.body AND NEW.body_text IS NOT DISTINCT FROM OLD.body_text
        THEN
            NEW.body_text := NULL;
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS article_body_text_kept ON articles_article",
    "CREATE TRIGGER article_body_text_kept BEFORE UPDATE OF body ON articles_article "
    "FOR EACH ROW EXECUTE FUNCTION article_body_text_kept()",
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS article_body_text_kept ON articles_article",
    "DROP FUNCTION IF EXISTS article_body_text_kept()",
]
SQLITE = [
    "DROP TRIGGER IF EXISTS article_body_text_kept",
    "CREATE TRIGGER article_body_text_kept AFTER UPDATE OF body ON articles_article "
    "FOR EACH ROW WHEN NEW.body IS NOT OLD.body AND NEW.body_text IS OLD.body_text "
    "BEGIN UPDATE articles_article SET body_text = NULL WHERE id = NEW.id; END",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS article_body_text_kept"]


def fill(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    rows = Article._base_manager.filter(body_text__isnull=True).only("pk", "body")
    changed = []
    for row in rows.iterator(chunk_size=BATCH):
        row.body_text = body_as_text(row.body)
        changed.append(row)
        if len(changed) >= BATCH:
            Article._base_manager.bulk_update(changed, ["body_text"])
            changed = []
    if changed:
        Article._base_manager.bulk_update(changed, ["body_text"])


def _run(schema_editor, statements: dict) -> None:
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def add_trigger(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL, "sqlite": SQLITE})


def drop_trigger(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0010_list_change_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="body_text",
            field=models.TextField(editable=False, null=True, verbose_name="body as text"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
