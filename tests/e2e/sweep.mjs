// The accessibility and layout sweep (issue #20, items 4 and 8): every page of pages.json, public and
// of the cabinet for each role, and every form in its error state, is checked at 1366 and 390 px:
// axe-core finds no violation of any impact, and the page does not scroll sideways.
// axe-core comes from npm (package-lock.json) and is evaluated in the page: no CDN.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const pageList = JSON.parse(fs.readFileSync(new URL('./pages.json', import.meta.url), 'utf8'));
export const WIDTHS = [1366, 390];

/** What is wrong with the page as it is now, at each width: axe's violations and sideways scroll. */
export async function problemsOf(page, label) {
  const problems = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    const { scroll, viewport } = await page.evaluate(() => ({
      scroll: document.scrollingElement.scrollWidth,
      viewport: window.innerWidth,
    }));
    if (scroll > viewport) problems.push(`${label} at ${width} px: ${scroll} px wide (scrolls sideways)`);
    if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}${n.failureSummary ? ` — ${n.failureSummary.split('\n').slice(1, 2).join(' ').trim()}` : ''}`),
        count: v.nodes.length,
      }));
    });
    for (const v of violations) {
      problems.push(`${label} at ${width} px: axe ${v.id} (${v.impact}, ${v.count}×) ${v.help}\n       ${v.nodes.join('\n       ')}`);
    }
  }
  return problems;
}

/** Opens a path and returns its problems, with an unexpected HTTP status among them. */
export async function visit(page, base, url, status = 200) {
  const response = await page.goto(base + url);
  const problems = [];
  if (response.status() !== status) problems.push(`${url}: HTTP ${response.status()}, expected ${status}`);
  return problems.concat(await problemsOf(page, url));
}

/** The path of a page of the list: `{oid}` filled in, or the first link matching `via` followed. */
export async function resolve(page, base, entry, oid) {
  const fill = (p) => p.replaceAll('{oid}', oid);
  if (entry.path && !entry.via) return fill(entry.path);
  if (!entry.via) return fill(entry.route);
  const [from, selector] = entry.via;
  // A listing page that is itself reached through a link (a worker's page for their edit form).
  const parent = pageList.cabinet.find((e) => e.route === from && e.via);
  const start = parent ? await resolve(page, base, parent, oid) : fill(from);
  if (!start) return null;
  await page.goto(base + start);
  const link = page.locator(selector).first();
  if (!(await link.count())) return null;
  const href = new URL(await link.getAttribute('href'), base + start);
  return href.pathname + href.search;
}

/** Keeps the site's language (`ru` or `en`) in the browser's cookie, as the header's switch does. */
export async function useLanguage(page, base, lang) {
  await page.context().addCookies([{ name: 'frmo_lang', value: lang, url: base }]);
}

/** Sweeps the public pages (in `lang`); every problem found is reported at once. */
export async function sweepPublic(page, base, oid, lang = 'ru') {
  await page.context().clearCookies();
  await useLanguage(page, base, lang);
  let problems = [];
  for (const entry of pageList.public) {
    const url = await resolve(page, base, entry, oid);
    if (!url) {
      if (!entry.optional) problems.push(`${entry.path}: no link ${entry.via[1]} on ${entry.via[0]}`);
      continue;
    }
    problems = problems.concat(await visit(page, base, url, entry.status ?? 200));
  }
  return problems;
}

/** Sweeps the cabinet's pages of one role (already signed in). */
export async function sweepRole(page, base, oid, role) {
  let problems = [];
  for (const entry of pageList.cabinet.filter((e) => e.roles.includes(role))) {
    if (entry.before) {
      await page.goto(base + entry.before[0].replaceAll('{oid}', oid));
      await Promise.all([page.waitForNavigation(), page.locator(entry.before[1]).first().click()]);
    }
    const url = await resolve(page, base, entry, oid);
    if (!url) {
      problems.push(`${entry.route} (${role}): no link ${entry.via[1]} on ${entry.via[0]}`);
      continue;
    }
    problems = problems.concat(await visit(page, base, url, entry.status ?? 200));
  }
  return problems;
}

export function assertNone(problems) {
  if (problems.length) assert.fail(`${problems.length} problem(s):\n${problems.join('\n')}`);
}
