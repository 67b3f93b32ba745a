"""Article revisions: what one keeps, and how two compare.

We keep our own ``Revision`` model rather than django-reversion: a revision
here must hold the curated related list in order (a through model reversion
would store as separate, unordered versions), line up one-to-one with
``Article.version`` (which the concurrent-save check relies on), and be
compared field by field and paragraph by paragraph, which needs the snapshot
as plain data rather than serialized model instances. It is one table and
~150 lines; reversion would add a dependency and a registration layer for
the same result.

Writes go through ``articles.services`` (``article_save``,
``article_restore_revision``); this module snapshots and compares.
"""

import difflib
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags

from .body import split_blocks
from .models import Article, Author, Photo, RelatedArticle, Revision, Section, Topic

# The editorial fields a revision keeps (the body is kept apart), in the
# order the comparison shows them.
SCALAR_FIELDS = [
    "headline",
    "slug",
    "dek",
    "lead_photo_caption",
    "dateline_city",
    "source_attribution",
    "access_level",
    "seo_title",
    "seo_description",
    "canonical_url",
    "is_editors_pick",
]
DATETIME_FIELDS = ["publish_at", "embargo_until", "expires_at"]
FOREIGN_KEYS = {"section": Section, "editor": Author, "lead_photo": Photo, "social_image": Photo}
LISTS = {"topics": Topic, "authors": Author, "related": Article}
FIELD_ORDER = [
    "headline",
    "slug",
    "dek",
    "section",
    "topics",
    "authors",
    "editor",
    "lead_photo",
    "lead_photo_caption",
    "dateline_city",
    "source_attribution",
    "access_level",
    "publish_at",
    "embargo_until",
    "expires_at",
    "seo_title",
    "seo_description",
    "social_image",
    "canonical_url",
    "is_editors_pick",
    "related",
]


def snapshot(article: Article) -> dict:
    """The article's editorial state as JSON-ready data (ids for relations)."""
    data: dict = {name: getattr(article, name) for name in SCALAR_FIELDS}
    for name in DATETIME_FIELDS:
        value = getattr(article, name)
        data[name] = value.isoformat() if value else None
    for name in FOREIGN_KEYS:
        data[name] = getattr(article, f"{name}_id")
    data["topics"] = sorted(article.topics.values_list("pk", flat=True))
    data["authors"] = sorted(article.authors.values_list("pk", flat=True))
    data["related"] = list(
        RelatedArticle.objects.filter(article=article)
        .order_by("position", "pk")
        .values_list("related_id", flat=True)
    )
    return data


def revision_record(
    article: Article, *, by, note: str = "", restored_from: Revision | None = None, now=None
) -> Revision:
    """Keep the article's current state as the revision of its current version."""
    return Revision.objects.create(
        article=article,
        version=article.version,
        created_by=by,
        created_at=now or timezone.now(),
        data=snapshot(article),
        body=article.body,
        note=note[:300],
        restored_from=restored_from,
    )


def fields_from_revision(revision: Revision) -> dict:
    """The revision as ``article_save`` arguments: fields, topics, authors, related."""
    data = revision.data
    fields = {name: data.get(name) for name in SCALAR_FIELDS if name in data}
    for name in DATETIME_FIELDS:
        fields[name] = parse_datetime(data[name]) if data.get(name) else None
    for name in FOREIGN_KEYS:
        fields[name] = data.get(name)
    fields["body"] = revision.body
    return {
        "fields": fields,
        "topics": data.get("topics", []),
        "authors": data.get("authors", []),
        "related": data.get("related", []),
    }


@dataclass
class FieldChange:
    name: str
    label: str
    before: str
    after: str


@dataclass
class BlockChange:
    kind: str  # "same", "added", "removed", "changed"
    before: str = ""
    after: str = ""
    words: list[tuple[str, str]] = field(default_factory=list)  # (op, text) for "changed"


@dataclass
class RevisionDiff:
    older: Revision
    newer: Revision
    fields: list[FieldChange]
    body: list[BlockChange]

    @property
    def body_changed(self) -> bool:
        return any(block.kind != "same" for block in self.body)


def _labels(revisions: list[Revision]) -> dict[str, dict[int, str]]:
    """Display names of every related object the revisions mention, one query per model."""
    wanted: dict[type, set[int]] = {}
    for revision in revisions:
        for name, model in {**FOREIGN_KEYS, **LISTS}.items():
            value = revision.data.get(name)
            ids = value if isinstance(value, list) else [value] if value else []
            wanted.setdefault(model, set()).update(ids)
    names: dict[type, dict[int, str]] = {}
    for model, ids in wanted.items():
        names[model] = {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids)}
    return {name: names.get(model, {}) for name, model in {**FOREIGN_KEYS, **LISTS}.items()}


def _display(name: str, value, labels: dict[str, dict[int, str]]) -> str:
    if name in FOREIGN_KEYS:
        return labels[name].get(value, f"#{value} (deleted)") if value else "—"
    if name in LISTS:
        return ", ".join(labels[name].get(pk, f"#{pk} (deleted)") for pk in value or []) or "—"
    if name in DATETIME_FIELDS:
        if not value:
            return "—"
        moment = parse_datetime(value)
        return (
            formats.date_format(timezone.localtime(moment), "j M Y H:i T") if moment else str(value)
        )
    if name == "access_level":
        return str(Article.AccessLevel(value).label) if value else "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value) if value not in (None, "") else "—"


def _block_text(block: str) -> str:
    return " ".join(strip_tags(block).split()) or block.strip()


def _word_diff(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.split(), after.split()
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("removed", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("added", " ".join(b[j1:j2])))
    return out


def body_diff(before: str, after: str) -> list[BlockChange]:
    """Paragraph-level comparison: each top-level block same, added, removed or changed."""
    a = [_block_text(block) for block in split_blocks(before)]
    b = [_block_text(block) for block in split_blocks(after)]
    changes: list[BlockChange] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            changes.extend(BlockChange("same", text, text) for text in a[i1:i2])
            continue
        old, new = a[i1:i2], b[j1:j2]
        # A block edited in place shows its word changes; a rewritten one shows as
        # removed and added, which reads better than a diff of unrelated words.
        while old and new and _similar(old[0], new[0]):
            x, y = old.pop(0), new.pop(0)
            changes.append(BlockChange("changed", x, y, _word_diff(x, y)))
        changes.extend(BlockChange("removed", before=text) for text in old)
        changes.extend(BlockChange("added", after=text) for text in new)
    return changes


def _similar(before: str, after: str) -> bool:
    matcher = difflib.SequenceMatcher(a=before.split(), b=after.split(), autojunk=False)
    return matcher.ratio() >= 0.5


def revision_diff(older: Revision, newer: Revision) -> RevisionDiff:
    """What changed from ``older`` to ``newer``: editorial fields, then the body."""
    labels = _labels([older, newer])
    verbose = {f.name: str(f.verbose_name) for f in Article._meta.get_fields() if f.concrete}
    verbose.update(topics="topics", authors="authors", related="related articles")
    fields = []
    for name in FIELD_ORDER:
        before, after = older.data.get(name), newer.data.get(name)
        if before == after:
            continue
        fields.append(
            FieldChange(
                name,
                verbose.get(name, name),
                _display(name, before, labels),
                _display(name, after, labels),
            )
        )
    return RevisionDiff(older, newer, fields, body_diff(older.body, newer.body))


def when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "j M Y H:i T")
