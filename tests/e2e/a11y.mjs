// The sweep's tests: public pages, the ЕСИА stand, the cabinet of each role, and the forms in their
// error state (submitted as a browser without form validation would, so the server's error summary
// and inline errors are what is checked).
import assert from 'node:assert/strict';
import { assertNone, problemsOf, sweepPublic, sweepRole, useLanguage, visit } from './sweep.mjs';

/** Submits the form around `button` with the browser's own validation off; returns the problems. */
async function submitted(page, button, label, expect = '#error-summary') {
  await page.evaluate(() => document.querySelectorAll('form').forEach((f) => { f.noValidate = true; }));
  await Promise.all([page.waitForNavigation(), button.click()]);
  if (expect && !(await page.locator(expect).count())) return [`${label}: no ${expect} after submitting`];
  return problemsOf(page, label);
}

export function a11yTests({ test, base, oid, signIn }) {
  test('a11y and layout: every public page, the error pages and the ЕСИА stand', async (page) => {
    let problems = await sweepPublic(page, base, oid);
    // Forms of the public side in their error state.
    await page.goto(base + '/login');
    await page.getByText('Вход по учётной записи реестра').click();
    await page.getByLabel('Логин').fill('nobody');
    await page.getByLabel('Пароль').fill('wrong-password');
    problems = problems.concat(await submitted(page, page.getByRole('button', { name: 'Войти', exact: true }), 'login refused'));
    await page.goto(base + '/support/new');
    problems = problems.concat(await submitted(page, page.locator('form button[type="submit"]').last(), 'public support form refused'));
    assertNone(problems);
  });

  for (const role of ['member', 'chief', 'operator', 'admin', 'auditor']) {
    test(`a11y and layout: every cabinet page of the ${role}`, async (page) => {
      await signIn(page, role);
      assertNone(await sweepRole(page, base, oid, role));
    });
  }

  // English, the second locale: the same pages with longer or shorter words, and `lang` marking
  // the Russian data on them. The cookie goes back to Russian for the tests that follow.
  test('a11y and layout in English: every public page and the error pages', async (page) => {
    try {
      assertNone(await sweepPublic(page, base, oid, 'en'));
    } finally {
      await useLanguage(page, base, 'ru');
    }
  });
  for (const role of ['member', 'chief', 'operator', 'admin', 'auditor']) {
    test(`a11y and layout in English: every cabinet page of the ${role}`, async (page) => {
      await signIn(page, role);
      await useLanguage(page, base, 'en');
      try {
        assertNone(await sweepRole(page, base, oid, role));
      } finally {
        await useLanguage(page, base, 'ru');
      }
    });
  }

  test('a11y and layout: the chief\'s forms refused with their error summary, and a document, worker import, support request and application refused', async (page) => {
    await signIn(page, 'chief');
    let problems = [];
    await page.goto(`${base}/cabinet/organizations/${oid}`);
    await page.getByLabel('Телефон').fill('12');
    await page.getByLabel('Причина изменения').fill('проверка доступности');
    problems = problems.concat(await submitted(page, page.getByRole('button', { name: 'Сохранить' }), 'card form refused'));
    await page.goto(`${base}/cabinet/organizations/${oid}/documents`);
    await page.getByLabel('Файл', { exact: true }).setInputFiles({ name: 'licence.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ') });
    problems = problems.concat(await submitted(page, page.getByRole('button', { name: 'Загрузить' }), 'document upload refused'));
    await page.goto(`${base}/cabinet/organizations/${oid}/workers/new`);
    problems = problems.concat(await submitted(page, page.locator('main form button[type="submit"]').last(), 'new worker refused'));
    await page.goto(`${base}/cabinet/organizations/${oid}/workers`);
    await page.getByLabel('Файл CSV или XLSX').setInputFiles({ name: 'workers.csv', mimeType: 'text/csv', buffer: Buffer.from('СНИЛС;Фамилия\n123;Иванова\n') });
    problems = problems.concat(await submitted(page, page.getByRole('button', { name: 'Загрузить работников' }), 'worker import refused', '#import-report'));
    await page.goto(`${base}/cabinet/support/new`);
    problems = problems.concat(await submitted(page, page.getByRole('button', { name: 'Отправить обращение' }), 'support request refused'));
    await page.goto(`${base}/cabinet/applications/new`);
    problems = problems.concat(await submitted(page, page.locator('main form button[type="submit"]').last(), 'application refused'));
    assertNone(problems);
  });

  test('a11y and layout: a person without consent and without an organization (home, profile, the refused application)', async (page) => {
    await signIn(page, 'newcomer');
    let problems = [];
    for (const url of ['/cabinet', '/cabinet/profile']) problems = problems.concat(await visit(page, base, url));
    problems = problems.concat(await visit(page, base, '/cabinet/applications/new', 403)); // consent first
    if (!(await page.goto(base + '/cabinet').then(() => page.locator('main').innerText())).includes('Нужно ваше согласие')) {
      problems.push('/cabinet: the newcomer was expected without consent');
    }
    assertNone(problems);
  });

  test('a11y and layout: a local account sets up one-time codes (TOTP)', async (page) => {
    await signIn(page, 'auditor');
    await page.goto(`${base}/cabinet/profile`);
    assertNone(await submitted(page, page.getByRole('button', { name: 'Включить одноразовые коды' }), 'TOTP set-up', 'input[name="code"]'));
  });

  test('a11y and layout: the operator\'s decision form refused', async (page) => {
    await signIn(page, 'operator');
    await page.goto(`${base}/cabinet/moderation`);
    const request = page.locator('main a[href^="/cabinet/requests/"]').first();
    if (!(await request.count())) throw new Error('no request in the operator\'s queue');
    await Promise.all([page.waitForNavigation(), request.click()]);
    await page.locator('#decision-form textarea').fill('уточните номер');
    assertNone(await submitted(page, page.locator('#decision-form button[type="submit"]').first(), 'decision refused'));
  });
}

