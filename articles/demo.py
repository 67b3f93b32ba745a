"""Demo newsroom content: deterministic, idempotent, and fast in bulk.

All text here is written for the demo (Indonesian business and general news
in the shape of the reference page); photos are drawn with Pillow.
"""

import io
import random
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from .body import body_as_text
from .demo_text import article_body, article_dek
from .models import (
    AccessLevel,
    Agency,
    Article,
    Author,
    Gallery,
    GalleryPhoto,
    Photo,
    RelatedArticle,
    Section,
    Topic,
)

SECTIONS = [
    # slug, name, parent slug, default access
    ("ekonomi", "Ekonomi", None, AccessLevel.FREE),
    ("market", "Market", None, AccessLevel.METERED),
    ("finansial", "Finansial", None, AccessLevel.METERED),
    ("teknologi", "Teknologi", None, AccessLevel.FREE),
    ("kabar-nasional", "Kabar Nasional", None, AccessLevel.FREE),
    ("internasional", "Internasional", None, AccessLevel.FREE),
    ("bisnis-global", "Bisnis Global", "internasional", AccessLevel.METERED),
    ("properti", "Properti", "ekonomi", AccessLevel.REGISTERED),
]

TOPICS = [
    ("suku-bunga", "Suku Bunga", True),
    ("harga-emas", "Harga Emas", True),
    ("ihsg", "IHSG", True),
    ("rupiah", "Rupiah", True),
    ("kendaraan-listrik", "Kendaraan Listrik", True),
    ("pangan", "Harga Pangan", False),
    ("startup", "Startup", False),
    ("energi", "Energi", False),
    ("perdagangan", "Perdagangan", False),
    ("infrastruktur", "Infrastruktur", False),
    ("pajak", "Pajak", False),
    ("asia-pasifik", "Asia Pasifik", False),
]

AUTHORS = [
    ("Rina Paramitha", "Reporter ekonomi makro"),
    ("Dimas Prakoso", "Reporter pasar modal"),
    ("Sekar Ayuningtyas", "Reporter teknologi"),
    ("Yusuf Hidayat", "Reporter internasional"),
    ("Maya Kartika", "Redaktur pelaksana"),
    ("Bagus Santoso", "Redaktur"),
]

AGENCIES = [
    ("Reuters", "reuters"),
    ("Antara", "antara"),
    ("Bloomberg", "bloomberg"),
    ("AFP", "afp"),
]

CITIES = ["JAKARTA", "SURABAYA", "BANDUNG", "MEDAN", "MAKASSAR", "SINGAPURA", "TOKYO", "JENEWA"]

# Headline pieces per section: (subject, action, object) combined at random.
HEADLINES = {
    "ekonomi": [
        "Inflasi {bulan} Melandai, Daya Beli Rumah Tangga Mulai Pulih",
        "Pemerintah Siapkan Insentif Baru untuk Industri {industri}",
        "Neraca Dagang Surplus {angka} Bulan Berturut-turut",
        "Ekonom Proyeksikan Pertumbuhan {pct}% pada Kuartal Depan",
    ],
    "market": [
        "IHSG Ditutup Menguat {pct}% Didorong Saham {industri}",
        "Investor Asing Catat Beli Bersih Rp{angka} Triliun Sepekan",
        "Harga Emas Antam Naik ke Level Tertinggi {bulan}",
        "Rupiah Dibuka Stabil di Tengah Penantian Data {bulan}",
    ],
    "finansial": [
        "Bank Sentral Pertahankan Suku Bunga Acuan di {pct}%",
        "Penyaluran Kredit {industri} Tumbuh Dua Digit",
        "OJK Perketat Aturan Pinjaman Daring Mulai {bulan}",
        "Dana Pihak Ketiga Perbankan Naik Rp{angka} Triliun",
    ],
    "teknologi": [
        "Startup {industri} Raih Pendanaan Seri B",
        "Operator Seluler Perluas Jaringan 5G ke {angka} Kota",
        "Produsen Baterai Kendaraan Listrik Bangun Pabrik Baru",
        "Pusat Data Baru Dibangun untuk Layanan Komputasi Awan",
    ],
    "kabar-nasional": [
        "Pemerintah Daerah Percepat Proyek Jalan Tol {angka} Kilometer",
        "Musim Hujan Datang Lebih Awal, Petani Diminta Waspada",
        "Stok Beras Nasional Aman Hingga {bulan}",
        "Bandara Baru Siap Beroperasi Menjelang Libur Akhir Tahun",
    ],
    "internasional": [
        "Para Menteri Perdagangan Asia Bahas Rantai Pasok di {kota}",
        "Harga Minyak Dunia Bergerak Naik Usai Pertemuan Produsen",
        "Bank Sentral Eropa Beri Sinyal Penurunan Suku Bunga",
        "Negara-negara Pasifik Sepakati Kerja Sama Energi Bersih",
    ],
    "bisnis-global": [
        "Raksasa Teknologi Global Umumkan Investasi di Asia Tenggara",
        "Ekspor Cip Semikonduktor Asia Naik {pct}%",
    ],
    "properti": [
        "Penjualan Rumah Tapak di Pinggiran Kota Naik {pct}%",
        "Pengembang Luncurkan Hunian Dekat Stasiun di {kota}",
    ],
}

