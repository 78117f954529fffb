"""The web console in a real browser (headless Chromium through chromedriver, both from Debian).

Against a live `likeness serve`: create the admin on the login page, create a viewer on the
accounts page, enroll Obama and Biden from ../shared/faces, identify the two-people photo and read
the boxes and names from the DOM, verify, look at the system page and /docs, delete a person,
then log in as the viewer and find no edit control. Screenshots go to the folder given.

    python browser_test.py BASE_URL FACES_DIR SCREENSHOT_DIR
"""
import json
import os
import sys
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BASE, FACES, SHOTS = sys.argv[1].rstrip("/"), os.path.realpath(sys.argv[2]), sys.argv[3]
ADMIN = ("console-admin", "admin-pass-123")
VIEWER = ("console-viewer", "viewer-pass-123")
TRAIN = os.path.join(FACES, "face_recognition", "knn_examples", "train")
GROUP = os.path.join(FACES, "face_recognition", "two_people.jpg")

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,1000", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


driver = browser()
wait = WebDriverWait(driver, 60)


def shot(name):
    os.makedirs(SHOTS, exist_ok=True)
    driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def go(hash_):
    driver.execute_script("location.hash = arguments[0]", hash_)


def heading(text):
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main h1"), text))


def fill(form, name, value):
    field = form.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def toast_contains(text):
    wait.until(EC.text_to_be_present_in_element((By.ID, "toast"), text))


def log_in(username, password):
    form = wait.until(EC.presence_of_element_located((By.ID, "login-form")))
    fill(form, "username", username)
    fill(form, "password", password)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "who"), username))


def token():
    return json.loads(driver.execute_script("return sessionStorage.getItem('likeness.session')"))["token"]


