"""The page in a real browser (Debian's chromium + chromedriver, headless, via Selenium).

It opens the page, drops a photo, waits for the result, checks the result's size and that every request
the page made stayed on 127.0.0.1, and saves screenshots at desktop and phone widths.
"""

import base64
import io
import json
import shutil
import time
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
from PIL import Image

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the test extra has it)")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run does)",
    ),
]
DESKTOP = (1366, 900)
PHONE = (390, 844)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--hide-scrollbars",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    # An explicit driver path: Selenium Manager (which would look for drivers online) is never asked.
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _requested_urls(driver) -> set[str]:
    urls = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            urls.add(message["params"].get("request", message["params"]).get("url", ""))
    return urls


def _phone_screenshot(driver, path) -> None:
    """The whole page as a phone shows it: mobile metrics, captured beyond the viewport."""
    phone = {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", phone)
    time.sleep(1.0)  # the layout settles at the new width
    height = max(
        driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]["height"],
        driver.execute_script("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)"),
    )
    clip = {"x": 0, "y": 0, "width": PHONE[0], "height": height, "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_drop_a_photo_and_get_its_result(server, browser, pictures, tmp_path):
    photo = tmp_path / "street.png"
    photo.write_bytes(pictures.png(pictures.photo_like(150, 200, seed=5)))
    browser.get(server.url)
    wait = WebDriverWait(browser, 120)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#run"))
    browser.find_element(By.CSS_SELECTOR, "#drop input[type=file]").send_keys(str(photo))
    wait.until(lambda d: "street" in d.find_element(By.CSS_SELECTOR, "#drop").text)  # uploaded: its name shows
    browser.find_element(By.CSS_SELECTOR, "#run").click()
    link = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#downloads a[href]"))[0]
    # The outputs arrive together but render one by one: wait for the slider's two pictures and the status.
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#slider img")) >= 2)
    wait.until(lambda d: "1 result" in d.find_element(By.CSS_SELECTOR, "#status").text)
    href = link.get_attribute("href")
    assert urlsplit(href).hostname == "127.0.0.1"
    with urlopen(href, timeout=30) as answer:
        result = Image.open(io.BytesIO(answer.read()))
    assert result.size == (200, 150)

    time.sleep(0.5)
    browser.save_screenshot(str(tmp_path / "serve-desktop.png"))
    _phone_screenshot(browser, tmp_path / "serve-phone.png")
    assert Image.open(tmp_path / "serve-desktop.png").size[0] == DESKTOP[0]
    assert Image.open(tmp_path / "serve-phone.png").size[0] == PHONE[0]
    sent = photo.read_bytes()
    assert not any(p.read_bytes() == sent for p in server.server.uploads.root.rglob("*") if p.is_file())

    outside = {
        url for url in _requested_urls(browser)
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).hostname != "127.0.0.1"
    }
    assert outside == set()  # no CDN, no fonts, no analytics: the page works offline