BULAN = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
INDUSTRI = ["Manufaktur", "Perbankan", "Energi", "Konsumer", "Logistik", "Pertanian", "Digital"]

PALETTES = [
    ((21, 67, 96), (112, 168, 200)),
    ((120, 40, 31), (230, 150, 90)),
    ((20, 90, 50), (160, 210, 120)),
    ((60, 50, 110), (190, 170, 240)),
    ((90, 90, 90), (220, 220, 210)),
    ((130, 90, 10), (250, 210, 120)),
]

PHOTO_SUBJECTS = [
    "Suasana lantai bursa saat perdagangan dibuka",
    "Petugas memeriksa tumpukan peti kemas di pelabuhan",
    "Pekerja merakit komponen kendaraan listrik di pabrik",
    "Pengunjung memadati pusat perbelanjaan pada akhir pekan",
    "Deretan gedung perkantoran di kawasan pusat bisnis",
    "Petani memanen padi di sawah menjelang musim hujan",
    "Teknisi memasang antena jaringan seluler di menara",
    "Para menteri berfoto bersama sebelum pertemuan dimulai",
]

PHOTOGRAPHERS = ["Andi Wibowo", "Laras Putri", "Fajar Nugroho", "Citra Lestari"]

PHOTO_COUNT = 24


def _draw_photo(index: int) -> bytes:
    """A varied landscape picture: a gradient sky, hills and a sun, made in memory."""
    rng = random.Random(1000 + index)
    width, height = 1600, 1000
    dark, light = PALETTES[index % len(PALETTES)]
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(light[i] * (1 - t) + dark[i] * t) for i in range(3)),
        )
    sun_x, sun_y = rng.randint(200, 1400), rng.randint(120, 380)
    draw.ellipse([sun_x - 90, sun_y - 90, sun_x + 90, sun_y + 90], fill=(250, 240, 200))
    for layer in range(3):
        base = 560 + layer * 140
        points = [(0, height)]
        for x in range(0, width + 100, 100):
            points.append((x, base + rng.randint(-80, 80)))
        points.append((width, height))
        shade = tuple(max(c - 30 * (layer + 1), 0) for c in dark)
        draw.polygon(points, fill=shade)
    for _ in range(rng.randint(3, 7)):
        x = rng.randint(0, width - 120)
        w, h = rng.randint(40, 120), rng.randint(120, 380)
        draw.rectangle([x, height - h, x + w, height], fill=(30, 30, 40))
    font = ImageFont.load_default(size=40)
    draw.text((40, height - 70), f"Warta Niaga demo #{index + 1}", fill=(255, 255, 255), font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82)
    return buffer.getvalue()


