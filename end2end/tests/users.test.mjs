// Users and tokens from the console, in a real browser: an admin adds an operator (who logs in
// in another browser context as one), resets its password, disables it (its open session
// ends, its login is refused) and enables it again; the last admin cannot be demoted or
// disabled; a token with an expiry is shown once, works against /api/v1 and dies when
// revoked; every change is in the audit log, without a password or a token. No engine needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startConsole, launchBrowser, createFirstAdmin, artifacts, eventually } from './support.mjs';

const ADMIN = 'root';
const ADMIN_PASSWORD = 'root password';
const OPERATOR = 'olivia';
const FIRST_PASSWORD = 'olivia first password';
const SECOND_PASSWORD = 'olivia second password';
let console_;
let browser;
let admin;
let operatorContext;
let operator;
let tokenText;

/** A server function called with `page`'s cookies, as its own pages would. */
async function callAs(page, path, form = {}) {
  const response = await page.request.post(`${console_.url}/api/${path}`, {
    form, headers: { origin: console_.url }, failOnStatusCode: false, maxRedirects: 0,
  });
  return { status: response.status(), json: () => response.json(), text: () => response.text() };
}
const row = (name) => `tr.user[data-name="${name}"]`;

/** Logs in on `page` through the login form; resolves on the home page or with the error shown. */
async function logIn(page, name, password, { expectOk = true } = {}) {
  await page.goto(`${console_.url}/login`, { waitUntil: 'networkidle' });
  await page.fill('#login-form input[name=name]', name);
  await page.fill('#login-form input[name=password]', password);
  if (expectOk) {
    await Promise.all([page.waitForURL(`${console_.url}/`), page.click('#login-form button[type=submit]')]);
  } else {
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#form-error');
    assert.match(await page.textContent('#form-error'), /wrong user name or password/);
    assert.ok(page.url().endsWith('/login'), page.url());
  }
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  console_ = await startConsole();
  browser = await launchBrowser();
  admin = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  admin.on('pageerror', (err) => { throw new Error(`page error: ${err.message}`); });
  await createFirstAdmin(admin, console_.url, ADMIN, ADMIN_PASSWORD);
  operatorContext = await browser.newContext();
  operator = await operatorContext.newPage();
});

after(async () => {
  if (admin) await admin.screenshot({ path: join(artifacts, 'users-last.png'), fullPage: true }).catch(() => {});
  await browser?.close();
  await console_?.stop();
});

test('an admin adds an operator from the users page, who logs in as an operator', async () => {
  await admin.goto(`${console_.url}/users`, { waitUntil: 'networkidle' });
  assert.ok(await admin.$(`${row(ADMIN)}[data-role=admin][data-disabled=false]`), 'the admin is listed');
  // A short password is refused with its reason, and nobody is added.
  await admin.fill('#user-name', OPERATOR);
  await admin.fill('#user-password', 'short');
  await admin.selectOption('#user-role', 'operator');
  await admin.evaluate(() => document.querySelector('#user-password').removeAttribute('minlength'));
  await admin.click('#add-user');
  await admin.waitForSelector('#user-error');
  assert.match(await admin.textContent('#user-error'), /password: at least 8 characters/);
  assert.equal(await admin.$(row(OPERATOR)), null);

  await admin.fill('#user-password', FIRST_PASSWORD);
  await admin.click('#add-user');
  await admin.waitForSelector(`${row(OPERATOR)}[data-role=operator][data-disabled=false]`);
  assert.match(await admin.textContent('#user-done'), /added operator olivia/);

  await logIn(operator, OPERATOR, FIRST_PASSWORD);
  assert.equal((await callAs(operator, 'swarms/list')).status, 200);
  const refused = await callAs(operator, 'users/list');
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).message, /olivia is a operator; this needs admin/);
  await operator.goto(`${console_.url}/users`, { waitUntil: 'networkidle' });
  assert.match(await operator.textContent('#users-load-error'), /this needs admin/);
});

