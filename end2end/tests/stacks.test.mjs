// Stacks from the browser on a real three-node swarm, in headless Chromium: the editor checks
// the file as it is typed without asking the server, a plan comes before anything changes,
// the deploy is watched until it converges, replicas go from 2 to 6, a bad image is rolled
// back in one click, and the automation API deploys the same way. The docker CLI is the
// reference for what the swarm really runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clickUntil, Sandbox, startConsole, launchBrowser, eventually, artifacts, createFirstAdmin, flotillaCli, serverBin, newDataDir } from './support.mjs';

const sandbox = new Sandbox('fltste', '10.222.0', 3);
let console_;
let browser;
let page;
let operatorToken;

const api = (path, init = {}) => fetch(`${console_.url}/api/v1${path}`, {
  ...init, headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json', ...init.headers },
});

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  sandbox.up();
  sandbox.formSwarm();
  console_ = await startConsole();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (err) => { throw new Error(`page error: ${err.message}`); });
  await createFirstAdmin(page, console_.url, 'admin', 'admin password');
  const admin = flotillaCli(console_, ['token', 'create', 'setup', '--role', 'admin']).trim();
  operatorToken = flotillaCli(console_, ['token', 'create', 'ci', '--role', 'operator']).trim();
  const adopted = await fetch(`${console_.url}/api/v1/swarms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'prod', manager: sandbox.socket(1) }),
  });
  assert.equal(adopted.status, 201, await adopted.text());
});

after(async () => {
  if (page) await page.screenshot({ path: join(artifacts, 'stacks-last.png'), fullPage: true }).catch(() => {});
  await browser?.close();
  await console_?.stop();
  sandbox.down();
});

/** `docker service ls` on the manager as sorted "name replicas image" lines. */
const serviceLs = () => sandbox.docker(1, 'service', 'ls', '--format', '{{.Name}} {{.Replicas}} {{.Image}}')
  .trim().split('\n').filter(Boolean).sort();
const everything = () => ['service', 'network', 'config', 'secret']
  .map((kind) => sandbox.docker(1, kind, 'ls', '--format', '{{.Name}}').trim()).join('\n');

const validation = async () => ({
  valid: await page.getAttribute('#validation', 'data-valid'),
  text: (await page.textContent('#validation')).trim(),
});

const shop = (replicas, image = 'local/busybox:1') => `services:
  web:
    image: ${image}
    command: ["sleep", "3600"]
    deploy:
      replicas: ${replicas}
    configs:
      - source: site
        target: /etc/site.conf
  worker:
    image: local/busybox:1
    command: ["sleep", "3600"]
    environment:
      - QUEUE=\${QUEUE:?set QUEUE}
configs:
  site:
    file: ./site.conf
`;

test('the editor checks the file as it is typed, in the browser', async () => {
  await page.goto(`${console_.url}/swarms/prod/stacks/new`, { waitUntil: 'networkidle' });
  await page.fill('#stack-name-input', 'shop');
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));

  // Variables are substituted first, as the CLI does: a missing one is the first error.
  await page.fill('#compose', shop('many'));
  await eventually(async () => assert.deepEqual(await validation(), {
    valid: 'false',
    text: 'line 14, column 9: services.worker.environment[0]: required variable QUEUE is missing a value: set QUEUE',
  }), { timeoutMs: 10_000 });
  await page.fill('#env', 'QUEUE=orders\n');
  await eventually(async () => assert.deepEqual(await validation(), {
    valid: 'false', text: 'line 17, column 11: configs.site.file: attach the file `./site.conf`',
  }), { timeoutMs: 10_000 });
  const siteConf = join(artifacts, 'site.conf');
  writeFileSync(siteConf, 'listen 80;\n');
  await page.setInputFiles('#files', siteConf);
  await eventually(async () => assert.deepEqual(await validation(), {
    valid: 'false', text: 'line 6, column 17: services.web.deploy.replicas: `many` is not an integer',
  }), { timeoutMs: 10_000 });
  // The browser runs the server's own check: a name swarm would refuse is refused here too.
  const long = 'w'.repeat(60);
  await page.fill('#compose', shop(2).replace('  worker:', `  ${long}:`));
  await eventually(async () => {
    const { valid, text } = await validation();
    assert.equal(valid, 'false');
    assert.match(text, new RegExp(`services\\.${long}: \`shop_${long}\` is longer than the 63 characters`));
  }, { timeoutMs: 10_000 });
  await page.fill('#compose', shop(2));
  await eventually(async () => assert.deepEqual(await validation(), { valid: 'true', text: 'Valid: 2 services.' }), { timeoutMs: 10_000 });
  assert.deepEqual(requests, [], 'validation must not ask the server');
  assert.deepEqual(serviceLs(), []);
});

