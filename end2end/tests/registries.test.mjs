// Private images from the browser on a real three-node swarm and a real registry (Debian's
// docker-registry with a login, on the sandbox's bridge): the registry saved only after an
// engine logs in, a private image planned with its digest and run on every node, a push of a
// new build redeploying the stack that follows its tag through the registry's own
// notification, and a password changed at the registry refusing the deploy with the swarm
// unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Sandbox, startConsole, launchBrowser, eventually, artifacts, createFirstAdmin, flotillaCli, clickUntil,
} from './support.mjs';

const sandbox = new Sandbox('fltrge', '10.234.0', 3, { registry: true });
const USER = 'ci';
const PASSWORD = 'registry password';
const image = `${sandbox.registry}/shop/app:1`;
let console_;
let browser;
let page;
let admin;
let login;

const api = (path, init = {}) => fetch(`${console_.url}/api/v1${path}`, {
  ...init, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', ...init.headers },
});
const inspect = (service, format) => sandbox.docker(1, 'service', 'inspect', service, '--format', format).trim();
/** The digest node 1 pushed `ref` as. */
const pushedDigest = (ref) => {
  const digests = JSON.parse(sandbox.docker(1, 'image', 'inspect', '--format', '{{json .RepoDigests}}', ref));
  const name = ref.slice(0, ref.lastIndexOf(':'));
  return digests.find((d) => d.startsWith(`${name}@`)).split('@')[1];
};
/** A new build of the tag, pushed from node 1 (a file added, so a new digest). */
const pushBuild = (n) => {
  sandbox.docker(1, 'run', '--name', `build${n}`, 'local/busybox:1', 'sh', '-c', `echo ${n} > /build`);
  sandbox.docker(1, 'commit', `build${n}`, image);
  sandbox.dockerAs(login, 1, '', 'push', image);
  return pushedDigest(image);
};
const stack = `services:
  app:
    image: ${image}
    command: ["sleep", "3600"]
    deploy:
      mode: global
`;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  sandbox.up();
  sandbox.formSwarm();
  sandbox.registryUp({ user: USER, password: PASSWORD });
  login = mkdtempSync(join(tmpdir(), 'flotilla-e2e-login-'));
  sandbox.dockerAs(login, 1, PASSWORD, 'login', sandbox.registry, '-u', USER, '--password-stdin');
  pushBuild(0);
  console_ = await startConsole({ captureLog: true });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (err) => { throw new Error(`page error: ${err.message}`); });
  await createFirstAdmin(page, console_.url, 'admin', 'admin password');
  admin = flotillaCli(console_, ['token', 'create', 'setup', '--role', 'admin']).trim();
  const adopted = await api('/swarms', { method: 'POST', body: JSON.stringify({ name: 'prod', manager: sandbox.socket(1) }) });
  assert.equal(adopted.status, 201, await adopted.text());
});

after(async () => {
  if (page) await page.screenshot({ path: join(artifacts, 'registries-last.png'), fullPage: true }).catch(() => {});
  await browser?.close();
  await console_?.stop();
  sandbox.registryDown();
  sandbox.down();
  if (login) rmSync(login, { recursive: true, force: true });
});

test('a registry is saved only once an engine has logged in with its credentials, and its password never comes back', async () => {
  await page.goto(`${console_.url}/registries`, { waitUntil: 'networkidle' });
  await page.fill('#registry-form input[name=address]', sandbox.registry);
  await page.fill('#registry-form input[name=username]', USER);
  await page.fill('#registry-form input[name=password]', 'not the password');
  await page.click('#registry-form button[type=submit]');
  await page.waitForSelector('#registry-error', { timeout: 20_000 });
  assert.match(await page.textContent('#registry-error'), /refused the login/);
  assert.equal(await page.locator('.registry-row').count(), 0);

  await page.fill('#registry-form input[name=password]', PASSWORD);
  await page.click('#registry-form button[type=submit]');
  await page.waitForSelector('#registry-saved', { timeout: 20_000 });
  await page.waitForSelector(`.registry-row[data-address="${sandbox.registry}"]`);
  const listed = await (await api('/registries')).text();
  assert.ok(listed.includes(sandbox.registry) && !listed.includes(PASSWORD), listed);
});