def seed_taxonomy() -> dict:
    sections = {}
    for position, (slug, name, parent, access) in enumerate(SECTIONS):
        sections[slug], _ = Section.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "parent": sections.get(parent),
                "position": position,
                "default_access_level": access,
            },
        )
    topics = {}
    for order, (slug, name, hot) in enumerate(TOPICS):
        topics[slug], _ = Topic.objects.update_or_create(
            slug=slug, defaults={"name": name, "is_hot": hot, "hot_order": order}
        )
    authors = [
        Author.objects.update_or_create(
            slug=slugify(name), defaults={"name": name, "role_title": title}
        )[0]
        for name, title in AUTHORS
    ]
    agencies = [
        Agency.objects.update_or_create(slug=slug, defaults={"name": name})[0]
        for name, slug in AGENCIES
    ]
    return {"sections": sections, "topics": topics, "authors": authors, "agencies": agencies}


def seed_photos(agencies: list[Agency]) -> list[Photo]:
    photos = list(Photo.objects.filter(image__startswith="demo/").order_by("image"))
    existing = {p.image.name for p in photos}
    for index in range(PHOTO_COUNT):
        name = f"demo/photo-{index + 1:02d}.jpg"
        if name in existing:
            continue
        rng = random.Random(index)
        subject = PHOTO_SUBJECTS[index % len(PHOTO_SUBJECTS)]
        photo = Photo(
            caption=f"{subject}, {rng.randint(1, 28)} {BULAN[index % 12]} 2026.",
            credit=PHOTOGRAPHERS[index % len(PHOTOGRAPHERS)],
            agency=agencies[index % len(agencies)] if index % 3 else None,
            alt_text=subject,
            focal_x=round(rng.uniform(0.3, 0.7), 2),
            focal_y=round(rng.uniform(0.3, 0.6), 2),
        )
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(_draw_photo(index)))
        photo.image.name = name
        photo.width, photo.height = 1600, 1000
        photo.save()
        photos.append(photo)
    # Renditions synchronously: the demo must show real pictures before any worker runs.
    from .images import photo_generate_renditions

    for photo in photos:
        if not photo.renditions:
            photo.renditions = photo_generate_renditions(photo.pk)
    return sorted(photos, key=lambda p: p.image.name)


def _headline(rng: random.Random, section_slug: str, index: int) -> str:
    template = rng.choice(HEADLINES[section_slug])
    text = template.format(
        bulan=rng.choice(BULAN),
        industri=rng.choice(INDUSTRI),
        angka=rng.randint(3, 40),
        pct=f"{rng.randint(1, 9)},{rng.randint(0, 9)}",
        kota=rng.choice(["Jakarta", "Singapura", "Tokyo", "Bangkok", "Jenewa"]).title(),
    )
    return text


ACCESS_CYCLE = [
    AccessLevel.FREE,
    AccessLevel.METERED,
    AccessLevel.FREE,
    AccessLevel.PREMIUM,
    AccessLevel.METERED,
    AccessLevel.REGISTERED,
    AccessLevel.FREE,
    AccessLevel.METERED,
]


FRESH_ARTICLES = 48  # 37 minutes apart: a front page that moves
ARCHIVE_ARTICLES = 120  # then one every 12 hours: weeks of archive the demo business reads


def _published_ago(index: int) -> timedelta:
    """How long before the seed article ``index`` (0 is the newest) was published.

    The first two days' worth come 37 minutes apart; the rest of the default
    120 spread over five weeks, so the demo readers' month of reads is of
    articles that were out; beyond that (the bench's big catalogues) the
    37-minute pace again.
    """
    fresh = min(index, FRESH_ARTICLES)
    archive = min(max(index - FRESH_ARTICLES, 0), ARCHIVE_ARTICLES - FRESH_ARTICLES)
    rest = max(index - ARCHIVE_ARTICLES, 0)
    return timedelta(minutes=37 * fresh + 12 * 60 * archive + 37 * rest + 5)