test('a plan comes first and changes nothing; the deploy converges task by task', async () => {
  const before = everything();
  await clickUntil(page, '#plan', async () => assert.ok(await page.$('#plan-result')));
  const rows = await page.$$eval('tr.plan-row', (trs) => trs.map((tr) => [tr.dataset.kind, tr.dataset.name, tr.dataset.change]));
  assert.deepEqual(rows, [
    ['network', 'shop_default', 'create'],
    ['config', 'shop_site', 'create'],
    ['service', 'shop_web', 'create'],
    ['service', 'shop_worker', 'create'],
  ]);
  assert.equal(everything(), before, 'a plan changes nothing');

  const started = Date.now();
  await page.click('#deploy');
  await page.waitForSelector('#deploy-done', { timeout: 30_000 });
  await page.waitForSelector('#progress[data-converged=true]', { timeout: 60_000 });
  console.log(`deploy to converged in the browser: ${Date.now() - started} ms`);
  assert.deepEqual(serviceLs(), ['shop_web 2/2 local/busybox:1', 'shop_worker 1/1 local/busybox:1']);
  const env = sandbox.docker(1, 'service', 'inspect', 'shop_worker', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Env}}').trim();
  assert.equal(env, '["QUEUE=orders"]');
  const config = sandbox.docker(1, 'config', 'inspect', 'shop_site', '--format', '{{printf "%s" .Spec.Data}}');
  assert.equal(config.replace(/\n$/, ''), 'listen 80;\n', 'the attached file, byte for byte (the CLI adds a newline)');
  await page.screenshot({ path: join(artifacts, 'stack-deployed.png'), fullPage: true });
});

async function editAndDeploy(compose) {
  await page.goto(`${console_.url}/swarms/prod/stacks/shop`, { waitUntil: 'networkidle' });
  await clickUntil(page, '#edit-stack', async () => assert.ok(await page.$('#compose')));
  await eventually(async () => assert.equal((await validation()).valid, 'true'), { timeoutMs: 10_000 });
  await page.fill('#compose', compose);
  await eventually(async () => assert.equal((await validation()).valid, 'true'), { timeoutMs: 10_000 });
  await page.click('#plan');
  await page.waitForSelector('#plan-result', { timeout: 30_000 });
}

test('replicas go from 2 to 6: the plan names the one field, the deploy converges on 6', async () => {
  await editAndDeploy(shop(6));
  const fields = await page.$$eval('tr.plan-row[data-change=update] li.field', (lis) => lis.map((li) => li.textContent));
  assert.deepEqual(fields, ['Mode.Replicated.Replicas: 2 → 6']);
  assert.deepEqual(await page.$$eval('tr.plan-row[data-change=unchanged]', (trs) => trs.map((tr) => tr.dataset.name)),
    ['shop_default', 'shop_site', 'shop_worker']);
  await page.click('#deploy');
  await page.waitForSelector('#deploy-done', { timeout: 30_000 });
  await page.waitForSelector('tr.progress-row[data-service=shop_web][data-running="6"][data-converged=true]', { timeout: 60_000 });
  assert.deepEqual(serviceLs(), ['shop_web 6/6 local/busybox:1', 'shop_worker 1/1 local/busybox:1']);
  const nodes = new Set(sandbox.docker(1, 'service', 'ps', 'shop_web', '--filter', 'desired-state=running', '--format', '{{.Node}}').trim().split('\n'));
  assert.equal(nodes.size, 3, `6 replicas spread over the 3 nodes: ${[...nodes]}`);
});