test('a new password ends the sessions; the old one stops working and the new one works', async () => {
  await admin.fill(`${row(OPERATOR)} input.new-password`, SECOND_PASSWORD);
  await admin.click(`${row(OPERATOR)} button.reset-password`);
  await admin.waitForSelector('#user-done:has-text("password of olivia reset")');
  assert.equal((await callAs(operator, 'swarms/list')).status, 401, 'the open session ended');
  await logIn(operator, OPERATOR, FIRST_PASSWORD, { expectOk: false });
  await logIn(operator, OPERATOR, SECOND_PASSWORD);
  assert.equal((await callAs(operator, 'swarms/list')).status, 200);
});

test('disabling ends the open session and refuses the login; enabling lets the user back in', async () => {
  await admin.click(`${row(OPERATOR)} button.disable-user`);
  await admin.waitForSelector(`${row(OPERATOR)}[data-disabled=true]`);
  assert.equal((await callAs(operator, 'swarms/list')).status, 401, 'the open session ended');
  await operator.goto(`${console_.url}/`);
  assert.ok(operator.url().endsWith('/login'), operator.url());
  await logIn(operator, OPERATOR, SECOND_PASSWORD, { expectOk: false });

  await admin.click(`${row(OPERATOR)} button.enable-user`);
  await admin.waitForSelector(`${row(OPERATOR)}[data-disabled=false]`);
  await logIn(operator, OPERATOR, SECOND_PASSWORD);
  // And its role changes from the row's menu.
  await admin.selectOption(`${row(OPERATOR)} select.user-role`, 'viewer');
  await admin.waitForSelector(`${row(OPERATOR)}[data-role=viewer]`);
  const write = await callAs(operator, 'swarms/init', { name: 'x', host: 'h', advertise_addr: '' });
  assert.equal(write.status, 403, 'a viewer now, at once');
});

test('the last enabled admin can be neither demoted nor disabled', async () => {
  await admin.selectOption(`${row(ADMIN)} select.user-role`, 'operator');
  await admin.waitForSelector('#user-error');
  assert.match(await admin.textContent('#user-error'), /`root` is the last enabled admin/);
  await admin.reload({ waitUntil: 'networkidle' });
  assert.ok(await admin.$(`${row(ADMIN)}[data-role=admin][data-disabled=false]`), 'still an admin');
  await admin.click(`${row(ADMIN)} button.disable-user`);
  await admin.waitForSelector('#user-error');
  assert.match(await admin.textContent('#user-error'), /`root` is the last enabled admin/);
  assert.ok(await admin.$(`${row(ADMIN)}[data-disabled=false]`));
  // Scripts get the same answer, and the admin's own session still works.
  const demote = await callAs(admin, 'users/role', { name: ADMIN, role: 'viewer' });
  assert.equal(demote.status, 409);
  assert.equal((await demote.json()).code, 'conflict');
  const disable = await callAs(admin, 'users/disable', { name: ADMIN });
  assert.equal(disable.status, 409);
  assert.equal((await callAs(admin, 'users/list')).status, 200);
  // Beside the last admin, another admin may come and go.
  assert.equal((await callAs(admin, 'users/role', { name: OPERATOR, role: 'admin' })).status, 200);
  assert.equal((await callAs(admin, 'users/role', { name: OPERATOR, role: 'operator' })).status, 200);
});

