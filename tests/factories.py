"""factory_boy factories for the whole suite. Images are made in memory with Pillow."""

import io
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from articles.models import (
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
from subscriptions.models import Plan, Subscription
from subscriptions.plans import AD_FREE, EPAPER, PREMIUM_CONTENT


def image_bytes(*, size=(800, 500), color=(30, 90, 140), fmt="JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = "Test"
    password = factory.PostGenerationMethodCall("set_password", "newsroom-test")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """``UserFactory(role="Editor")`` puts the user in that staff group."""
        if extracted:
            self.is_staff = True
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Rubrik {n}")
    slug = factory.Sequence(lambda n: f"rubrik-{n}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topik {n}")
    slug = factory.Sequence(lambda n: f"topik-{n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Penulis {n}")
    slug = factory.Sequence(lambda n: f"penulis-{n}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("slug",)

    name = "Reuters"
    slug = "reuters"


class PhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Photo

    image = factory.LazyFunction(lambda: ContentFile(image_bytes(), name="photo.jpg"))
    caption = factory.Sequence(lambda n: f"Keterangan foto {n}")
    credit = "Fotografer Uji"
    alt_text = factory.Sequence(lambda n: f"Deskripsi foto {n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published, free article with everything publishing requires."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    headline = factory.Sequence(lambda n: f"Berita uji nomor {n}")
    slug = factory.Sequence(lambda n: f"berita-uji-{n}")
    dek = "Ringkasan berita uji."
    section = factory.SubFactory(SectionFactory)
    lead_photo = factory.SubFactory(PhotoFactory)
    dateline_city = "JAKARTA"
    body = "\n".join(
        [
            "<p>Paragraf pembuka yang boleh dibaca siapa saja.</p>",
            "<p>Paragraf kedua masih bagian dari cuplikan.</p>",
            "<p>RAHASIA-PARAGRAF-TIGA hanya untuk pembaca yang berhak.</p>",
            "<p>RAHASIA-PARAGRAF-EMPAT juga tersembunyi di balik gerbang.</p>",
        ]
    )
    access_level = Article.AccessLevel.FREE
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if create and extracted:
            self.authors.set(extracted)


class RelatedArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelatedArticle

    article = factory.SubFactory(ArticleFactory)
    related = factory.SubFactory(ArticleFactory)
    position = factory.Sequence(int)


class GalleryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Gallery

    title = factory.Sequence(lambda n: f"Galeri {n}")
    slug = factory.Sequence(lambda n: f"galeri-{n}")
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))


class GalleryPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GalleryPhoto

    gallery = factory.SubFactory(GalleryFactory)
    photo = factory.SubFactory(PhotoFactory)
    position = factory.Sequence(int)


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("code",)

    code = "premium"
    name = "Premium"
    entitlements = factory.LazyAttribute(
        lambda p: {
            "free": [],
            "adfree": [AD_FREE],
            "premium": [AD_FREE, PREMIUM_CONTENT, EPAPER],
        }.get(p.code, [])
    )
    price_monthly = 65_000
    price_yearly = 650_000


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    user = factory.SubFactory(UserFactory)
    plan = factory.SubFactory(PlanFactory)
    status = Subscription.Status.ACTIVE
    current_period_start = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    current_period_end = factory.LazyFunction(lambda: timezone.now() + timedelta(days=29))
