// Browser tests of the public register: a visitor searches the demo register and opens a card.
// Plain Node + playwright-core + Debian chromium (no browser download), run by tests/e2e/run.sh
// against a running `frmo serve --demo`: FRMO_BASE_URL=http://127.0.0.1:PORT node register.test.mjs
// Every page test runs twice: with JavaScript and without it (the register must work without).
// On failure: a full-page screenshot per failed test in FRMO_SCREENSHOTS (default: a new temp dir)
// and exit code 1.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { a11yTests, menuTests } from './a11y.mjs';
import { keyboardDecisionTest, keyboardTests } from './keyboard.mjs';

const base = process.env.FRMO_BASE_URL?.replace(/\/$/, '');
if (!base) {
  console.error('FRMO_BASE_URL is not set (the address of a running `frmo serve --demo`)');
  process.exit(2);
}
const shots = process.env.FRMO_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'frmo-e2e-shots-'));
fs.mkdirSync(shots, { recursive: true });

// A real organization of the demo register.
const REAVIZ = {
  name: 'Медицинский Университет «Реавиз»',
  inn: '6317006620',
  ogrn: '1026301420716',
  kpp: '631501001',
  region: '63',
  oid: null, // read from the API below: the tests do not depend on how the demo numbers OIDs
};

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------------------------
// The JSON API, checked without a browser first: it also tells us the organization's OID.

async function getJson(url) {
  const response = await fetch(base + url);
  assert.equal(response.status, 200, `GET ${url} → ${response.status}`);
  assert.match(response.headers.get('content-type') ?? '', /application\/json/, `GET ${url} content-type`);
  return response.json();
}

let failed = 0;
async function check(label, body, onFailure) {
  try {
    await body();
    console.log(`ok   ${label}`);
  } catch (error) {
    failed++;
    const where = onFailure ? await onFailure(failed) : '';
    console.error(`FAIL ${label}\n     ${String(error?.message ?? error).split('\n').join('\n     ')}${where}`);
  }
}

await check('/healthz and /readyz answer', async () => {
  for (const url of ['/healthz', '/readyz']) {
    const response = await fetch(base + url);
    assert.equal(response.status, 200, `GET ${url} → ${response.status}`);
  }
});

