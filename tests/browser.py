"""Chromium for the browser tests: Debian's build, headless, driven by Playwright.

Importing this module skips the importing test module when either is missing (`.ci/run`
installs both), so a browser test never fails for want of a browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample);
});
"""
"""An init script that collects Content-Security-Policy violations in
`window.__violations`, so a test can assert a page broke no rule of its policy."""


def launch(playwright: Any) -> Any:
    """A headless Chromium (no sandbox: tests run as root in containers)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
    )
