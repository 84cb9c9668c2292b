"""Every provider entry, one module per group, in detection order.

Order matters where host patterns overlap: :func:`provider_for_host` returns the first
match, so Gmail comes before Google Workspace (both use ``smtp.gmail.com``) and
Microsoft 365 before Outlook.com (both reported on ``smtp.office365.com``).
"""

from __future__ import annotations

from emaildiag.catalog.provider_data import (
    google,
    hosted_mail,
    hosting,
    microsoft,
    sending_services,
    sending_services_eu,
    webmail,
    webmail_regional,
)
from emaildiag.catalog.provider_types import ProviderInfo

__all__ = ["ALL"]

ALL: tuple[ProviderInfo, ...] = (
    *google.PROVIDERS,
    *microsoft.PROVIDERS,
    *webmail.PROVIDERS,
    *hosted_mail.PROVIDERS,
    *webmail_regional.PROVIDERS,
    *sending_services.PROVIDERS,
    *sending_services_eu.PROVIDERS,
    *hosting.PROVIDERS,
)
