"""Headless Chromium on the dashboard, used as a person uses it.

Debian's ``chromium`` and ``chromium-driver`` (installed by
tools/setup-dev.sh) driven by Selenium. Elements are found by what a user
sees (button and link text, field labels' form names, table rows), and
every step can be saved as a screenshot.
"""

import os
import time

from selenium import webdriver
from selenium.common import exceptions
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
WIDTH, HEIGHT = 1280, 860


def _literal(text):
    """``text`` as an XPath string literal (it may hold quotes)."""
    if "'" not in text:
        return "'%s'" % text
    return 'concat(%s)' % ', "\'", '.join("'%s'" % part
                                          for part in text.split("'"))


class Browser(object):
    """One browser window on one site, saving numbered screenshots."""

    def __init__(self, base_url, shots_dir, timeout=30):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ('--headless=new', '--no-sandbox',
                         '--disable-dev-shm-usage', '--disable-gpu',
                         '--lang=en-US',
                         '--window-size=%d,%d' % (WIDTH, HEIGHT)):
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER),
                                       options=options)
        self.base_url = base_url.rstrip('/')
        self.shots_dir = shots_dir
        self.shots = []
        self.timeout = timeout
        os.makedirs(shots_dir, exist_ok=True)

    def close(self):
        self.driver.quit()

    def wait(self, condition, timeout=None, message=''):
        return WebDriverWait(self.driver, timeout or self.timeout,
                             ignored_exceptions=(
                                 exceptions.StaleElementReferenceException,
                             )).until(condition, message)

    def open(self, path):
        self.driver.get(self.base_url + path)
        self.settled()

    def settled(self):
        """Until the page and Angular's pending requests are done."""
        self.wait(lambda d: d.execute_script(
            'if (document.readyState !== "complete") return false;'
            'if (!window.angular) return true;'
            'var el = document.querySelector(".ng-scope");'
            'if (!el) return true;'
            'var http = angular.element(el).injector().get("$http");'
            'return http.pendingRequests.length === 0;'),
            message='page did not settle')

    def login(self, username, password):
        self.open('/auth/login/')
        self.driver.find_element(By.ID, 'id_username').send_keys(username)
        self.driver.find_element(By.ID, 'id_password').send_keys(password)
        self.shot('login')
        self.driver.find_element(By.ID, 'loginBtn').click()
        self.wait(lambda d: '/auth/login' not in d.current_url,
                  message='login did not leave the login page')

    def visible(self, css, within=None):
        return [e for e in (within or self.driver).find_elements(
            By.CSS_SELECTOR, css) if e.is_displayed()]

    def button(self, text, within=None):
        """The visible button or link whose text contains ``text``."""
        xpath = ('.//button[contains(normalize-space(.), %s)] | '
                 './/a[contains(normalize-space(.), %s)]'
                 % (_literal(text), _literal(text)))
        root = within or self.driver

        def find(_):
            shown = [e for e in root.find_elements(By.XPATH, xpath)
                     if e.is_displayed() and e.is_enabled()]
            return shown[0] if shown else False
        return self.wait(find, message='no button %r' % text)

    def click(self, text, within=None):
        self.button(text, within).click()

    @property
    def modal(self):
        return self.wait(lambda d: (self.visible('.modal-dialog') or
                                    [False])[-1],
                         message='no dialog open')

    def step(self, title):
        """Switch the open wizard to the step named ``title``."""
        self.click(title, self.modal.find_element(By.CSS_SELECTOR,
                                                  '.wizard-nav, .nav'))

    def field(self, name):
        return self.wait(lambda d: (self.visible('[name="%s"]' % name,
                                                 self.modal) or [False])[0],
                         message='no field %s' % name)

    def fill(self, name, value):
        element = self.field(name)
        element.clear()
        element.send_keys(str(value))

    def choose(self, name, text):
        """Pick the option showing ``text`` once the form has loaded it."""
        element = self.field(name)
        self.wait(lambda d: any(o.text.strip() == text for o in
                                element.find_elements(By.TAG_NAME,
                                                      'option')),
                  message='no option %r in %s' % (text, name))
        Select(element).select_by_visible_text(text)

    def check(self, name, on=True):
        """Tick a checkbox through its label (the box itself is themed)."""
        label = self.wait(lambda d: (self.visible(
            'label[for="%s"]' % name, self.modal) or [False])[0],
            message='no checkbox %s' % name)
        box = self.modal.find_element(By.CSS_SELECTOR, '[name="%s"]' % name)
        if box.is_selected() != on:
            label.click()

    def toasts(self):
        return [e.text for e in self.visible('.toast, .alert')]

    def row(self, name):
        """Text of the table row whose link or cell reads ``name``."""
        xpath = ('//table//tr[.//td[normalize-space(.)=%s] or '
                 './/a[normalize-space(.)=%s]]' % (_literal(name),
                                                   _literal(name)))
        found = [r for r in self.driver.find_elements(By.XPATH, xpath)
                 if r.is_displayed()]
        return found[0] if found else None

    def cells(self, name):
        """{column header: cell text} of the table row for ``name``."""
        row = self.row(name)
        if row is None:
            return None
        table = row.find_element(By.XPATH, './ancestor::table[1]')
        headers = [' '.join(h.text.split()) for h in table.find_elements(
            By.CSS_SELECTOR, 'thead tr:last-child th')]
        cells = [c.text.strip() for c in row.find_elements(By.XPATH,
                                                           './td')]
        return dict(zip(headers, cells))

    def row_action(self, name, text):
        """Run the action ``text`` of ``name``'s row (button or menu)."""
        row = self.wait(lambda d: self.row(name), message='no row %s' % name)
        buttons = [b for b in row.find_elements(By.XPATH, './/button')
                   if b.is_displayed()
                   and b.text.strip() == text]
        if not buttons:
            row.find_element(By.CSS_SELECTOR, '.dropdown-toggle').click()
        self.click(text, row)

    def watch(self, path, name, done, timeout, every=3.0):
        """Reload ``path`` until ``done(cells of name's row)``; the cells.

        ``cells`` is None once the row is gone. Returns every distinct
        state seen, in order, ending with the one ``done`` accepted.
        """
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            self.open(path)
            cells = self.cells(name)
            if not seen or seen[-1] != cells:
                seen.append(cells)
            if done(cells):
                return seen
            if time.monotonic() > deadline:
                raise AssertionError('%s did not reach the expected state '
                                     'in %ds; seen: %s' % (name, timeout,
                                                           seen))
            time.sleep(every)

    def shot(self, name):
        """Save the window as NN-name.png; returns its path."""
        path = os.path.join(self.shots_dir, '%02d-%s.png'
                            % (len(self.shots) + 1, name))
        self.driver.save_screenshot(path)
        self.shots.append(path)
        return path