test('a private image is planned with its digest, deployed from the editor, and runs on all three nodes', async () => {
  const digest = pushedDigest(image);
  await page.goto(`${console_.url}/swarms/prod/stacks/new`, { waitUntil: 'networkidle' });
  await page.fill('#stack-name-input', 'shop');
  await page.fill('#compose', stack);
  await page.waitForSelector('#validation[data-valid=true]');
  await clickUntil(page, '#plan', () => page.waitForSelector('#plan-result', { timeout: 1_000 }));
  const planned = page.locator('.image-row[data-service=shop_app]');
  assert.equal(await planned.getAttribute('data-digest'), digest);
  await page.click('#deploy');
  await page.waitForSelector('#deploy-done', { timeout: 30_000 });
  assert.equal(inspect('shop_app', '{{.Spec.TaskTemplate.ContainerSpec.Image}}'), `${image}@${digest}`);
  await eventually(() => {
    const tasks = sandbox.docker(1, 'service', 'ps', 'shop_app', '--no-trunc', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}').trim().split('\n');
    assert.equal(tasks.filter((t) => t.includes('Running')).length, 3, tasks.join('\n'));
  });
  // The stack page's images: pinned, the same digest on each node.
  await page.goto(`${console_.url}/swarms/prod/stacks/shop`, { waitUntil: 'networkidle' });
  const row = page.locator('.image-service[data-service=shop_app]');
  await eventually(async () => assert.equal(await row.getAttribute('data-digest'), digest));
  const nodes = await row.locator('.image-nodes').textContent();
  for (const node of ['node1', 'node2', 'node3']) assert.ok(nodes.includes(node), nodes);
});

test('a push of a new build redeploys the stack that follows its tag, through the registry\'s own notification, within 2 s', async () => {
  await page.goto(`${console_.url}/registries`, { waitUntil: 'networkidle' });
  await clickUntil(page, `.registry-row[data-address="${sandbox.registry}"] button.hook`, () => page.waitForSelector('#registry-hook-url', { timeout: 1_000 }));
  const url = await page.getAttribute('#registry-hook-url', 'data-url');
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/hooks\/registry\/flth_[0-9a-f]+$/);
  sandbox.registryUp({ user: USER, password: PASSWORD, notify: url });

  await page.goto(`${console_.url}/swarms/prod/stacks/shop`, { waitUntil: 'networkidle' });
  await clickUntil(page, '#push-redeploy-stack', async () => assert.ok(await page.isChecked('#push-redeploy-stack')));
  await eventually(async () => assert.ok(await page.locator('.image-service[data-service=shop_app] .push-redeploy').isChecked()));

  const before = inspect('shop_app', '{{.Spec.TaskTemplate.ContainerSpec.Image}}');
  const digest = pushBuild(1);
  const pushed = Date.now();
  await eventually(
    () => assert.equal(inspect('shop_app', '{{.Spec.TaskTemplate.ContainerSpec.Image}}'), `${image}@${digest}`),
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  const took = Date.now() - pushed;
  console.log(`push → service updated in ${took} ms (was ${before})`);
  assert.ok(took <= 2_000, `took ${took} ms`);
  const versions = await (await api('/swarms/prod/stacks/shop/versions')).json();
  assert.match(versions[0].note, new RegExp(`redeployed on push of ${image.replace(/[.]/g, '\\.')} \\(${digest}\\)`));
  await page.goto(`${console_.url}/audit`, { waitUntil: 'networkidle' });
  await page.waitForSelector('.audit-row[data-action="service.redeploy-on-push"]');
  assert.match(await page.textContent('.audit-row[data-action="service.redeploy-on-push"] .actor'), /^registry:/);

  // A forged call: a wrong token is not found, and changes nothing.
  const forged = await fetch(`${console_.url}/hooks/registry/flth_forged`, { method: 'POST', body: '{"events":[]}' });
  assert.equal(forged.status, 404);
  assert.equal(inspect('shop_app', '{{.Spec.TaskTemplate.ContainerSpec.Image}}'), `${image}@${digest}`);
});

test('a password changed at the registry refuses the deploy, naming the registry and the image, with the swarm unchanged', async () => {
  sandbox.registryUp({ user: USER, password: 'a new password' });
  const index = inspect('shop_app', '{{.Version.Index}}');
  await page.goto(`${console_.url}/swarms/prod/stacks/new`, { waitUntil: 'networkidle' });
  await page.fill('#stack-name-input', 'shop');
  await page.fill('#compose', stack.replace('command: ["sleep", "3600"]', 'command: ["sleep", "7200"]'));
  await page.waitForSelector('#validation[data-valid=true]');
  await clickUntil(page, '#plan', () => page.waitForSelector('#plan-result', { timeout: 1_000 }));
  const problem = await page.textContent('#plan-result .problems');
  assert.match(problem, new RegExp(`registry ${sandbox.registry.replace(/[.]/g, '\\.')} refused image ${image.replace(/[.]/g, '\\.')}`));
  assert.ok(await page.isDisabled('#deploy'));
  const refused = await api('/swarms/prod/stacks/shop', { method: 'PUT', body: JSON.stringify({ compose: stack.replace('3600', '7200') }) });
  const answer = await refused.text();
  assert.equal(refused.status, 409, answer);
  assert.match(answer, /refused image/);
  assert.equal(inspect('shop_app', '{{.Version.Index}}'), index);
});