test('a bad image shows its task errors and one click redeploys the good version', async () => {
  await editAndDeploy(shop(6, 'local/no-such-image:1'));
  await page.click('#deploy');
  await page.waitForSelector('#deploy-done', { timeout: 30_000 });
  await eventually(async () => {
    const error = await page.$eval('tr.progress-row[data-service=shop_web] td.task-error', (td) => td.textContent);
    assert.match(error, /rejected|failed/);
  }, { timeoutMs: 60_000 });

  await page.goto(`${console_.url}/swarms/prod/stacks/shop`, { waitUntil: 'networkidle' });
  await clickUntil(page, 'button.diff[data-version="3"]', async () => assert.ok(await page.$('#version-diff')));
  const diff = await page.textContent('#version-diff');
  assert.match(diff, /-    image: local\/busybox:1\n\+    image: local\/no-such-image:1/);
  await page.click('button.redeploy[data-version="2"]');
  await page.waitForSelector('#redeploy-done', { timeout: 30_000 });
  assert.match(await page.textContent('#redeploy-done'), /Version 2 deployed again as version 4/);
  await page.waitForSelector('tr.progress-row[data-service=shop_web][data-running="6"][data-converged=true]', { timeout: 60_000 });
  // The tasks of the bad version may take a moment more to be shut down.
  await eventually(() => assert.deepEqual(serviceLs(), ['shop_web 6/6 local/busybox:1', 'shop_worker 1/1 local/busybox:1']), { timeoutMs: 30_000 });
  assert.deepEqual(await page.$$eval('tr.version-row', (trs) => trs.map((tr) => tr.dataset.version)), ['4', '3', '2', '1']);
  // Where each task landed, and the stack's network.
  await eventually(async () => {
    const nodes = await page.$$eval('tr.progress-row[data-service=shop_web] li.task[data-state=running]', (lis) => lis.map((li) => li.dataset.node));
    assert.equal(nodes.length, 6);
    assert.deepEqual([...new Set(nodes)].sort(), ['node1', 'node2', 'node3']);
  }, { timeoutMs: 15_000 });
  await page.waitForSelector('tr.network-row[data-name=shop_default]');
});

test('the API deploys, plans and removes with a bearer token; bad files are 422 and change nothing', async () => {
  const body = (compose, extra = {}) => JSON.stringify({ compose, ...extra });
  const before = everything();
  const invalid = await api('/swarms/prod/stacks/api', { method: 'PUT', body: body('services:\n  web:\n    image: local/busybox:1\n    deploy:\n      mode: sometimes\n') });
  assert.equal(invalid.status, 422);
  const error = (await invalid.json()).error;
  assert.equal(error.code, 'invalid');
  assert.deepEqual([error.details.line, error.details.column, error.details.path], [5, 13, 'services.web.deploy.mode']);
  assert.equal(everything(), before, 'an invalid file changes nothing');

  const compose = 'services:\n  job:\n    image: local/busybox:1\n    command: ["sleep", "3600"]\n    secrets: [token]\n'
    + '  agent:\n    image: local/busybox:1\n    command: ["sleep", "3600"]\n    deploy:\n      mode: global\n'
    + 'secrets:\n  token:\n    file: ./token.txt\n';
  const files = { './token.txt': Buffer.from('s3cret').toString('base64') };
  const plan = await (await api('/swarms/prod/stacks/api/plan', { method: 'POST', body: body(compose, { files }) })).json();
  assert.deepEqual(plan.created.map((o) => o.name).sort(), ['api_agent', 'api_default', 'api_job', 'api_token']);
  assert.equal(everything(), before, 'a plan changes nothing');
  const deployed = await api('/swarms/prod/stacks/api', { method: 'PUT', body: body(compose, { files }) });
  assert.equal(deployed.status, 200, await deployed.clone().text());
  assert.equal((await deployed.json()).version, 1);
  await eventually(() => assert.ok(serviceLs().includes('api_job 1/1 local/busybox:1')), { timeoutMs: 60_000 });
  // A global service is due on every node that is up, as `docker stack deploy` counts it.
  await eventually(async () => {
    const progress = await (await api('/swarms/prod/stacks/api/progress')).json();
    const agent = progress.find((p) => p.service === 'api_agent');
    assert.deepEqual([agent.global, agent.desired, agent.running], [true, 3, 3]);
    assert.deepEqual(agent.tasks.map((t) => t.node).sort(), ['node1', 'node2', 'node3']);
  }, { timeoutMs: 60_000 });

  // A stack made by the CLI is listed and removable like any other.
  const cliFile = join(artifacts, 'cli-stack.yml');
  writeFileSync(cliFile, 'services:\n  echo:\n    image: local/busybox:1\n    command: ["sleep", "3600"]\n');
  sandbox.docker(1, 'stack', 'deploy', '--resolve-image', 'never', '-c', cliFile, 'clistack');
  // The console sees a change made elsewhere through the engine's events: at once, not
  // necessarily before the CLI returns.
  await eventually(async () => {
    const stacks = await (await api('/swarms/prod/stacks')).json();
    assert.deepEqual(stacks.map((s) => s.name), ['api', 'clistack', 'shop']);
  }, { timeoutMs: 5_000, intervalMs: 50 });
  for (const name of ['api', 'clistack']) {
    const removed = await api(`/swarms/prod/stacks/${name}`, { method: 'DELETE' });
    assert.equal(removed.status, 200);
  }
  await eventually(() => assert.deepEqual(serviceLs(), ['shop_web 6/6 local/busybox:1', 'shop_worker 1/1 local/busybox:1']), { timeoutMs: 30_000 });
});