await check('the API finds the organization by ИНН, ОГРН and КПП, and returns its card', async () => {
  const byInn = await getJson(`/api/v1/organizations?inn=${REAVIZ.inn}`);
  assert.ok(Array.isArray(byInn.items) && byInn.items.length >= 1, 'items by ИНН');
  assert.ok(Number.isInteger(byInn.total) && byInn.total >= 1, 'total');
  const item = byInn.items.find((i) => i.inn === REAVIZ.inn);
  assert.ok(item, `an item with ИНН ${REAVIZ.inn}`);
  assert.equal(item.nameShort, REAVIZ.name);
  REAVIZ.oid = item.oid;
  const byOgrn = await getJson(`/api/v1/organizations?ogrn=${REAVIZ.ogrn}`);
  assert.ok(byOgrn.items.some((i) => i.oid === REAVIZ.oid), 'found by ОГРН');
  const byKpp = await getJson(`/api/v1/organizations?kpp=${REAVIZ.kpp}&region=${REAVIZ.region}`);
  assert.ok(byKpp.items.some((i) => i.oid === REAVIZ.oid), 'found by КПП in its region');
  const byWord = await getJson(`/api/v1/organizations?q=${encodeURIComponent('университета')}`);
  assert.ok(byWord.items.some((i) => i.oid === REAVIZ.oid), 'found by «университета»');
  const card = await getJson(`/api/v1/organizations/${encodeURIComponent(REAVIZ.oid)}`);
  assert.ok(JSON.stringify(card).includes(REAVIZ.inn), 'the card carries the ИНН');
  const openapi = await getJson('/api/v1/openapi.json');
  assert.ok(openapi.openapi && openapi.paths, 'an OpenAPI document');
});
if (!REAVIZ.oid) {
  console.error(`the demo register has no ${REAVIZ.name} (ИНН ${REAVIZ.inn}) through the API: stopping`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// The pages, in Debian's chromium.

let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
} catch (error) {
  console.error(`could not start chromium (${process.env.CHROMIUM ?? '/usr/bin/chromium'}; apt-get install chromium):\n${error.message}`);
  process.exit(1);
}

const tests = [];
/** A test; `jsOnly` ones run once, with JavaScript (axe-core runs in the page). */
const test = (name, body, { jsOnly = false } = {}) => tests.push({ name, body, jsOnly });
const password = process.env.FRMO_E2E_OPERATOR_PASSWORD ?? 'operator-63-password';

/** Searches from the home page the way a person does: type into «Поиск», press «Найти». */
async function searchFor(page, text) {
  await page.goto(base + '/');
  await page.getByLabel('Поиск').fill(text);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Найти' }).click()]);
}

test('the search form: a labelled text input «q», a region list, a GET form with «Найти»', async (page) => {
  const response = await page.goto(base + '/');
  assert.equal(response.status(), 200);
  const input = page.locator('input[name="q"]');
  assert.equal(await input.count(), 1, 'one input name="q"');
  const id = await input.getAttribute('id');
  const labels = id ? await page.locator(`label[for="${id}"]`).allInnerTexts() : [];
  const wrapping = await page.locator('label:has(input[name="q"])').allInnerTexts();
  const label = [...labels, ...wrapping].join(' ');
  assert.ok(label.length > 0, 'a <label> for the search input');
  assert.match(label, /Поиск/, 'the label says «Поиск»');
  assert.ok((await page.locator('select[name="region"] option').count()) > 80, 'the region list');
  const form = page.locator('form:has(input[name="q"])');
  assert.equal(((await form.getAttribute('method')) ?? 'get').toLowerCase(), 'get', 'a GET form (works without JavaScript)');
  assert.equal(await form.getByRole('button', { name: 'Найти' }).count(), 1, 'the «Найти» button');
});

test('an inflected word of the name finds the organization, and its card opens', async (page) => {
  await searchFor(page, 'университета');
  assert.match(page.url(), /[?&]q=/, 'the query is in the address');
  const link = page.locator('li a', { hasText: REAVIZ.name }).first();
  assert.equal(await link.getAttribute('href'), `/organizations/${REAVIZ.oid}`);
  await Promise.all([page.waitForNavigation(), link.click()]);
  assert.equal(new URL(page.url()).pathname, `/organizations/${REAVIZ.oid}`);
  assert.equal((await page.locator('h1').innerText()).trim(), REAVIZ.name);
  const requisites = await page.locator('table').first().innerText();
  assert.match(requisites, new RegExp(`ИНН\\s+${REAVIZ.inn}`));
  assert.match(requisites, new RegExp(`ОГРН\\s+${REAVIZ.ogrn}`));
  assert.match(requisites, new RegExp(`КПП\\s+${REAVIZ.kpp}`));
  for (const heading of ['Структура', 'Здания', 'Лицензии']) {
    assert.equal(await page.getByRole('heading', { name: heading }).count(), 1, `the heading «${heading}»`);
  }
});

test('ИНН, ОГРН and OID typed into the search box find the organization first', async (page) => {
  for (const id of [REAVIZ.inn, REAVIZ.ogrn, REAVIZ.oid]) {
    await searchFor(page, id);
    const first = page.locator('li a[href^="/organizations/"]').first();
    assert.equal((await first.innerText()).trim(), REAVIZ.name, `search by ${id}`);
  }
});

test('a region filter narrows the results', async (page) => {
  await page.goto(base + '/');
  await page.getByLabel('Поиск').fill('больница');
  await page.getByLabel('Регион').selectOption('77');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Найти' }).click()]);
  assert.match(page.url(), /[?&]region=77/);
  const metas = await page.locator('ol.results li .meta').allInnerTexts();
  assert.ok(metas.length > 0, 'hospitals in Moscow');
  for (const meta of metas.filter((m) => m.includes('ИНН'))) assert.match(meta, /г\. Москва/);
});

test('a wrong ИНН is explained next to the form', async (page) => {
  const response = await page.goto(base + '/?inn=6317006621');
  assert.equal(response.status(), 400);
  assert.match(await page.getByRole('alert').innerText(), /ИНН: неверное контрольное число/);
  // The one search box recognises identifiers too and says which check failed.
  const typed = await page.goto(base + '/?q=6317006621');
  assert.equal(typed.status(), 400);
  assert.match(await page.getByRole('alert').innerText(), /«6317006621» — это ИНН: неверное контрольное число/);
});

test('the card can be shown as of a past date', async (page) => {
  await page.goto(`${base}/organizations/${REAVIZ.oid}`);
  await page.getByLabel('Карточка на дату').fill('2010-06-01');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Показать' }).click()]);
  assert.match(page.url(), /as_of=2010-06-01/);
  assert.match(await page.locator('main').innerText(), /Состояние на 01\.06\.2010/);
});

test('an unknown OID is a 404 page', async (page) => {
  const response = await page.goto(`${base}/organizations/1.2.643.5.1.13.13.12.2.99.999999`);
  assert.equal(response.status(), 404);
});

// ---------------------------------------------------------------------------------------------
// The personal cabinet through the ЕСИА stand that `serve --demo` mounts at /esia-stand.

/** From the home page to the stand's chooser, then signs in as the person with this button. */
async function signInThroughEsia(page, button) {
  await page.context().clearCookies();
  await page.goto(base + '/');
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Личный кабинет' }).click()]);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Войти' }).click()]);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Войти через Госуслуги' }).click()]);
  assert.match(page.url(), /\/esia-stand\/aas\/oauth2\/v2\/ac\?/, 'at the ЕСИА stand');
  assert.match(await page.textContent('body'), /подпись client_secret и хэш сертификата верны/);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: button }).click()]);
  assert.equal(new URL(page.url()).pathname, '/cabinet', 'back in the cabinet');
}

