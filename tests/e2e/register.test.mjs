// Browser tests of the public register: a visitor searches the demo register and opens a card.
// Plain Node + playwright-core + Debian chromium; FRMO_BASE_URL points at a running `frmo serve --demo`.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';

const base = process.env.FRMO_BASE_URL;
const shots = process.env.FRMO_SCREENSHOTS ?? '/tmp';
assert.ok(base, 'FRMO_BASE_URL is not set');

const REAVIZ = { oid: '1.2.643.5.1.13.13.12.2.78.6258', inn: '6317006620', ogrn: '1026301420716', name: 'Медицинский Университет «Реавиз»' };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const tests = [];
const test = (name, body) => tests.push({ name, body });

/** Searches from the home page the way a person does: type, press the button. */
async function searchFor(page, text) {
  await page.goto(base + '/');
  await page.getByLabel('Поиск').fill(text);
  await page.getByRole('button', { name: 'Найти' }).click();
  await page.waitForLoadState('domcontentloaded');
}

test('an inflected word of the name finds the organization, and its card opens', async (page) => {
  await searchFor(page, 'университета');
  const link = page.getByRole('link', { name: REAVIZ.name });
  await link.first().click();
  await page.waitForURL(`**/organizations/${REAVIZ.oid}`);
  assert.equal(await page.locator('h1').innerText(), REAVIZ.name);
  const requisites = await page.locator('table').first().innerText();
  assert.match(requisites, new RegExp(`ИНН\\s+${REAVIZ.inn}`));
  assert.match(requisites, new RegExp(`ОГРН\\s+${REAVIZ.ogrn}`));
  assert.match(requisites, /КПП\s+631501001/);
  for (const heading of ['Структура', 'Здания', 'Лицензии']) {
    assert.equal(await page.getByRole('heading', { name: heading }).count(), 1, heading);
  }
});

test('ИНН and ОГРН find the organization first', async (page) => {
  for (const id of [REAVIZ.inn, REAVIZ.ogrn, REAVIZ.oid]) {
    await searchFor(page, id);
    const first = page.locator('ol.results li a').first();
    assert.equal(await first.innerText(), REAVIZ.name, id);
  }
});

test('a region filter narrows the results', async (page) => {
  await page.goto(base + '/');
  await page.getByLabel('Поиск').fill('больница');
  await page.getByLabel('Регион').selectOption('77');
  await page.getByRole('button', { name: 'Найти' }).click();
  await page.waitForLoadState('domcontentloaded');
  const metas = await page.locator('ol.results li .meta').allInnerTexts();
  assert.ok(metas.length > 0, 'hospitals in Moscow');
  for (const meta of metas.filter((m) => m.includes('ИНН'))) assert.match(meta, /г\. Москва/);
});

test('a wrong ИНН is explained next to the form', async (page) => {
  const response = await page.goto(base + '/?inn=6317006621');
  assert.equal(response.status(), 400);
  assert.match(await page.getByRole('alert').innerText(), /ИНН: неверное контрольное число/);
});

test('the card can be shown as of a past date', async (page) => {
  await page.goto(`${base}/organizations/${REAVIZ.oid}`);
  await page.getByLabel('Карточка на дату').fill('2010-06-01');
  await page.getByRole('button', { name: 'Показать' }).click();
  await page.waitForURL(/as_of=2010-06-01/);
  assert.match(await page.locator('main').innerText(), /Состояние на 01\.06\.2010/);
});

let failed = 0;
for (const javaScriptEnabled of [true, false]) {
  const context = await browser.newContext({ javaScriptEnabled, locale: 'ru-RU' });
  for (const { name, body } of tests) {
    const page = await context.newPage();
    const label = `${name}${javaScriptEnabled ? '' : ' (без JavaScript)'}`;
    try {
      await body(page);
      console.log(`ok   ${label}`);
    } catch (error) {
      failed++;
      const file = path.join(shots, `failure-${failed}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.error(`FAIL ${label}\n     ${error.message}\n     screenshot: ${file}`);
    } finally {
      await page.close();
    }
  }
  await context.close();
}
await browser.close();
if (failed) {
  console.error(`${failed} browser test(s) failed`);
  process.exit(1);
}
console.log(`all ${tests.length * 2} browser tests passed`);