test('flotilla deploy: a good file converges and exits 0; a bad one names file:line:column, exits 1 and changes nothing; two -c files merge as the CLI merges them', async () => {
  const servicesBefore = serviceLs();
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-deploy-'));
  writeFileSync(join(dir, 'token'), `${operatorToken}\n`);
  mkdirSync(join(dir, 'conf'));
  writeFileSync(join(dir, 'conf', 'app.conf'), 'greeting=hello\n');
  writeFileSync(join(dir, 'app.env'), 'MODE=ci\n');
  const base = join(dir, 'docker-compose.yml');
  writeFileSync(base, `services:
  api:
    image: local/busybox:1
    command: ["sleep", "3600"]
    env_file: app.env
    configs: [{source: app, target: /etc/app.conf}]
    deploy:
      replicas: \${API_REPLICAS:-1}
configs:
  app:
    file: ./conf/app.conf
`);
  const override = join(dir, 'override.yml');
  writeFileSync(override, `services:
  api:
    environment: [EXTRA=1]
    deploy:
      replicas: 2
  side:
    image: local/busybox:1
    command: ["sleep", "3600"]
`);
  // From another directory, as a pipeline runs it: paths are the compose file's.
  const deploy = (args, env = {}) => {
    const run = spawnSync(serverBin, ['deploy', '--url', console_.url, '--token-file', join(dir, 'token'), '--swarm', 'prod', '--resolve-image', 'never', ...args], { cwd: tmpdir(), env: { ...process.env, ...env }, timeout: 180_000 });
    return { status: run.status, out: run.stdout.toString(), err: run.stderr.toString() };
  };

  const good = deploy(['-c', base, 'cli'], { API_REPLICAS: '3' });
  assert.equal(good.status, 0, `${good.out}\n${good.err}`);
  assert.match(good.out, /create service cli_api/);
  assert.match(good.out, /stack cli converged/);
  assert.equal(sandbox.docker(1, 'service', 'ls', '--filter', 'name=cli_api', '--format', '{{.Replicas}}').trim(), '3/3');
  const env = sandbox.docker(1, 'service', 'inspect', 'cli_api', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Env}}').trim();
  assert.deepEqual(JSON.parse(env), ['MODE=ci']);
  assert.equal(sandbox.docker(1, 'config', 'inspect', 'cli_app', '--format', '{{printf "%s" .Spec.Data}}').trim(), 'greeting=hello');
  // The version keeps the variable, not its value.
  const versions = await (await api('/swarms/prod/stacks/cli/versions')).json();
  assert.match(versions[0].compose, /\$\{API_REPLICAS:-1\}/);

  const bad = join(dir, 'bad.yml');
  writeFileSync(bad, 'services:\n  api:\n    image: local/busybox:1\n    deploy:\n      replicas: many\n');
  const before = everything();
  const refused = deploy(['-c', bad, 'cli']);
  assert.equal(refused.status, 1, refused.out);
  assert.match(refused.err, new RegExp(`${bad.replaceAll('/', '\\/').replaceAll('.', '\\.')}:5:\\d+: `));
  assert.equal(everything(), before, 'a refused file changes nothing');

  // The docker CLI deploys the two files; our plan of the same two finds nothing to change.
  sandbox.docker(1, 'stack', 'deploy', '--resolve-image', 'never', '-c', base, '-c', override, 'merged');
  const plan = deploy(['--plan', '-c', base, '-c', override, 'merged']);
  assert.equal(plan.status, 0, `${plan.out}\n${plan.err}`);
  assert.doesNotMatch(plan.out, /^ {2}(create|update|remove) /m, plan.out);
  assert.match(plan.out, /unchanged/);
  // And deploying them from Flotilla converges on the merged replicas.
  const merged = deploy(['-c', base, '-c', override, 'merged2']);
  assert.equal(merged.status, 0, `${merged.out}\n${merged.err}`);
  assert.equal(sandbox.docker(1, 'service', 'ls', '--filter', 'name=merged2_api', '--format', '{{.Replicas}}').trim(), '2/2');

  for (const name of ['cli', 'merged', 'merged2']) {
    const removed = await api(`/swarms/prod/stacks/${name}`, { method: 'DELETE' });
    assert.equal(removed.status, 200);
  }
  await eventually(() => assert.deepEqual(serviceLs(), servicesBefore), { timeoutMs: 30_000 });
});