/** Each test starts from a person without consent (the same demo person signs in in both runs). */
async function withdrawConsentIfGiven(page) {
  await page.goto(base + '/cabinet/profile');
  const withdraw = page.getByRole('button', { name: 'Отозвать согласие' });
  if (await withdraw.count()) await Promise.all([page.waitForNavigation(), withdraw.click()]);
  await page.goto(base + '/cabinet');
}

test('ЕСИА: a confirmed chief signs in, gives consent, asks to change their organization, withdraws and signs out', async (page) => {
  await signInThroughEsia(page, 'Войти как Мария Иванова');
  await withdrawConsentIfGiven(page);
  assert.match(await page.textContent('header'), /Иванова Мария Петровна/, 'the person by name, in the menu');
  assert.match(await page.textContent('main'), /Нужно ваше согласие/);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Прочитать и принять согласие' }).click()]);
  assert.match(await page.textContent('#method'), /Госуслуги \(ЕСИА\)/);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Принимаю согласие' }).click()]);
  assert.doesNotMatch(await page.textContent('main'), /Нужно ваше согласие/);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: REAVIZ.name }).click()]);
  assert.equal(await page.getByRole('heading', { name: REAVIZ.name }).count(), 1);
  await page.getByLabel('Телефон').fill('+7 (846) 333-54-51');
  await page.getByLabel('Причина изменения').fill('сменился номер приёмной');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Сохранить' }).click()]);
  // Contacts are moderated: the change becomes a request for the region's operator.
  assert.match(await page.textContent('#request-submitted'), /отправлена на проверку/);
  await Promise.all([page.waitForNavigation(), page.locator('#request-submitted a').click()]);
  assert.match(await page.textContent('#request-status'), /на проверке/);
  assert.match(await page.textContent('#changes'), /\+7 \(846\) 333-54-51/);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Отозвать заявку' }).click()]);
  assert.match(await page.textContent('#request-status'), /отозвана/);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Выйти' }).click()]);
  assert.equal(new URL(page.url()).pathname, '/login', 'signed out through ЕСИА back to the register');
  assert.match(await page.textContent('#signed-out'), /Вы вышли из реестра/);
  const cabinet = await page.goto(base + '/cabinet');
  assert.equal(cabinet.status(), 401);
});

test('ЕСИА: an unconfirmed account is told why it cannot edit', async (page) => {
  await signInThroughEsia(page, 'Войти как Алексей Сидоров');
  await withdrawConsentIfGiven(page);
  assert.match(await page.textContent('#unconfirmed'), /не подтверждена/);
  await page.goto(base + '/cabinet/profile');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Принимаю согласие' }).click()]);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: REAVIZ.name }).click()]);
  const notice = await page.textContent('#edit-denied');
  assert.match(notice, /Изменять данные организации вы не можете/);
  assert.match(notice, /ACCOUNT_NOT_CONFIRMED/);
  assert.equal(await page.locator('#card-form').count(), 0, 'no edit form');
  await page.goto(base + '/cabinet/profile');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Выйти на всех устройствах' }).click()]);
});

