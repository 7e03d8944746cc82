#!/usr/bin/env python3
"""The explorer in a real browser: starts `khata dev`, pays once through the node,
loads the explorer in headless Chromium, clicks "Verify in this browser" on the
payment's entry and expects the verified mark (WebCrypto checks the inclusion
proof, the ledger's signature and the witnesses' cosignatures), then expects a
tampered proof to show as failed. Then the reserves: the home page's coverage
chart and status, and on the reserves page a holder's inclusion in the latest
liabilities commitment verified in the browser, and failing when a sum is tampered.

Usage: scripts/explorer-test.py PATH-TO-KHATA
Needs chromium, chromium-driver (Debian) and selenium (PyPI).
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

khata = sys.argv[1]
data = tempfile.mkdtemp(prefix="khata-explorer-")


def free_ports():
    """A port whose next two are free too (khata dev puts its witnesses there),
    below Linux's ephemeral range (32768-60999): a client's outgoing connection,
    such as this script's own health checks, can hold any port in that range."""
    for _ in range(100):
        port = random.randint(20000, 32000)
        try:
            for offset in range(3):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
    raise SystemExit("no three free consecutive ports between 20000 and 32002")


port = free_ports()
url = f"http://127.0.0.1:{port}"
log = open(os.path.join(data, "dev.log"), "w")
dev = subprocess.Popen([khata, "dev", "--data", os.path.join(data, "ledger"), "--port", str(port)], stdout=log, stderr=log)
passed, failed = 0, 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok    {name}")
    else:
        failed += 1
        print(f"FAIL  {name} {detail}")


