// Keyboard-only walks (issue #20, item 8): each main workflow driven with page.keyboard alone (Tab,
// Shift+Tab, Enter, Space, arrows and typing; a file chosen in the dialog that Space opens), and at
// every stop the focused element shows where the focus is (an outline or a box shadow).
import assert from 'node:assert/strict';

/** Whether the focused element is visibly marked: a computed outline or box shadow. */
async function focusShown(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { shown: false, what: 'nothing focused' };
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow && style.boxShadow !== 'none';
    return { shown: outline || shadow, what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} «${(el.innerText || el.value || '').slice(0, 40)}»` };
  });
}

/** Presses Tab (or Shift+Tab) until `target` has the focus; asserts the focus is visible there. */
async function tabTo(page, target, { back = false, max = 150 } = {}) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) {
      const { shown, what } = await focusShown(page);
      assert.ok(shown, `the focus on ${what} is not visible (no outline, no box shadow)`);
      return;
    }
  }
  throw new Error(`${target} never got the focus in ${max} presses of ${back ? 'Shift+Tab' : 'Tab'}`);
}

/** Tabs to a field and types into it (what was there is selected first and replaced). */
async function typeInto(page, field, text) {
  await tabTo(page, field);
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
}

/** Tabs to a link or button and presses Enter, waiting for the page it leads to. */
async function activate(page, target, key = 'Enter') {
  await tabTo(page, target);
  await Promise.all([page.waitForNavigation(), page.keyboard.press(key)]);
}

/** Tabs to a select and presses ArrowDown until `wanted` (an option's text) is chosen. */
async function choose(page, select, wanted) {
  await tabTo(page, select);
  for (let i = 0; i < 400; i++) {
    const text = await select.evaluate((el) => el.options[el.selectedIndex]?.text ?? '');
    if (wanted.test(text)) return;
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`no option ${wanted} in ${select}`);
}

/** Tabs to a file input, opens its dialog with Space and chooses `file` there. */
async function chooseFile(page, input, file) {
  await tabTo(page, input);
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
  await chooser.setFiles(file);
}

export function keyboardTests({ test, base, oid, signIn, password, fixtures, snils }) {
  test('keyboard only: sign in with the local account', async (page) => {
    await page.context().clearCookies();
    await page.goto(base + '/login');
    const local = page.getByText('Вход по учётной записи реестра');
    await tabTo(page, local);
    await page.keyboard.press('Enter'); // opens the <details>
    await typeInto(page, page.getByLabel('Логин'), 'op63');
    await typeInto(page, page.getByLabel('Пароль'), password);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(new URL(page.url()).pathname, '/cabinet');
    assert.match(await page.textContent('header'), /Оператор Самарской области/);
  });

  test('keyboard only: the chief proposes a card change and sends it', async (page) => {
    await signIn(page, 'chief');
    await page.goto(`${base}/cabinet/organizations/${oid}`);
    await typeInto(page, page.getByLabel('Телефон'), '+7 (846) 333-54-52');
    await typeInto(page, page.getByLabel('Причина изменения'), 'новый номер приёмной');
    await activate(page, page.getByRole('button', { name: 'Сохранить' }));
    assert.match(await page.textContent('#request-submitted'), /отправлена на проверку/);
    await activate(page, page.locator('#request-submitted a').first());
    assert.match(await page.textContent('#request-status'), /на проверке/);
  });

  test('keyboard only: the chief uploads a document', async (page) => {
    await signIn(page, 'chief');
    await page.goto(`${base}/cabinet/organizations/${oid}/documents`);
    const number = `КЛ-${Date.now()}`;
    await choose(page, page.getByLabel('Вид документа'), /лицензия/i);
    await typeInto(page, page.getByLabel('Номер'), number);
    await tabTo(page, page.getByLabel('Дата выдачи'));
    await page.keyboard.type('01032024');
    await chooseFile(page, page.getByLabel('Файл', { exact: true }), `${fixtures}/frmo-domain/tests/fixtures/documents/licence.pdf`);
    await activate(page, page.getByRole('button', { name: 'Загрузить' }));
    assert.match(await page.textContent('#upload-saved'), /Документ сохранён/);
    assert.match(await page.textContent('#documents'), new RegExp(number));
  });

  test('keyboard only: the chief adds a worker', async (page) => {
    await signIn(page, 'chief');
    await page.goto(`${base}/cabinet/organizations/${oid}/workers/new`);
    const surname = `Клавиатурова${'абвгдежзик'[Date.now() % 10]}${'абвгдежзик'[Math.floor(Date.now() / 10) % 10]}`;
    await typeInto(page, page.getByLabel('СНИЛС'), snils(410000000 + (Date.now() % 99999)));
    await typeInto(page, page.getByLabel('Фамилия'), surname);
    await typeInto(page, page.getByLabel('Имя'), 'Вера');
    await choose(page, page.getByLabel('Пол'), /ж/);
    await tabTo(page, page.getByLabel('Дата рождения'));
    await page.keyboard.type('12041985');
    await typeInto(page, page.getByLabel('Подразделение'), 'Терапевтическое отделение');
    await choose(page, page.locator('#position'), /\S/);
    await choose(page, page.locator('#position_type'), /\S/);
    await typeInto(page, page.getByLabel('Ставка'), '1');
    await tabTo(page, page.getByLabel('Дата приёма'));
    await page.keyboard.type('01092020');
    await activate(page, page.locator('main form button[type="submit"]').last());
    assert.match(await page.textContent('main'), new RegExp(surname));
    assert.equal(await page.locator('#error-summary').count(), 0, 'no error summary');
  });

}

export function keyboardDecisionTest({ test, base, signIn }) {
  test('keyboard only: the operator decides a request', async (page) => {
    await signIn(page, 'operator');
    await page.goto(`${base}/cabinet/moderation`);
    await activate(page, page.locator('main a[href^="/cabinet/requests/"]').first());
    const approve = page.locator('#decision-form input[value="approve"]');
    await tabTo(page, approve);
    await page.keyboard.press('Space');
    assert.ok(await approve.isChecked(), '«Одобрить» chosen with Space');
    await typeInto(page, page.locator('#comment'), 'проверено, номер верный');
    await activate(page, page.getByRole('button', { name: 'Принять решение' }));
    assert.match(await page.textContent('#decision-made'), /одобрена/i);
  });
}