/** The chief of Реавиз, signed in with consent, on a section of the organization's cabinet page. */
async function openOrganizationSection(page, link) {
  await signInThroughEsia(page, 'Войти как Мария Иванова');
  await page.goto(base + '/cabinet/profile');
  const accept = page.getByRole('button', { name: 'Принимаю согласие' });
  if (await accept.count()) await Promise.all([page.waitForNavigation(), accept.click()]);
  await page.goto(base + `/cabinet/organizations/${REAVIZ.oid}`);
  await Promise.all([page.waitForNavigation(), page.locator(link).click()]);
}

/** Local accounts made by run.sh (one password for all). */
const LOCAL = { operator: 'op63', admin: 'admin-e2e', auditor: 'auditor-e2e' };

/** The ЕСИА stand's persons the sweep and the walks sign in as. */
const ESIA = { chief: 'Войти как Мария Иванова', member: 'Войти как Сергей Петров', newcomer: 'Войти как Денис Смирнов' };

/** Signs in as one of the roles the sweep and the walks use, with the consent given (except the
 * newcomer, who has no organization and never gives it). */
async function signIn(page, role) {
  if (ESIA[role]) {
    await signInThroughEsia(page, ESIA[role]);
    if (role === 'newcomer') return;
  } else {
    await page.context().clearCookies();
    await page.goto(base + '/login');
    await page.getByText('Вход по учётной записи реестра').click();
    await page.getByLabel('Логин').fill(LOCAL[role]);
    await page.getByLabel('Пароль').fill(password);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Войти', exact: true }).click()]);
    assert.equal(new URL(page.url()).pathname, '/cabinet', `${role} signed in`);
  }
  await page.goto(base + '/cabinet/profile');
  const accept = page.getByRole('button', { name: 'Принимаю согласие' });
  if (await accept.count()) await Promise.all([page.waitForNavigation(), accept.click()]);
}

test('documents: a renamed program is refused, a signed licence is kept with its verdict and shows on the public card', async (page) => {
  await openOrganizationSection(page, '#documents-link');
  assert.equal(await page.getByRole('heading', { name: 'Документы' }).count(), 1);
  const number = `Л041-E2E-${Date.now()}`;
  const fill = async () => {
    await page.getByLabel('Вид документа').selectOption('1');
    await page.getByLabel('Номер').fill(number);
    await page.getByLabel('Дата выдачи').fill('2024-03-01');
  };
  const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), '../../crates');
  // A program renamed to .pdf: refused by its content, with the field named.
  await fill();
  await page.getByLabel('Файл', { exact: true }).setInputFiles({ name: 'licence.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(4096)]) });
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Загрузить' }).click()]);
  assert.match(await page.textContent('#error-summary'), /Файл: формат не поддерживается/);
  assert.equal(await page.locator('#error-summary a[href="#file"]').count(), 1, 'the summary links to the field');
  assert.equal(await page.locator('#file[aria-invalid="true"]').count(), 1, 'the field is marked');
  assert.doesNotMatch(await page.textContent('main'), new RegExp(escape(number)));
  // The licence with its detached ГОСТ signature.
  await fill();
  await page.getByLabel('Файл', { exact: true }).setInputFiles(path.join(fixtures, 'frmo-domain/tests/fixtures/documents/licence.pdf'));
  await page.getByLabel('Файл подписи (необязательно)').setInputFiles(path.join(fixtures, 'frmo-esign/tests/fixtures/licence-pdf.sig'));
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Загрузить' }).click()]);
  assert.match(await page.textContent('#upload-saved'), /Документ сохранён/);
  const row = page.locator('#documents tr', { hasText: number });
  // The demo trusts no root certificate: the signature is right, its signer is not confirmed.
  assert.match(await row.textContent(), /верна, подписант не подтверждён/);
  assert.match(await row.textContent(), /Иванова Мария Петровна/);
  await page.goto(base + `/organizations/${REAVIZ.oid}`);
  assert.match(await page.textContent('#public-documents'), new RegExp(escape(number)));
});

