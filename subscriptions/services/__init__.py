"""Every write to a subscription, payment or checkout: the one place they happen.

Views, the admin, webhooks, tasks and commands call these functions, so they
all behave the same. Import each function from the module that holds it:

- ``common``: the error type, prices and periods, the audit trail, row locks;
- ``lifecycle``: start, renew, past due, cancel, resume, change plan, expire;
- ``checkout``: a reader on the way to paying, through any provider;
- ``payments``: charges and refunds, recorded once;
- ``staff``: comp, extend and cancel, each with a required reason;
- ``provider_sync``: a provider's snapshot of a subscription (webhooks);
- ``renewals`` and ``reminders``: the periodic work the Celery tasks hand over.

Each change to a subscription writes an ``AuditEntry`` (who, what, why,
before and after). Changes that move money or entitlements are idempotent:
they lock the row they change and return early when the change is already
done, and payments are unique per provider id.

Lifecycle: trialing → active → past_due (grace: access kept while payment is
retried) → canceled (paid up until the period ends) / expired.
"""
