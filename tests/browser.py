"""Headless Chromium (Debian's ``chromium`` + ``chromium-driver``) for the browser tests.

Without them the tests skip and say why.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="Selenium fehlt; Browser-Tests übersprungen")
from selenium.common.exceptions import NoAlertPresentException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")


def headless_chrome(window_size: str, script_timeout: float, *, browser_log: bool = False) -> Any:
    """A new browser; with ``browser_log`` the page's console messages can be read (CSP violations)."""
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip(
            "Chromium oder chromedriver fehlt (Debian: apt-get install chromium chromium-driver); "
            "Browser-Tests übersprungen"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={window_size}",
        "--lang=de-DE",
    ):
        options.add_argument(arg)
    if browser_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except WebDriverException as exc:
        pytest.skip(f"Chromium startet nicht: {exc.msg}")
    browser.set_script_timeout(script_timeout)
    return browser


def no_alert(driver: Any) -> bool:
    """No JavaScript alert is open (an injected script would have raised one)."""
    try:
        _ = driver.switch_to.alert  # raises when none is open
    except NoAlertPresentException:
        return True
    return False