/** A valid СНИЛС for a nine-digit number (its check digits computed as the Пенсионный фонд does). */
function snils(body) {
  const digits = String(body).padStart(9, '0');
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (9 - i);
  let check = sum > 101 ? sum % 101 : sum;
  if (check >= 100) check = 0;
  return `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6, 9)} ${String(check).padStart(2, '0')}`;
}

test('workers: an import with a bad row is reported and changes nothing; fixed, it loads; the worker is found and dismissed', async (page) => {
  await openOrganizationSection(page, '#workers-link');
  assert.equal(await page.getByRole('heading', { name: 'Медицинские работники' }).count(), 1);
  const surname = `Тестова${Date.now() % 100000}`.replace(/[0-9]/g, (d) => 'абвгдеёжзи'[d]);
  const header = 'СНИЛС;Фамилия;Имя;Пол;Дата рождения;Подразделение;Должность (код);Тип занятости (код);Ставка;Дата приёма\n';
  const row = (number, name) => `${number};${name};Анна;ж;12.04.1985;Терапевтическое отделение;42;1;1;01.09.2020\n`;
  const good = snils(400000000 + (Date.now() % 99999));
  const bad = good.slice(0, -1) + (good.endsWith('9') ? '0' : '9');
  const upload = async (text) => {
    await page.getByLabel('Файл CSV или XLSX').setInputFiles({ name: 'workers.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Загрузить работников' }).click()]);
  };
  await upload(header + row(snils(400100001), 'Первая') + row(bad, surname));
  const report = await page.textContent('#import-report');
  assert.match(report, /Ничего не изменено/);
  assert.match(report, /3\s*2\s*СНИЛС\s*неверное контрольное число/);
  assert.equal(await page.locator('#report-download').count(), 1, 'the report can be downloaded');
  await upload(header + row(good, surname));
  assert.match(await page.textContent('#import-saved'), /Файл загружен: все строки проверены и сохранены/);
  await page.getByLabel('ФИО или СНИЛС').fill(surname);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Показать' }).click()]);
  assert.equal(await page.locator('#workers tr').count(), 2, 'the header and the one worker found');
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: new RegExp(surname) }).click()]);
  assert.match(await page.textContent('#person'), new RegExp(escape(good)));
  const form = page.locator('.dismiss-form').first();
  await form.getByLabel('Дата увольнения').fill('2026-10-31');
  await Promise.all([page.waitForNavigation(), form.getByRole('button', { name: 'Уволить' }).click()]);
  assert.match(await page.textContent('#cards'), /31\.10\.2026/);
});

test('support: «Сообщить о проблеме» on an error page, the help centre finds the article, a member files a request with a screenshot and sees its topic', async (page) => {
  await page.context().clearCookies();
  const denied = await page.goto(base + '/cabinet/support/queue');
  assert.equal(denied.status(), 401);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Сообщить о проблеме' }).click()]);
  assert.match(await page.textContent('main'), /Ошибка NOT_SIGNED_IN, запрос \S+, страница \/cabinet\/support\/queue/);
  await page.goto(base + '/support?q=' + encodeURIComponent('ошибка ESIA-007053'));
  await Promise.all([page.waitForNavigation(), page.locator('#articles a').first().click()]);
  assert.match(await page.textContent('#article h1'), /ESIA-007053/);
  assert.match(await page.textContent('#article'), /Редакция \d+ от/);

  await signInThroughEsia(page, 'Войти как Мария Иванова');
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Поддержка' }).click()]);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Новое обращение' }).click()]);
  await page.getByLabel('Что случилось').fill('При входе через Госуслуги ошибка ESIA-007053, не пускает в кабинет');
  const fixtures = path.join(path.dirname(new URL(import.meta.url).pathname), '../../crates');
  await page.getByLabel(/Снимки экрана/).setInputFiles(path.join(fixtures, 'frmo-domain/tests/fixtures/documents/scan.png'));
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Отправить обращение' }).click()]);
  assert.match(await page.textContent('h1'), /Обращение ОБ-\d{4}-\d{6}/);
  assert.match(await page.textContent('#support-topic'), /Доступ и вход/);
  assert.match(await page.textContent('#support-status'), /новое/);
  assert.match(await page.textContent('main'), /scan\.png/);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Поддержка' }).click()]);
  assert.match(await page.textContent('#support-requests'), /Доступ и вход/);
});