test('a token with an expiry is shown once, works with its role, and stops when revoked', async () => {
  await admin.goto(`${console_.url}/users`, { waitUntil: 'networkidle' });
  await admin.fill('#token-name', 'ci-deploy');
  await admin.selectOption('#token-role', 'operator');
  await admin.fill('#token-expiry-days', '30');
  await admin.click('#create-token');
  await admin.waitForSelector('#token-secret');
  tokenText = await admin.getAttribute('#token-secret', 'data-token');
  assert.match(tokenText, /^flt_[0-9a-f]{64}$/);
  const listed = admin.locator('tr.token[data-name="ci-deploy"]');
  await listed.waitFor();
  assert.equal(await listed.getAttribute('data-role'), 'operator');
  const expires = await listed.locator('.expires').textContent();
  const inThirtyDays = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  assert.ok(expires.startsWith(inThirtyDays) || expires.includes('UTC'), expires);
  assert.notEqual(expires, 'never');

  const api = (token) => fetch(`${console_.url}/api/v1/swarms`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await api(tokenText)).status, 200);
  assert.equal((await fetch(`${console_.url}/api/swarms/init`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokenText}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name: 'x', host: 'h', advertise_addr: '' }),
  })).status, 403, 'an operator token cannot do what needs an admin');

  // Shown once: the page and the list never show it again.
  await admin.reload({ waitUntil: 'networkidle' });
  assert.ok(!(await admin.content()).includes(tokenText), 'the token text is not on the page again');
  const tokens = await (await callAs(admin, 'tokens/list')).text();
  assert.ok(tokens.includes('ci-deploy') && !tokens.includes(tokenText), tokens);

  // Bounded input: the name is taken, and the expiry is 1 to 3650 days or none.
  const taken = await callAs(admin, 'tokens/create', { name: 'ci-deploy', role: 'viewer', expiry_days: '' });
  assert.equal(taken.status, 409);
  for (const days of ['0', '3651', 'soon', '-1']) {
    const bad = await callAs(admin, 'tokens/create', { name: 'other', role: 'viewer', expiry_days: days });
    assert.equal(bad.status, 422, days);
    assert.match((await bad.json()).message, /1 to 3650/, days);
  }
  await admin.fill('#token-name', 'bad name!');
  await admin.click('#create-token');
  await admin.waitForSelector('#token-error');
  assert.match(await admin.textContent('#token-error'), /token name/);

  await admin.click('tr.token[data-name="ci-deploy"] button.revoke-token');
  await admin.waitForSelector('tr.token[data-name="ci-deploy"]', { state: 'detached' });
  await admin.waitForSelector('#token-done');
  await eventually(async () => assert.equal((await api(tokenText)).status, 401), { timeoutMs: 5_000 });
});

test('every change is in the audit log, without a password or a token', async () => {
  const response = await callAs(admin, 'audit/list', { actor: ADMIN, action: '', outcome: '' });
  assert.equal(response.status, 200);
  const rows = await response.json();
  const seen = (action, outcome, target) => rows.some((r) => r.action === action && r.outcome === outcome && r.target === target);
  for (const [action, outcome, target] of [
    ['user.add', 'ok', OPERATOR],
    ['user.reset-password', 'ok', OPERATOR],
    ['user.disable', 'ok', OPERATOR],
    ['user.enable', 'ok', OPERATOR],
    ['user.role', 'ok', OPERATOR],
    ['user.role', 'error', ADMIN],
    ['user.disable', 'error', ADMIN],
    ['token.create', 'ok', 'ci-deploy'],
    ['token.create', 'error', 'ci-deploy'],
    ['token.revoke', 'ok', 'ci-deploy'],
  ]) {
    assert.ok(seen(action, outcome, target), `${action} ${outcome} ${target} is audited`);
  }
  const refusal = rows.find((r) => r.action === 'user.disable' && r.target === ADMIN);
  assert.match(refusal.error, /last enabled admin/);
  const created = rows.find((r) => r.action === 'token.create' && r.outcome === 'ok');
  assert.deepEqual(JSON.parse(created.request), { name: 'ci-deploy', role: 'operator', expires_in_days: 30 });
  const text = JSON.stringify(rows);
  for (const secret of [FIRST_PASSWORD, SECOND_PASSWORD, ADMIN_PASSWORD, tokenText]) {
    assert.ok(!text.includes(secret), `${secret} is not in the audit log`);
  }
});
