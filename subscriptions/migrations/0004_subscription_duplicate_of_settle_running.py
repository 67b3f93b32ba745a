"""One running subscription per reader, step 1: the fields, and settling the readers
who already have more than one (before step 2 adds the constraint).

Separate migrations on purpose: on PostgreSQL an index cannot be built in the
transaction that just updated the table's rows (pending trigger events).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count
from django.utils import timezone

RUNNING = ("trialing", "active", "past_due")


def settle_running_duplicates(apps, schema_editor):
    """A reader with several running subscriptions keeps the one that gives the most
    (highest monthly price, then the latest period end). The others are canceled at
    their period end: access kept for what was paid, nothing charged again. Each is
    audited so staff can refund it and stop it at its provider."""
    Subscription = apps.get_model("subscriptions", "Subscription")
    AuditEntry = apps.get_model("subscriptions", "AuditEntry")
    now = timezone.now()
    readers = (
        Subscription.objects.filter(status__in=RUNNING)
        .values("user_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("user_id", flat=True)
    )
    for user_id in list(readers):
        keep, *extra = Subscription.objects.filter(user_id=user_id, status__in=RUNNING).order_by(
            "-plan__price_monthly", "-current_period_end", "-pk"
        )
        for sub in extra:
            before = {"status": sub.status, "cancel_at_period_end": sub.cancel_at_period_end}
            sub.status = "canceled"
            sub.cancel_at_period_end = True
            sub.canceled_at = sub.canceled_at or now
            sub.grace_until = None
            sub.duplicate_of_id = keep.pk
            sub.save(
                update_fields=[
                    "status",
                    "cancel_at_period_end",
                    "canceled_at",
                    "grace_until",
                    "duplicate_of",
                ]
            )
            AuditEntry.objects.create(
                user_id=user_id,
                subscription=sub,
                source="system",
                action="cancel_duplicate",
                reason=(
                    f"One running subscription per reader: #{keep.pk} kept. Refund this "
                    f"one if it charged, and stop it at {sub.provider} if it renews there."
                ),
                before=before,
                after={"status": "canceled", "cancel_at_period_end": True, "kept": keep.pk},
                created_at=now,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0003_moved_out"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="duplicate_of",
            field=models.ForeignKey(
                blank=True,
                help_text="Refused: the reader already had this subscription running.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="subscriptions.subscription",
            ),
        ),
        migrations.AlterField(
            model_name="checkoutsession",
            name="status",
            field=models.CharField(
                choices=[
                    ("open", "Open"),
                    ("completed", "Completed"),
                    ("failed", "Failed"),
                    ("duplicate", "Paid twice, refunded"),
                ],
                default="open",
                max_length=12,
            ),
        ),
        migrations.RunPython(settle_running_duplicates, migrations.RunPython.noop),
    ]