test('reports: the region\'s operator opens a report, changes the period, downloads XLSX and PDF', async (page) => {
  await page.context().clearCookies();
  await page.goto(base + '/login');
  await page.getByText('Вход по учётной записи реестра').click();
  await page.getByLabel('Логин').fill('op63');
  await page.getByLabel('Пароль').fill(process.env.FRMO_E2E_OPERATOR_PASSWORD ?? 'operator-63-password');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Войти' }).click()]);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Отчёты' }).click()]);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Медицинские организации' }).click()]);
  assert.equal(new URL(page.url()).pathname, '/cabinet/reports/organizations');
  const table = page.locator('#report-table');
  assert.match(await table.textContent(), /63 Самарская область/);
  assert.doesNotMatch(await table.textContent(), /77 Москва/, 'only the operator\'s region');
  assert.equal(await page.locator('#report-chart svg[role="img"]').count(), 1, 'a chart');
  assert.match(await page.locator('#report-chart figcaption').textContent(), /Диаграмма/, 'with its text alternative');

  // Another period: the year 2020.
  await page.getByLabel('Вид периода').selectOption({ label: 'год' });
  await page.getByLabel('Год').fill('2020');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Показать' }).click()]);
  assert.match(await page.locator('#report-table caption').textContent(), /2020 год/);
  assert.match(await page.locator('#report-meta').textContent(), /Период: 2020 год/);
  const atEnd = (await page.locator('#report-table tfoot td').last().textContent()).trim();

  for (const [link, magic, name] of [['#download-xlsx', 'PK', 'organizations-2020.xlsx'], ['#download-pdf', '%PDF', 'organizations-2020.pdf']]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(link).click()]);
    assert.equal(download.suggestedFilename(), name);
    const file = await download.path();
    const bytes = fs.readFileSync(file);
    assert.equal(bytes.subarray(0, magic.length).toString('latin1'), magic, `${name} is what it says`);
    if (name.endsWith('.pdf')) {
      // The PDF's text stream is compressed; its size says it is more than an empty page.
      assert.ok(bytes.length > 2000, `${name}: ${bytes.length} bytes`);
    }
  }
  // The same total through the API (the page and the files are built from one report).
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const api = await (await fetch(base + '/api/v1/reports/organizations?period=2020&group=region', { headers: { cookie } })).json();
  assert.equal(String(api.totals[4]), atEnd);
});

// Keyboard-only walks, then the accessibility and layout sweep of every page (the walks leave a
// request, a document and a worker to sweep), then the operator decides the request by keyboard.
const shared = { test: (name, body) => test(name, body, { jsOnly: true }), base, oid: REAVIZ.oid, signIn, password, snils,
  fixtures: path.join(path.dirname(new URL(import.meta.url).pathname), '../../crates') };
keyboardTests(shared);
a11yTests(shared);
menuTests(shared);
keyboardDecisionTest(shared);

for (const javaScriptEnabled of [true, false]) {
  const context = await browser.newContext({ javaScriptEnabled, locale: 'ru-RU' });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  for (const { name, body } of tests.filter((t) => javaScriptEnabled || !t.jsOnly)) {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    page.on('console', (message) => { if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) errors.push(`console error: ${message.text()}`); });
    await check(`${name}${javaScriptEnabled ? '' : ' (без JavaScript)'}`, async () => {
      await body(page);
      assert.deepEqual(errors, [], 'no errors in the page');
    }, async (n) => {
      const file = path.join(shots, `failure-${n}-${javaScriptEnabled ? 'js' : 'nojs'}.png`);
      const ok = await page.screenshot({ path: file, fullPage: true }).then(() => true, () => false);
      return `\n     page: ${page.url()}${ok ? `\n     screenshot: ${file}` : ''}`;
    });
    await page.close();
  }
  await context.close();
}
await browser.close();

if (failed) {
  console.error(`${failed} browser test(s) failed against ${base}`);
  process.exit(1);
}
console.log(`all ${2 + tests.length * 2 - tests.filter((t) => t.jsOnly).length} browser tests passed against ${base}`);