def seed_articles(*, count: int, taxonomy: dict, photos: list[Photo], now=None) -> int:
    """Create demo articles 1..count that do not exist yet; returns how many were made.

    Articles are keyed by their slug suffix, so running again adds only the
    missing ones. Bulk inserts keep 100,000 articles within a few minutes.
    """
    now = now or timezone.now()
    existing = Article.objects.filter(slug__startswith="demo-").count()
    if existing >= count:
        return 0
    sections = list(taxonomy["sections"].values())
    topics = list(taxonomy["topics"].values())
    authors = taxonomy["authors"]
    editors = [a for a in authors if "Redaktur" in a.role_title] or authors
    agencies = taxonomy["agencies"]
    photo_ids = [photo.pk for photo in photos]
    made = 0
    batch_size = 2000
    for start in range(existing, count, batch_size):
        stop = min(start + batch_size, count)
        batch = []
        for index in range(start, stop):
            rng = random.Random(index)
            section = sections[index % len(sections)]
            headline = _headline(rng, section.slug, index)
            published = now - _published_ago(index)
            agency = agencies[index % len(agencies)] if index % 4 == 0 else None
            batch.append(
                Article(
                    headline=headline,
                    slug=f"demo-{index + 1}-{slugify(headline)[:180]}",
                    dek=article_dek(rng, section.slug),
                    section=section,
                    editor=rng.choice(editors),
                    lead_photo=photos[index % len(photos)],
                    dateline_city=CITIES[index % len(CITIES)],
                    body=article_body(
                        index=index, section_slug=section.slug, rng=rng, photo_ids=photo_ids
                    ),
                    source_attribution=f"Dikutip dari {agency.name}" if agency else "",
                    access_level=ACCESS_CYCLE[index % len(ACCESS_CYCLE)],
                    status=Article.Status.PUBLISHED,
                    published_at=published,
                    first_published_at=published,
                    created_at=published - timedelta(hours=2),
                    is_editors_pick=index % 9 == 0,
                    seo_description="",
                )
            )
            # ``bulk_create`` skips ``Article.save``, which writes the body's text.
            batch[-1].body_text = body_as_text(batch[-1].body)
        with transaction.atomic():
            created = Article.objects.bulk_create(batch)
            if not created or created[0].pk is None:  # backends without RETURNING
                created = list(
                    Article.objects.filter(slug__startswith="demo-").order_by("-pk")[: len(batch)]
                )[::-1]
            topic_links, author_links, related_links = [], [], []
            for offset, article in enumerate(created):
                index = start + offset
                rng = random.Random(index * 7)
                for topic in rng.sample(topics, k=3):
                    topic_links.append(
                        Article.topics.through(article_id=article.pk, topic_id=topic.pk)
                    )
                for author in rng.sample(authors[:4], k=1 + (index % 5 == 0)):
                    author_links.append(
                        Article.authors.through(article_id=article.pk, author_id=author.pk)
                    )
                # Curate two related stories from the previous batch-mates.
                for position, back in enumerate((3, 11)):
                    if offset - back >= 0:
                        related_links.append(
                            RelatedArticle(
                                article_id=article.pk,
                                related_id=created[offset - back].pk,
                                position=position,
                            )
                        )
            Article.topics.through.objects.bulk_create(topic_links)
            Article.authors.through.objects.bulk_create(author_links)
            RelatedArticle.objects.bulk_create(related_links)
        made += len(batch)
    return made


def seed_galleries(*, photos: list[Photo], sections: dict, now=None) -> None:
    now = now or timezone.now()
    stories = [
        ("Sehari di Pelabuhan Tanjung Priok", "ekonomi"),
        ("Panen Raya di Lumbung Padi Jawa", "kabar-nasional"),
        ("Pabrik Kendaraan Listrik Pertama", "teknologi"),
        ("Wajah Baru Kawasan Bisnis Ibu Kota", "properti"),
    ]
    for number, (title, section_slug) in enumerate(stories):
        gallery, created = Gallery.objects.update_or_create(
            slug=slugify(title),
            defaults={
                "title": title,
                "section": sections[section_slug],
                "description": "Rangkaian foto karya fotografer Warta Niaga.",
                "published_at": now - timedelta(days=number + 1),
            },
        )
        if created or not gallery.items.exists():
            for position in range(6):
                photo = photos[(number * 5 + position) % len(photos)]
                GalleryPhoto.objects.get_or_create(
                    gallery=gallery,
                    photo=photo,
                    defaults={"position": position, "caption": photo.caption},
                )


def seed_content(*, articles: int) -> dict:
    taxonomy = seed_taxonomy()
    photos = seed_photos(taxonomy["agencies"])
    made = seed_articles(count=articles, taxonomy=taxonomy, photos=photos)
    seed_galleries(photos=photos, sections=taxonomy["sections"])
    return {"articles_created": made, "photos": len(photos)}