test('a console killed (kill -9) or stopped (SIGTERM) in the middle of a deploy: after a restart the audit log and the stack page say interrupted, show what is left, and one redeploy converges', async () => {
  const dataDir = newDataDir();
  let second = await startConsole({ dataDir });
  const admin = flotillaCli(second, ['token', 'create', 'crash-admin', '--role', 'admin']).trim();
  flotillaCli(second, ['user', 'add', 'olga', '--role', 'operator'], 'olga password 1\n');
  const call = (path, init = {}) => fetch(`${second.url}${path}`, {
    ...init, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', ...init.headers },
  });
  const adopted = await call('/api/v1/swarms', { method: 'POST', body: JSON.stringify({ name: 'prod', manager: sandbox.socket(1) }) });
  assert.equal(adopted.status, 201, await adopted.text());
  const compose = 'services:\n' + Array.from({ length: 10 }, (_, i) => `  s${i}:\n    image: local/busybox:1\n    command: ["sleep", "3600"]\n    networks: [n${i % 3}]\n`).join('')
    + 'networks:\n  n0: {}\n  n1: {}\n  n2: {}\n';
  const crashServices = () => serviceLs().filter((line) => line.startsWith('crash_'));
  const crashNetworks = () => sandbox.docker(1, 'network', 'ls', '--filter', 'name=crash_', '--format', '{{.Name}}').trim().split('\n').filter(Boolean);
  const deploys = async () => JSON.parse(await (await fetch(`${second.url}/api/audit/list`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ actor: '', action: 'stack.deploy', outcome: '' }),
  })).text()).filter((row) => row.target === 'prod/crash');
  const removeCrash = async () => {
    sandbox.docker(1, 'stack', 'rm', 'crash');
    await eventually(() => assert.deepEqual([crashServices(), crashNetworks()], [[], []]), { timeoutMs: 60_000 });
  };
  const restart = async () => { second = await startConsole({ dataDir }); };

  const serverFn = async (path, args) => fetch(`${second.url}/api/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(args),
  });
  const interruption = async () => (await serverFn('stacks/interrupted', { swarm: 'prod', stack: 'crash' })).json();

  // Killed before it touches the swarm: the manager's engine is frozen, so the deploy, its
  // audit row written, waits on it when the console dies.
  const engine = sandbox.enginePid(1);
  process.kill(engine, 'SIGSTOP');
  try {
    call('/api/v1/swarms/prod/stacks/crash', { method: 'PUT', body: JSON.stringify({ compose }) }).catch(() => null);
    await new Promise((r) => setTimeout(r, 500));
    process.kill(second.pid, 'SIGKILL');
    await second.exited;
  } finally {
    process.kill(engine, 'SIGCONT');
  }
  await restart();
  const [killed] = await deploys();
  assert.equal(killed.outcome, 'interrupted', 'marked at the next start');
  assert.match(killed.error, /console stopped/);
  assert.deepEqual([crashServices(), crashNetworks()], [[], []], 'nothing was made');
  const context = await browser.newContext();
  const olga = await context.newPage();
  olga.on('pageerror', (err) => { throw new Error(`page error: ${err.message}`); });
  await olga.goto(`${second.url}/login`, { waitUntil: 'networkidle' });
  await olga.fill('#login-form input[name=name]', 'olga');
  await olga.fill('#login-form input[name=password]', 'olga password 1');
  await Promise.all([olga.waitForURL(`${second.url}/`), olga.click('#login-form button[type=submit]')]);
  await olga.goto(`${second.url}/swarms/prod/stacks/crash`, { waitUntil: 'networkidle' });
  await olga.waitForSelector('#interrupted-deploy');
  assert.match(await olga.textContent('#interrupted-deploy'), /did not finish/);
  const left = await olga.$$eval('#interrupted-deploy .plan-row[data-change=create]', (rows) => rows.map((r) => r.dataset.name).sort());
  assert.equal(left.length, 13, `what is left: 10 services and 3 networks, got ${left}`);
  await clickUntil(olga, '#finish-deploy', async () => assert.equal(await olga.$('#interrupted-deploy'), null));
  await eventually(() => assert.equal(crashServices().length, 10), { timeoutMs: 60_000 });
  assert.equal((await deploys())[0].outcome, 'ok');
  await context.close();
  const versions = await (await call('/api/v1/swarms/prod/stacks/crash/versions')).json();
  assert.equal(versions.length, 1, 'one version: the deploy that finished');
  await removeCrash();

  // Killed outright once the first network exists (between networks and services, or later:
  // the deploy is fast). Whatever it got to, nothing stays pending, and one deploy finishes it.
  const racing = call('/api/v1/swarms/prod/stacks/crash', { method: 'PUT', body: JSON.stringify({ compose }) }).catch(() => null);
  await eventually(() => assert.ok(crashNetworks().length > 0), { timeoutMs: 30_000, intervalMs: 5 });
  process.kill(second.pid, 'SIGKILL');
  await second.exited;
  await racing;
  await restart();
  const [raced] = await deploys();
  assert.ok(['interrupted', 'ok'].includes(raced.outcome), `after kill -9 the deploy is ${raced.outcome}`);
  if (raced.outcome === 'interrupted') {
    assert.ok(await interruption(), 'the stack says its deploy was interrupted');
    assert.equal((await serverFn('stacks/finish-interrupted', { swarm: 'prod', stack: 'crash' })).status, 200);
  }
  await eventually(() => assert.equal(crashServices().length, 10), { timeoutMs: 60_000 });
  assert.equal(await interruption(), null);
  await removeCrash();

  // Stopped with SIGTERM in the same place: the deploy finishes (or is recorded as
  // interrupted), and the console exits within 10 s.
  const answer = call('/api/v1/swarms/prod/stacks/crash', { method: 'PUT', body: JSON.stringify({ compose }) }).catch(() => null);
  await eventually(() => assert.ok(crashNetworks().length > 0), { timeoutMs: 30_000, intervalMs: 5 });
  const signalled = Date.now();
  process.kill(second.pid, 'SIGTERM');
  await second.exited;
  assert.ok(Date.now() - signalled < 10_000, `exited ${Date.now() - signalled} ms after SIGTERM`);
  const response = await answer;
  await restart();
  const [stopped] = await deploys();
  assert.ok(['ok', 'interrupted'].includes(stopped.outcome), `after SIGTERM the deploy is ${stopped.outcome}`);
  if (stopped.outcome === 'ok') {
    assert.equal(response?.status, 200, 'the deploy answered before the console went');
    assert.equal(crashServices().length, 10);
  }
  assert.equal((await deploys()).filter((row) => row.outcome === 'pending').length, 0, 'nothing stays pending');
  await removeCrash();
  await second.stop();
});

test('the swarm page lists the stack; removing it needs its name typed', async () => {
  await page.goto(`${console_.url}/swarms/prod`, { waitUntil: 'networkidle' });
  await page.waitForSelector('tr.stack-row[data-stack=shop]');
  await page.goto(`${console_.url}/swarms/prod/stacks/shop`, { waitUntil: 'networkidle' });
  await page.fill('#remove-confirm', 'shp');
  await clickUntil(page, '#remove-stack', async () => assert.ok(await page.$('#remove-error')));
  assert.equal(serviceLs().length, 2);
  await page.fill('#remove-confirm', 'shop');
  await page.click('#remove-stack');
  await page.waitForSelector('#remove-done', { timeout: 90_000 });
  assert.deepEqual(serviceLs(), []);
  const audit = await (await fetch(`${console_.url}/api/v1/swarms`, { headers: { authorization: `Bearer ${operatorToken}` } })).status;
  assert.equal(audit, 200);
});