try:
    for _ in range(300):
        try:
            if urllib.request.urlopen(url + "/healthz", timeout=1).status == 200:
                break
        except OSError:
            time.sleep(0.1)
    subprocess.run([khata, "tx", "transfer", "--node", url, "--data", os.path.join(data, "ledger"), "--key", "asha", "--from", "asha",
                    "--to", "ravi", "--asset", "INR", "--amount", "250.00"], check=True, stdout=subprocess.DEVNULL)

    options = Options()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]:
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    try:
        driver.get(url + "/")
        WebDriverWait(driver, 15).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#entries a.entry-link")) >= 2)
        check("home page lists recent entries", True)
        check("home page shows INR supply", "INR" in driver.page_source)

        driver.get(url + "/#/entry/1")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "verify"))
        driver.find_element(By.ID, "verify").click()
        WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "verify-result").get_attribute("class") in ("ok", "failed"))
        result = driver.find_element(By.ID, "verify-result")
        check("the entry verifies in the browser", result.get_attribute("class") == "ok", result.text)
        check("the browser checked the witnesses' cosignatures", "cosigned by witness.local/w1" in result.text, result.text)
        driver.save_screenshot(os.path.join(data, "verified.png"))

        driver.find_element(By.ID, "verify-tampered").click()
        WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "verify-result").get_attribute("class") in ("ok", "failed")
                                        and "verifying" not in d.find_element(By.ID, "verify-result").text)
        result = driver.find_element(By.ID, "verify-result")
        check("a tampered proof shows as failed", result.get_attribute("class") == "failed", result.text)

        driver.get(url + "/")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "coverage-chart"))
        check("home page draws the coverage chart", True)
        badge = driver.find_element(By.ID, "reserve-status")
        check("the header shows INR covered", "INR covered" in badge.text, badge.text)

        participants = json.load(open(os.path.join(data, "ledger", "participants.json")))["participants"]
        asha = next(p["account"] for p in participants if p["name"] == "asha")
        driver.get(url + "/#/reserves")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "verify-liabilities"))
        driver.find_element(By.ID, "liability-account").send_keys(asha)
        asha_seed = json.load(open(os.path.join(data, "ledger", "keys", "asha.key")))["seed"]
        driver.find_element(By.ID, "liability-key").send_keys(asha_seed)
        driver.find_element(By.ID, "verify-liabilities").click()
        settled = lambda d: "verifying" not in d.find_element(By.ID, "liability-result").text and d.find_element(By.ID, "liability-result").text
        WebDriverWait(driver, 20).until(settled)
        result = driver.find_element(By.ID, "liability-result")
        check("a holder's inclusion verifies in the browser", result.get_attribute("class") == "ok", result.text)
        check("the browser checked the commitment entry's checkpoint", "cosigned by witness.local/w1" in result.text, result.text)
        driver.save_screenshot(os.path.join(data, "reserves.png"))
        driver.find_element(By.ID, "verify-liabilities-tampered").click()
        WebDriverWait(driver, 20).until(lambda d: settled(d) and d.find_element(By.ID, "liability-result").get_attribute("class") == "failed")
        result = driver.find_element(By.ID, "liability-result")
        check("a tampered liabilities sum shows as failed", result.get_attribute("class") == "failed", result.text)
        ravi_seed = json.load(open(os.path.join(data, "ledger", "keys", "ravi.key")))["seed"]
        driver.find_element(By.ID, "liability-key").clear()
        driver.find_element(By.ID, "liability-key").send_keys(ravi_seed)
        driver.find_element(By.ID, "verify-liabilities").click()
        WebDriverWait(driver, 20).until(lambda d: settled(d) and d.find_element(By.ID, "liability-result").get_attribute("class") == "failed")
        result = driver.find_element(By.ID, "liability-result")
        check("another holder's key gets no proof", "holder_signature_required" in result.text, result.text)
        try:
            urllib.request.urlopen(url + "/v1/reserves/proof/" + asha)
            check("an unsigned proof request is refused", False, "it was answered")
        except urllib.error.HTTPError as error:
            check("an unsigned proof request is refused", error.code == 403, str(error.code))

        # The stockchain: Acme's instruments on the home page, an instrument's page with
        # its holders chart and actions, a holder's entitlement verified in the browser.
        driver.get(url + "/")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#instruments a.instrument-link"))
        check("home page lists the instruments", "ACME29" in driver.find_element(By.ID, "instruments").text)
        driver.get(url + "/#/instrument/ACME")

        def register_committed(d):
            d.get(url + "/#/instrument/ACME")
            return d.find_elements(By.ID, "verify-entitlement")

        WebDriverWait(driver, 60, poll_frequency=1).until(register_committed)
        check("the instrument page draws its holders chart", bool(driver.find_elements(By.ID, "holders-chart")))
        actions_text = driver.find_element(By.ID, "actions").text
        check("the genesis dividend is paid to every holder", "to 5 of 5" in actions_text and "complete" in actions_text, actions_text)
        check("the open ballot shows its question", "Re-appoint" in actions_text, actions_text)
        Select(driver.find_element(By.ID, "entitlement-action")).select_by_value("1")  # the dividend
        driver.find_element(By.ID, "entitlement-account").send_keys(asha)
        driver.find_element(By.ID, "entitlement-key").send_keys(asha_seed)
        driver.find_element(By.ID, "verify-entitlement").click()
        entitled = lambda d: "verifying" not in d.find_element(By.ID, "entitlement-result").text and d.find_element(By.ID, "entitlement-result").text
        WebDriverWait(driver, 20).until(entitled)
        result = driver.find_element(By.ID, "entitlement-result")
        check("a holder's entitlement verifies in the browser", result.get_attribute("class") == "ok" and "50000" in result.text, result.text)
        driver.save_screenshot(os.path.join(data, "instrument.png"))
        driver.find_element(By.ID, "verify-entitlement-tampered").click()
        WebDriverWait(driver, 20).until(lambda d: entitled(d) and d.find_element(By.ID, "entitlement-result").get_attribute("class") == "failed")
        check("a tampered register sum shows as failed", True)
        driver.set_window_size(390, 844)  # a phone
        driver.get(url + "/#/instrument/ACME")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "holders-chart"))
        width = driver.execute_script("return document.documentElement.scrollWidth")
        check("the instrument page fits a phone's width", width <= 420, f"scroll width {width}")

        # Zones: a payment from the mainland into the SEZ pays its levy as its own leg;
        # a zone's page shows its law and history; the open proposal its simulated effect.
        driver.set_window_size(1200, 900)
        paid = subprocess.run([khata, "tx", "transfer", "--node", url, "--data", os.path.join(data, "ledger"), "--key", "asha", "--from", "asha",
                               "--to", "kiran", "--asset", "INR", "--amount", "500.00", "--json"], check=True, capture_output=True, text=True)
        receipt = json.loads(paid.stdout)
        check("the CLI names the levy it adds", "levy: 1.25 INR to zone 0" in paid.stderr, paid.stderr)
        driver.get(url + f"/#/entry/{receipt['index']}")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "legs"))
        legs = driver.find_element(By.ID, "legs").text
        check("a cross-zone payment's entry shows its levy as its own line", "levy" in legs and "zone 0's treasury" in legs and "125" in legs, legs)
        driver.get(url + "/")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#zones a.zone-link"))
        check("home page lists the zones", "Khata SEZ" in driver.find_element(By.ID, "zones").text)
        driver.get(url + "/#/zone/1")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "law-history"))
        zone_text = driver.find_element(By.ID, "view").text
        check("the zone page shows its law", "may receive" in zone_text and "ACME, ACME29, INR" in zone_text and "to move in" in zone_text, zone_text[:400])
        driver.get(url + "/#/proposal/1")
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, "effect"))
        effect_text = driver.find_element(By.ID, "effect").text
        changes_text = driver.find_element(By.ID, "changes").text
        check("the proposal page shows its change and simulated effect",
              "tiers.0.daily" in changes_text and "100000.00 INR" in changes_text and "over today's cap" in effect_text
              and "levies on the last 30 days" in effect_text, changes_text + effect_text)
        driver.save_screenshot(os.path.join(data, "proposal.png"))
        # Payments: the genesis remittance is in the corridor report; an address's
        # page shows the verified name and a QR code that pays it.
        driver.get(url + "/")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "corridors"))
        corridors = driver.find_element(By.ID, "corridors").text
        check("home page shows the corridor report", "USD → INR" in corridors and "%" in corridors, corridors)
        driver.get(url + "/#/address/asha@kbank")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "pay-qr"))
        address_text = driver.find_element(By.ID, "address").text
        check("an address's page names its verified holder", "Asha Verma" in address_text and "K Bank" in address_text, address_text)
        qr_loaded = driver.execute_script("const i = document.getElementById('pay-qr'); return i.complete && i.naturalWidth > 0")
        check("an address's page shows the pay QR code", qr_loaded and "upi://pay?pa=asha%40kbank" in address_text, address_text)
        # A remittance at RemitCo's live quote, from the command line, then its page.
        ledger = os.path.join(data, "ledger")
        quote_file = os.path.join(data, "quote.json")
        subprocess.run([khata, "quote", "list", "--node", url, "--data", ledger, "--from", "USD", "--to", "INR", "--amount", "50.00",
                        "--sender", "priya", "--recipient", "ravi@kbank", "--save", quote_file], check=True, capture_output=True, text=True)
        sent = subprocess.run([khata, "tx", "remit", "--node", url, "--data", ledger, "--key", "priya", "--from", "priya", "--to", "ravi@kbank",
                               "--quote", quote_file, "--amount", "50.00", "--json"], check=True, capture_output=True, text=True)
        remitted = json.loads(sent.stdout)
        check("the CLI names the remittance's levy", "levy: 25 minor units of USD" in sent.stderr, sent.stderr)
        driver.get(url + f"/#/remittance/{remitted['transaction']}/0")
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "remittance"))
        remittance_text = driver.find_element(By.ID, "remittance").text
        check("a remittance's page shows it completed with its amounts", "completed" in remittance_text and "415000" in remittance_text, remittance_text)
        driver.set_window_size(390, 844)
        for page, marker in [("/#/zone/0", "law-history"), ("/#/proposal/1", "effect"), ("/#/address/asha@kbank", "pay-qr")]:
            driver.get(url + page)
            WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.ID, marker))
            width = driver.execute_script("return document.documentElement.scrollWidth")
            check(f"{page} fits a phone's width", width <= 420, f"scroll width {width}")
    finally:
        driver.quit()
except Exception as error:  # a crash of the harness is a failure, with its reason
    failed += 1
    print(f"FAIL  explorer test harness: {error!r}")
finally:
    dev.send_signal(signal.SIGTERM)
    try:
        dev.wait(timeout=30)
    except subprocess.TimeoutExpired:
        dev.kill()
    if failed:
        print(open(os.path.join(data, "dev.log")).read()[-3000:])
    shutil.rmtree(data, ignore_errors=True)

print(f"explorer: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
