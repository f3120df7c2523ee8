// `make bench`: the services list at 1,000 services (created with 0 replicas) on a three-node
// sandbox swarm. Prints the console's time to answer (the swarm page as the browser gets it,
// rendered on the server with the list in it; a filtered and sorted page; the API's list) as
// p50 and p90 over many requests, the bytes of each answer, and `docker service ls` on the
// same swarm for reference. Goal: the page ≤ 50 ms at p50 and ≤ 300 KB.
import { request } from 'node:http';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Sandbox, startConsole, flotillaCli, loginCookie } from '../tests/support.mjs';

const SERVICES = Number(process.env.BENCH_SERVICES || 1000);
const ROUNDS = 30;
const sandbox = new Sandbox('fltbsl', '10.228.0', 3);

/** One Engine API call over node 1's socket. */
function engine(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: `/run/${sandbox.name}/node1.sock`, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode < 300 ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`${method} ${path}: ${res.statusCode} ${Buffer.concat(chunks)}`))));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** `count` services of two stacks, each with a published port, none with a task. */
async function createServices(count) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const stack = i % 2 ? 'shop' : 'blog';
      await engine('POST', '/v1.41/services/create', {
        Name: `${stack}_svc${String(i).padStart(4, '0')}`,
        Labels: { 'com.docker.stack.namespace': stack, 'com.docker.stack.image': 'local/busybox:1' },
        TaskTemplate: { ContainerSpec: { Image: 'local/busybox:1', Command: ['sleep', '3600'], Env: [`INDEX=${i}`] } },
        Mode: { Replicated: { Replicas: 0 } },
        EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 20000 + i, PublishMode: 'host' }] },
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function timed(url, headers) {
  const started = performance.now();
  const response = await fetch(url, { headers });
  const body = Buffer.from(await response.arrayBuffer());
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${body.toString().slice(0, 300)}`);
  return { ms, bytes: body.length, body: body.toString() };
}

const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];

async function measure(label, url, headers, check) {
  const first = await timed(url, headers);
  check(first.body);
  const times = [];
  for (let i = 0; i < ROUNDS; i++) times.push((await timed(url, headers)).ms);
  const line = `${label.padEnd(44)} p50 ${quantile(times, 0.5).toFixed(1).padStart(6)} ms  p90 ${quantile(times, 0.9).toFixed(1).padStart(6)} ms  ${(first.bytes / 1024).toFixed(1).padStart(7)} KB`;
  console.log(line);
  return { p50: quantile(times, 0.5), bytes: first.bytes };
}

sandbox.up();
let console_;
try {
  sandbox.formSwarm();
  const made = performance.now();
  await createServices(SERVICES);
  console.log(`${SERVICES} services created in ${((performance.now() - made) / 1000).toFixed(1)} s`);
  console_ = await startConsole();
  flotillaCli(console_, ['user', 'add', 'bench', '--role', 'admin'], 'bench password\n');
  const cookie = await loginCookie(console_.url, 'bench', 'bench password');
  const token = flotillaCli(console_, ['token', 'create', 'bench', '--role', 'viewer']).trim();
  const adopted = await fetch(`${console_.url}/api/v1/swarms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${flotillaCli(console_, ['token', 'create', 'setup', '--role', 'admin']).trim()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'prod', manager: sandbox.socket(1) }),
  });
  if (adopted.status !== 201) throw new Error(`adopt: ${adopted.status} ${await adopted.text()}`);

  const rowsIn = (html) => (html.match(/class="service-row\b/g) ?? []).length;
  const page = await measure('swarm page, services listed (SSR)', `${console_.url}/swarms/prod`, { cookie }, (html) => {
    if (!html.includes(`(${SERVICES} services)`)) throw new Error('the page does not count every service');
    if (rowsIn(html) === 0) throw new Error('the page lists no service');
  });
  await measure('swarm page, filtered and sorted (SSR)', `${console_.url}/swarms/prod?q=svc09&sort=updated&desc=1`, { cookie }, (html) => {
    if (rowsIn(html) !== 100) throw new Error(`expected 100 rows for svc09…, got ${rowsIn(html)}`);
  });
  await measure('stack page, its 500 services (SSR)', `${console_.url}/swarms/prod/stacks/shop`, { cookie }, (html) => {
    if (!html.includes(`(${SERVICES / 2} services)`)) throw new Error('the stack page does not count its services');
  });
  await measure('GET /api/v1/swarms/prod/services', `${console_.url}/api/v1/swarms/prod/services`, { authorization: `Bearer ${token}` }, (json) => {
    if (JSON.parse(json).total !== SERVICES) throw new Error('the API does not count every service');
  });
  const cli = [];
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    execFileSync(process.env.DOCKER_CLI || '/usr/local/bin/docker', ['-H', sandbox.socket(1), 'service', 'ls'], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
    cli.push(performance.now() - started);
  }
  console.log(`${'docker service ls (reference)'.padEnd(44)} p50 ${quantile(cli, 0.5).toFixed(1).padStart(6)} ms`);
  console.log(`page p50 / docker service ls p50: ${(page.p50 / quantile(cli, 0.5)).toFixed(2)}`);
  console.log(`goal: page p50 ≤ 50 ms (${page.p50 <= 50 ? 'met' : 'NOT met'}), page ≤ 300 KB (${page.bytes <= 300 * 1024 ? 'met' : 'NOT met'})`);
} finally {
  await console_?.stop();
  sandbox.down();
}
