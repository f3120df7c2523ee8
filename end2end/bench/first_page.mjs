// `make bench`: the first page a signed-in user opens, the swarm page of a three-node sandbox,
// in headless Chromium with the link throttled to 20 Mbit/s and 40 ms of latency and the
// cache empty. Prints the bytes of WASM that crossed the wire and the time from navigation
// to interactive (the page hydrated: `html[data-hydrated]`), median over several loads, and
// the same page again with the cache warm (hashed names, kept a year: nothing refetched).
// Goals: ≤ 300 KB of WASM and ≤ 600 ms to interactive.
import { Sandbox, startConsole, flotillaCli, loginCookie, launchBrowser } from '../tests/support.mjs';

const LOADS = Number(process.env.BENCH_LOADS || 7);
const sandbox = new Sandbox('fltbfp', '10.240.0', 3);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** One load of `url` in `page`: WASM bytes over the wire, all bytes, ms to interactive. */
async function load(page, cdp, url) {
  const wire = new Map();
  const onResponse = ({ requestId, response }) => wire.set(requestId, { url: response.url, bytes: 0 });
  const onFinished = ({ requestId, encodedDataLength }) => {
    const entry = wire.get(requestId);
    if (entry) entry.bytes = encodedDataLength;
  };
  cdp.on('Network.responseReceived', onResponse);
  cdp.on('Network.loadingFinished', onFinished);
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForSelector('html[data-hydrated]', { timeout: 30_000 });
  const interactive = await page.evaluate(() => window.__hydratedAt);
  cdp.off('Network.responseReceived', onResponse);
  cdp.off('Network.loadingFinished', onFinished);
  const files = [...wire.values()];
  const wasm = files.filter((f) => new URL(f.url).pathname.endsWith('.wasm')).reduce((sum, f) => sum + f.bytes, 0);
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  return { wasm, total, interactive };
}

sandbox.up();
let console_;
let browser;
try {
  sandbox.formSwarm();
  console_ = await startConsole();
  flotillaCli(console_, ['user', 'add', 'bench', '--role', 'admin'], 'bench password\n');
  const token = flotillaCli(console_, ['token', 'create', 'bench', '--role', 'admin']).trim();
  const adopted = await fetch(`${console_.url}/api/v1/swarms`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', manager: sandbox.socket(1) }),
  });
  if (adopted.status !== 201) throw new Error(`adopting the swarm: ${adopted.status} ${await adopted.text()}`);
  const [name, value] = (await loginCookie(console_.url, 'bench', 'bench password')).split('=');
  const url = `${console_.url}/swarms/bench`;

  browser = await launchBrowser();
  const context = await browser.newContext();
  await context.addCookies([{ name, value, url: console_.url }]);
  // When the page turns interactive, on the page's own clock (0 = navigation start).
  await context.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.documentElement?.hasAttribute('data-hydrated')) {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 40, downloadThroughput: (20e6 / 8), uploadThroughput: (20e6 / 8),
  });

  const cold = [];
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  for (let i = 0; i < LOADS; i++) cold.push(await load(page, cdp, url));
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  await load(page, cdp, url);
  const warm = [];
  for (let i = 0; i < LOADS; i++) warm.push(await load(page, cdp, url));

  const kb = (bytes) => `${(bytes / 1000).toFixed(0)} KB`;
  const wasm = median(cold.map((l) => l.wasm));
  const interactive = median(cold.map((l) => l.interactive));
  console.log(`first page (swarm page, 20 Mbit/s, 40 ms, ${LOADS} loads):`);
  console.log(`  cold cache: WASM over the wire ${kb(wasm)} (goal ≤ 300 KB), everything ${kb(median(cold.map((l) => l.total)))}; interactive after ${interactive.toFixed(0)} ms median, slowest ${Math.max(...cold.map((l) => l.interactive)).toFixed(0)} ms (goal ≤ 600 ms)`);
  console.log(`  warm cache: WASM over the wire ${kb(median(warm.map((l) => l.wasm)))}, everything ${kb(median(warm.map((l) => l.total)))}; interactive after ${median(warm.map((l) => l.interactive)).toFixed(0)} ms median`);
} finally {
  await browser?.close();
  await console_?.stop();
  sandbox.down();
}
