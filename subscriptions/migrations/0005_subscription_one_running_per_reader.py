"""One running subscription per reader, step 2: the constraint."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0004_subscription_duplicate_of_settle_running"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="subscription",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ("trialing", "active", "past_due"))),
                fields=("user",),
                name="subscription_one_running_per_reader",
            ),
        ),
    ]