def api_status(path):
    request = urllib.request.Request(BASE + path, headers={"Authorization": f"Bearer {token()}"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def enroll(class_id, name, folder):
    go("#/people")
    heading("People")
    form = wait.until(EC.presence_of_element_located((By.ID, "create-person")))
    fill(form, "class_id", class_id)
    fill(form, "name", name)
    photos = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    form.find_element(By.NAME, "file").send_keys("\n".join(photos))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    heading(name)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#faces li")) == len(photos))
    check(len(driver.find_elements(By.CSS_SELECTOR, "#faces li")) == len(photos), f"{name}: {len(photos)} faces enrolled and listed")
    wait.until(lambda d: all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
                             for img in d.find_elements(By.CSS_SELECTOR, "#faces img.crop")))
    crops = driver.find_elements(By.CSS_SELECTOR, "#faces img.crop")
    check(len(crops) == len(photos), f"{name}: each face shows its stored crop")


try:
    # The headers every console page carries.
    with urllib.request.urlopen(BASE + "/console/") as response:
        csp = response.headers.get("Content-Security-Policy", "")
    check("script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp,
          f"/console/ sends a CSP without inline scripts ({csp[:60]}...)")

    # First start: the admin is created from the login page.
    driver.get(BASE + "/console/")
    wait.until(EC.presence_of_element_located((By.ID, "login-form")))
    shot("01-login")
    driver.find_element(By.CSS_SELECTOR, "details summary").click()
    first = driver.find_element(By.CSS_SELECTOR, "details form")
    fill(first, "new-username", ADMIN[0])
    fill(first, "new-password", ADMIN[1])
    first.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "who"), f"{ADMIN[0]} (admin)"))
    heading("People")
    check(True, "the first account was created and logged in from the login page")

    # A viewer, from the accounts page.
    go("#/accounts")
    heading("Accounts")
    form = wait.until(EC.presence_of_element_located((By.ID, "new-account")))
    fill(form, "username", VIEWER[0])
    fill(form, "password", VIEWER[1])
    form.find_element(By.CSS_SELECTOR, "select[name=role] option[value=viewer]").click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"tr[data-account='{VIEWER[0]}']")))
    row = driver.find_element(By.CSS_SELECTOR, f"tr[data-account='{VIEWER[0]}']")
    check(row.find_element(By.TAG_NAME, "select").get_attribute("value") == "viewer", "the viewer account is listed with its role")

    # Two people, enrolled by uploading their photos.
    enroll("obama", "Barack Obama", os.path.join(TRAIN, "obama"))
    enroll("biden", "Joe Biden", os.path.join(TRAIN, "biden"))
    shot("02-person")
    go("#/people")
    heading("People")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#people-table tbody tr")) == 2)
    check(len(driver.find_elements(By.CSS_SELECTOR, "#people-table tbody tr")) == 2, "the people page lists two people")
    search = driver.find_element(By.CSS_SELECTOR, "form[role=search] input")
    search.send_keys("bid")
    search.submit()
    wait.until(lambda d: "search=bid" in d.current_url and len(d.find_elements(By.CSS_SELECTOR, "#people-table tbody tr")) == 1)
    check("Joe Biden" in driver.find_element(By.ID, "people-table").text, "searching 'bid' finds Joe Biden only")
    shot("03-people")

    # The group photo: one box per face, each named, read from the page.
    go("#/identify")
    heading("Identify")
    driver.find_element(By.ID, "identify-file").send_keys(GROUP)
    driver.find_element(By.CSS_SELECTOR, "#identify-form button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.ID, "identify-stage")))
    boxes = driver.find_elements(By.CSS_SELECTOR, "#identify-stage .face-box")
    names = sorted(b.get_attribute("data-name") for b in boxes)
    labels = [b.text for b in boxes]
    check(len(boxes) == 2, f"identify drew 2 boxes on two_people.jpg (got {len(boxes)})")
    check(names == ["Barack Obama", "Joe Biden"], f"the boxes are named Barack Obama and Joe Biden (got {names}, labels {labels})")
    check(all(b.size["width"] > 20 and b.size["height"] > 20 for b in boxes), "the boxes have a visible size on the page")
    check(len(driver.find_elements(By.CSS_SELECTOR, "#identify-stage .landmark")) >= 2 * 5, "landmarks are drawn for both faces")
    check(len(driver.find_elements(By.CSS_SELECTOR, "#identify-results > li")) == 2, "the result list has one entry per face")
    shot("04-identify")
    driver.set_window_size(390, 844)
    shot("05-identify-phone")
    check(driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"),
          "at phone width the page does not scroll sideways")
    driver.set_window_size(1280, 1000)

    # Verify a photo against an enrolled person.
    go("#/verify")
    heading("Verify")
    driver.find_element(By.ID, "verify-file").send_keys(os.path.join(FACES, "face_recognition", "obama_small.jpg"))
    driver.find_element(By.CSS_SELECTOR, "input[name=mode][value=person]").click()
    driver.find_element(By.ID, "verify-class").send_keys("obama")
    driver.find_element(By.CSS_SELECTOR, "#verify-form button[type=submit]").click()
    result = wait.until(EC.presence_of_element_located((By.ID, "verify-result")))
    check(result.text.startswith("Same person"), f"verify: obama_small.jpg is Barack Obama ({result.text.splitlines()[0]})")

    # The system page shows the pack, its licences and the counts.
    go("#/system")
    heading("System")
    wait.until(EC.presence_of_element_located((By.ID, "system-facts")))
    facts = driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#system-facts dt')].map(dt => [dt.textContent, dt.nextElementSibling.textContent]))")
    check("dlib" in facts.get("Model pack", "") and facts.get("Faces") == "4", f"the system page shows the dlib pack and 4 faces ({facts})")
    shot("06-system")

    # The webcam (Chromium's fake camera: a test pattern, no face): the capture is uploaded and
    # the server's answer is shown, then the camera is released.
    go("#/people/obama")
    heading("Barack Obama")
    driver.find_element(By.XPATH, "//button[normalize-space()='Use the webcam']").click()
    video = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".camera video")))
    wait.until(lambda d: d.execute_script("return arguments[0].readyState >= 2 && arguments[0].videoWidth > 0", video))
    driver.find_element(By.XPATH, "//button[normalize-space()='Take photo and enrol']").click()
    wait.until(lambda d: "face" in d.find_element(By.ID, "toast").text.lower())
    check("no face" in driver.find_element(By.ID, "toast").text.lower(),
          f"webcam: the capture was sent and the server's refusal shown ({driver.find_element(By.ID, 'toast').text})")
    driver.find_element(By.XPATH, "//button[normalize-space()='Stop camera']").click()
    check(not driver.find_elements(By.CSS_SELECTOR, ".camera video"), "webcam: stopping releases the camera")

    # Delete a person, in two steps.
    go("#/people/biden")
    heading("Joe Biden")
    driver.find_element(By.ID, "delete-person").click()
    wait.until(EC.visibility_of_element_located((By.ID, "confirm-delete"))).click()
    toast_contains("Deleted Joe Biden")
    heading("People")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#people-table tbody tr")) == 1)
    check("Joe Biden" not in driver.find_element(By.ID, "people-table").text, "Joe Biden is gone from the list")
    check(api_status("/v1/people/biden") == 404, "and from the API")

    # The docs page, drawn from /openapi.json.
    driver.get(BASE + "/docs")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "article.operation")) > 20)
    operations = len(driver.find_elements(By.CSS_SELECTOR, "article.operation"))
    with urllib.request.urlopen(BASE + "/openapi.json") as response:
        document = json.load(response)
    expected = sum(1 for item in document["paths"].values() for m in item if m in ("get", "post", "put", "patch", "delete"))
    check(operations == expected, f"/docs shows every operation of /openapi.json ({operations} of {expected})")
    identify = driver.find_element(By.ID, "post--v1-identify")
    check("-F file=@photo.jpg" in identify.text, "/docs gives a curl example with a file upload")
    # Try it, with the token of this tab's console session.
    driver.find_element(By.ID, "get--v1-index").find_element(By.TAG_NAME, "summary").click()
    driver.find_element(By.ID, "get--v1-index").find_element(By.CSS_SELECTOR, "form button").click()
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#get--v1-index pre[aria-live]"), "200"))
    check("total_vectors" in driver.find_element(By.CSS_SELECTOR, "#get--v1-index pre[aria-live]").text, "'Try it' on GET /v1/index answers 200")
    shot("07-docs")

    # No page broke the CSP or threw.
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and
              ("Content Security Policy" in e["message"] or "Uncaught" in e["message"])]
    check(not errors, f"no CSP violation or uncaught error in the browser log ({errors[:2]})")

    # The viewer sees no edit control anywhere (the API would refuse them anyway).
    driver.get(BASE + "/console/")
    wait.until(EC.presence_of_element_located((By.ID, "logout"))).click()
    log_in(*VIEWER)
    go("#/people")
    heading("People")
    check(not driver.find_elements(By.ID, "create-person"), "viewer: no create form on the people page")
    go("#/people/obama")
    heading("Barack Obama")
    edits = driver.find_elements(By.CSS_SELECTOR, "[data-edit], #edit-person, #enrol-form, #delete-person")
    check(not edits and len(driver.find_elements(By.CSS_SELECTOR, "#faces li")) == 2,
          "viewer: a person's page shows the faces and no edit, enrol or delete control")
    check(not driver.find_element(By.CSS_SELECTOR, "#nav a[href='#/accounts']").is_displayed(), "viewer: no accounts link")
    go("#/system")
    heading("System")
    check(not driver.find_elements(By.CSS_SELECTOR, "[data-edit]"), "viewer: no rebuild button on the system page")
    check(api_status("/v1/accounts") == 403, "viewer: the API refuses the accounts list")
    shot("08-viewer")

    # The viewer changes their own password, logs out (ending the token on the server), and
    # logs in with the new one.
    go("#/password")
    form = wait.until(EC.presence_of_element_located((By.ID, "password-form")))
    fill(form, "current_password", VIEWER[1])
    fill(form, "new_password", "viewer-new-pass-1")
    fill(form, "new_password_again", "viewer-new-pass-1")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#password-form [role=status]"), "Password changed"))
    old_token = token()
    check(api_status("/v1/people") == 200, "viewer: the session carries on with the fresh token")
    driver.find_element(By.ID, "logout").click()
    wait.until(EC.presence_of_element_located((By.ID, "login-form")))
    request = urllib.request.Request(BASE + "/v1/people", headers={"Authorization": f"Bearer {old_token}"})
    try:
        urllib.request.urlopen(request)
        ended = False
    except urllib.error.HTTPError as e:
        ended = e.code == 401
    check(ended, "viewer: logging out ended the token on the server")
    log_in(VIEWER[0], "viewer-new-pass-1")
    check(True, "viewer: logged in with the new password")
finally:
    driver.quit()

if failures:
    print(f"browser test: {len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("browser test: every check passed")
