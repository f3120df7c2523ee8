// The API's own reference: the OpenAPI document at /api/v1/openapi.json for tokens, and a
// page in the console drawn from it that loads nothing from anywhere else. No engine needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startConsole, launchBrowser, createFirstAdmin, flotillaCli } from './support.mjs';

let console_;
let browser;
let page;
let viewer;

before(async () => {
  console_ = await startConsole();
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on('pageerror', (err) => { throw new Error(`page error: ${err.message}`); });
  await createFirstAdmin(page, console_.url, 'admin', 'admin password');
  viewer = flotillaCli(console_, ['token', 'create', 'reader', '--role', 'viewer']).trim();
});

after(async () => {
  await browser?.close();
  await console_?.stop();
});

test('the document is OpenAPI 3.1, for a token only, and lists every route the access table has', async () => {
  assert.equal((await fetch(`${console_.url}/api/v1/openapi.json`)).status, 401);
  const response = await fetch(`${console_.url}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${viewer}` } });
  assert.equal(response.status, 200);
  const doc = await response.json();
  assert.match(doc.openapi, /^3\.1\./);
  const documented = new Set(Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)));
  const routes = JSON.parse(flotillaCli(console_, ['endpoints'])).filter((e) => e.path.startsWith('/api/v1/')).map((e) => `${e.method} ${e.path}`);
  assert.deepEqual([...documented].sort(), [...routes].sort());
});

test('the reference page shows every operation and schema, and asks nothing of another origin', async () => {
  const elsewhere = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(console_.url) && !request.url().startsWith('data:')) elsewhere.push(request.url());
  });
  await page.goto(`${console_.url}/docs/api`, { waitUntil: 'networkidle' });
  const doc = await (await fetch(`${console_.url}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${viewer}` } })).json();
  const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  await page.waitForSelector('#operations article.operation');
  assert.equal(await page.locator('article.operation').count(), operations);
  assert.equal(await page.locator('article.schema').count(), Object.keys(doc.components.schemas).length);
  assert.match(await page.getAttribute('#api-version', 'data-openapi'), /^3\.1\./);
  // The deploy operation links its body to the schema, whose fields are listed.
  const deploy = page.locator('article.operation[data-method="PUT"][data-path="/api/v1/swarms/{swarm}/stacks/{stack}"]');
  await deploy.locator('a[href="#schema-StackInput"]').click();
  for (const field of ['compose', 'env', 'files', 'prune', 'resolve_image']) {
    assert.equal(await page.locator(`#schema-StackInput tr.field[data-field="${field}"]`).count(), 1, field);
  }
  assert.deepEqual(elsewhere, []);
});
