"""Shortcode paragraphs in stored bodies become the editor's block nodes.

Saves through the services already stored blocks (``clean_body`` turned a
``<p>[[foto:12]]</p>`` into ``<figure data-photo-id="12"></figure>``), but a
row written around them (an import, a fixture, raw SQL) or a revision kept
that way still holds the paragraph, which the prose editor would now show as
text. Articles and their revisions are both moved, so comparing and
restoring old revisions shows blocks too (``clean_body`` also still reads a
shortcode, for anything missed).

Backwards, each photo block goes back to the bare placeholder the previous
code renders (it cannot show a per-use caption or credit, so those are
dropped); "Read also" blocks are already in that form.

The patterns are frozen here: later changes to ``articles.body_blocks``
must not change what this migration did.
"""

import re

from django.db import migrations

SHORTCODE_PARAGRAPH = re.compile(
    r"<p>\s*\[\[\s*(?P<kind>foto|photo|baca-juga|read-also)\s*:\s*(?P<id>\d{1,12})\s*\]\]\s*</p>",
    re.IGNORECASE,
)
PHOTO_WITH_OVERRIDES = re.compile(r'<figure data-photo-id="(\d{1,12})"(?: data-[a-z]+="[^"]*")+>')
BATCH = 500


def _to_block(match: re.Match) -> str:
    ident = int(match["id"])
    if match["kind"].lower() in ("foto", "photo"):
        return f'\n<figure data-photo-id="{ident}"></figure>\n'
    return f'\n<aside data-read-also="{ident}"></aside>\n'


def shortcodes_to_blocks(body: str) -> str:
    """Each shortcode paragraph becomes a block on its own line, as ``clean_body`` writes."""
    moved, count = SHORTCODE_PARAGRAPH.subn(_to_block, body)
    if not count:
        return body
    return "\n".join(line.strip() for line in moved.splitlines() if line.strip())


def blocks_to_bare_placeholders(body: str) -> str:
    return PHOTO_WITH_OVERRIDES.sub(r'<figure data-photo-id="\1">', body)


def _rewrite(apps, change, needle: str) -> None:
    for model_name in ("Article", "Revision"):
        model = apps.get_model("articles", model_name)
        rows = model._base_manager.filter(body__contains=needle).only("pk", "body")
        changed = []
        for row in rows.iterator(chunk_size=BATCH):
            body = change(row.body)
            if body != row.body:
                row.body = body
                changed.append(row)
            if len(changed) >= BATCH:
                model._base_manager.bulk_update(changed, ["body"])
                changed = []
        if changed:
            model._base_manager.bulk_update(changed, ["body"])


def forwards(apps, schema_editor):
    _rewrite(apps, shortcodes_to_blocks, "[[")


def backwards(apps, schema_editor):
    _rewrite(apps, blocks_to_bare_placeholders, "<figure data-photo-id=")


class Migration(migrations.Migration):
    dependencies = [("articles", "0007_verbose_names")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
