"""The demo business's readers: registered accounts (bulk, as sign-up writes them)
and anonymous meter ids (as the meter-cookie middleware mints them)."""

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

from articles.demo_text import FIRST_NAMES, LAST_NAMES
from paywall.models import Meter

USERNAME_PREFIX = "pembaca"
EMAIL_DOMAIN = "pembaca.example"

# More given names than the articles' sources need, so readers rarely share one.
MORE_FIRST_NAMES = [
    "Agus", "Ayu", "Bambang", "Citra", "Dimas", "Eka", "Fajar", "Gita", "Hendro", "Intan",
    "Kevin", "Lina", "Made", "Novi", "Rizky", "Sari", "Tri", "Vina", "Wahyu", "Yuni",
]  # fmt: skip


@dataclass
class Reader:
    """A registered demo reader: the account row and when they signed up."""

    username: str
    joined: datetime
    user_id: int | None = None


def username(number: int) -> str:
    return f"{USERNAME_PREFIX}{number:05d}"


def make_readers(*, rng: random.Random, count: int, start: datetime, now: datetime) -> list:
    """``count`` accounts, signing up over the year, more in recent months (growth).

    Passwords are unusable (the readers are figures on the desk, not logins); the
    rows are what ``SignupForm.save`` writes otherwise.
    """
    User = get_user_model()
    span = (now - start).total_seconds()
    firsts = FIRST_NAMES + MORE_FIRST_NAMES
    readers, rows = [], []
    for number in range(1, count + 1):
        joined = start + timedelta(seconds=span * rng.random() ** 0.75)
        first, last = rng.choice(firsts), rng.choice(LAST_NAMES)
        name = username(number)
        readers.append(Reader(username=name, joined=joined))
        rows.append(
            User(
                username=name,
                email=f"{name}@{EMAIL_DOMAIN}",
                first_name=first,
                last_name=last,
                password=UNUSABLE_PASSWORD_PREFIX + f"{rng.getrandbits(160):040x}",
                date_joined=joined,
            )
        )
    User.objects.bulk_create(rows, batch_size=1000)
    ids = dict(
        User.objects.filter(username__startswith=USERNAME_PREFIX).values_list("username", "pk")
    )
    for reader in readers:
        reader.user_id = ids[reader.username]
    readers.sort(key=lambda r: r.joined)
    return readers


@dataclass
class Visitor:
    """An anonymous reader: a meter id first seen at ``first_seen``."""

    token: uuid.UUID
    first_seen: datetime
    meter_id: int | None = None


def make_visitors(*, rng: random.Random, count: int, since: datetime, now: datetime) -> list:
    """``count`` anonymous meter ids first seen in ``since``..``now`` (one ``Meter`` each)."""
    span = (now - since).total_seconds()
    visitors = [
        Visitor(
            token=uuid.UUID(int=rng.getrandbits(128), version=4),
            first_seen=since + timedelta(seconds=span * rng.random()),
        )
        for _ in range(count)
    ]
    Meter.objects.bulk_create(
        [Meter(token=v.token, created_at=v.first_seen) for v in visitors], batch_size=2000
    )
    ids = dict(Meter.objects.filter(token__isnull=False).values_list("token", "pk"))
    for visitor in visitors:
        visitor.meter_id = ids[visitor.token]
    return visitors
