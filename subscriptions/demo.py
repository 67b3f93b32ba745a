"""Demo plans and accounts (all with the password ``newsroom-demo``)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from core import roles

from .models import Plan, Subscription
from .plans import AD_FREE, EPAPER, PREMIUM_CONTENT

DEMO_PASSWORD = "newsroom-demo"  # noqa: S105 - documented demo credential

PLANS = [
    # code, name, description, entitlements, monthly, yearly, trial days
    (
        "free",
        "Pembaca Terdaftar",
        "Akun gratis: artikel khusus pembaca terdaftar dan kuota artikel bulanan lebih besar.",
        [],
        0,
        0,
        0,
    ),
    (
        "adfree",
        "Bebas Iklan",
        "Nyaman membaca tanpa iklan di seluruh situs.",
        [AD_FREE],
        25_000,
        250_000,
        7,
    ),
    (
        "premium",
        "Premium",
        "Tanpa iklan dan akses penuh ke seluruh artikel premium dan e-paper.",
        [AD_FREE, PREMIUM_CONTENT, EPAPER],
        65_000,
        650_000,
        14,
    ),
]

ACCOUNTS = [
    # username, full name, staff role, plan code
    ("chief", "Maya Kartika", roles.CHIEF_EDITOR, None),
    ("editor", "Bagus Santoso", roles.EDITOR, None),
    ("reporter", "Rina Paramitha", roles.REPORTER, None),
    ("subs", "Tika Rahmawati", roles.SUBSCRIPTION_STAFF, None),
    ("reader", "Ahmad Fauzi", None, None),
    ("adfree", "Dewi Anggraini", None, "adfree"),
    ("premium", "Hendra Gunawan", None, "premium"),
]


def seed_plans() -> dict[str, Plan]:
    plans = {}
    for position, (code, name, description, ents, monthly, yearly, trial) in enumerate(PLANS):
        plans[code], _ = Plan.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "entitlements": ents,
                "price_monthly": monthly,
                "price_yearly": yearly,
                "trial_days": trial,
                "position": position,
                "is_active": True,
            },
        )
    return plans


def _subscribe(user, plan: Plan, *, now) -> Subscription:
    """A paid month through the service layer, so the demo has an audit trail and a payment."""
    from .services.lifecycle import subscription_start
    from .services.payments import payment_record

    sub = subscription_start(user=user, plan=plan, now=now, allow_trial=False, reason="demo seed")
    payment_record(
        user=user,
        subscription=sub,
        amount=plan.price_monthly,
        provider="demo",
        provider_payment_id=f"demo_seed_{sub.pk}",
        status="succeeded",
        description=f"{plan.name} (demo)",
        now=now,
    )
    return sub


def seed_accounts(plans: dict[str, Plan], *, now=None) -> list[str]:
    now = now or timezone.now()
    User = get_user_model()
    roles.sync_roles()
    made = []
    for username, full_name, role, plan_code in ACCOUNTS:
        first, _, last = full_name.partition(" ")
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@wartaniaga.example",
                "first_name": first,
                "last_name": last,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.is_staff = role is not None
        user.is_superuser = False
        user.save()
        if role:
            user.groups.set([Group.objects.get(name=role)])
        if plan_code and not Subscription.objects.filter(user=user, plan=plans[plan_code]).exists():
            _subscribe(user, plans[plan_code], now=now)
        made.append(username)
    # Link the staff writers to their byline profiles.
    from articles.models import Author

    for username, full_name, role, _ in ACCOUNTS:
        if role in (roles.CHIEF_EDITOR, roles.EDITOR, roles.REPORTER):
            Author.objects.filter(name=full_name, user__isnull=True).update(
                user=User.objects.get(username=username)
            )
    return made
