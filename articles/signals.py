"""Signals sent after a publication change has committed.

The pipeline connects its side-effect tasks (cache purge, feeds, search,
notifications) here, so the workflow services do not import the pipeline.
"""

from django.dispatch import Signal

article_published = Signal()  # kwargs: article
article_unpublished = Signal()  # kwargs: article