export function menuTests({ test, base, signIn }) {
  test('the menu: a nav landmark marking the current section; one line at 1366 px, a «Меню» disclosure at 390 px', async (page) => {
    await signIn(page, 'chief');
    await page.goto(base + '/cabinet/requests');
    const nav = page.getByRole('navigation', { name: 'Меню' });
    assert.equal(await nav.count(), 1, 'one navigation landmark «Меню»');
    assert.equal((await nav.locator('[aria-current="page"]').innerText()).trim(), 'Мои заявки');
    await page.setViewportSize({ width: 1366, height: 900 });
    const links = nav.locator('ul.sections a');
    assert.ok((await links.count()) >= 6, 'the sections');
    const tops = await links.evaluateAll((all) => all.map((a) => a.getBoundingClientRect().top));
    assert.equal(new Set(tops).size, 1, `the sections on one line at 1366 px (tops: ${tops})`);
    assert.ok(await nav.getByRole('link', { name: 'Мои организации' }).isVisible(), 'no «Меню» to open on a wide screen');
    assert.ok(!(await nav.locator('summary').isVisible()), 'no «Меню» button on a wide screen');
    await page.setViewportSize({ width: 390, height: 900 });
    assert.ok(await nav.locator('summary').isVisible(), '«Меню» on a phone');
    assert.ok(!(await nav.getByRole('link', { name: 'Мои организации' }).isVisible()), 'the menu closed on a phone');
    await nav.locator('summary').focus();
    await page.keyboard.press('Enter');
    assert.ok(await nav.getByRole('link', { name: 'Мои организации' }).isVisible(), 'Enter opens the menu');
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  test('the language switch: «English» in the header at both widths leads to the same page in English and back', async (page) => {
    await page.goto(base + '/?q=больница');
    for (const width of [390, 1366]) {
      await page.setViewportSize({ width, height: 900 });
      assert.ok(await page.locator('#language-switch').isVisible(), `the switch is in sight at ${width} px`);
    }
    await Promise.all([page.waitForNavigation(), page.locator('#language-switch').click()]);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await page.locator('#q').inputValue(), 'больница', 'the same search');
    await page.goto(base + '/directories');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'the choice is kept');
    assert.equal((await page.locator('#language-switch').innerText()).trim(), 'Русский');
    await Promise.all([page.waitForNavigation(), page.locator('#language-switch').click()]);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
    await page.setViewportSize({ width: 1280, height: 720 });
  });
}
