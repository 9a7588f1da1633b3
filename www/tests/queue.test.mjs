// The offline queue across a real page reload and across two real tabs (two
// pages of one browser context: shared localStorage, storage events, Web Locks).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, staticServer, control, serverUrl, controlUrl } from './browser.mjs';

let browser, web;
before(async () => { browser = await launch(); web = await staticServer(); });
after(async () => { await browser?.close(); web?.server.close(); });

const pageUrl = (user) => `${web.url}/queue-e2e.html?server=${serverUrl}&control=${controlUrl}&user=${user}`;

async function open(context, user) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pageUrl(user));
  await page.waitForFunction(() => window.app !== undefined);
  return { page, errors };
}

async function received(ids) {
  const r = await control('GET', '/received');
  const mine = r.messages.filter((m) => ids.includes(m.clientMessageId)).map((m) => m.clientMessageId);
  return { mine, counts: ids.map((id) => r.sendCounts[id] ?? 0) };
}

test('messages queued with the server down survive a real reload and arrive exactly once, in order', async () => {
  await control('POST', '/reset', {});
  const context = await browser.newContext();
  const { page, errors } = await open(context, 'reloader');
  const restart = control('POST', '/restart', { downMs: 4000 });
  await new Promise((r) => setTimeout(r, 300));
  await page.evaluate(() => window.app.connect()); // the server is down: it keeps retrying
  const ids = await page.evaluate(() => window.app.queueMany(5, 'reload-'));
  await page.reload();
  await page.waitForFunction(() => window.app !== undefined);
  assert.deepEqual(await page.evaluate(() => window.app.queue.getQueuedMessages().map((m) => m.clientMessageId)), ids);
  await page.evaluate(() => window.app.connect());
  await restart;
  await page.waitForFunction(() => window.app.queue.getQueueLength() === 0, null, { timeout: 20000 });
  const { mine, counts } = await received(ids);
  assert.deepEqual(mine, ids, 'every message once, in order');
  assert.deepEqual(counts, ids.map(() => 1), 'no message sent twice');
  assert.deepEqual(errors, []);
  await context.close();
});

test('two tabs sharing one queue send every message exactly once', async () => {
  await control('POST', '/reset', {});
  const context = await browser.newContext();
  const a = await open(context, 'tabs');
  const b = await open(context, 'tabs');
  const ids = await a.page.evaluate(() => window.app.queueMany(10, 'tab-'));
  // The other tab sees the queue through the storage event.
  await b.page.waitForFunction(() => window.app.queue.getQueueLength() === 10, null, { timeout: 5000 });
  await Promise.all([a.page.evaluate(() => window.app.connect()), b.page.evaluate(() => window.app.connect())]);
  for (const t of [a, b]) await t.page.waitForFunction(() => window.app.queue.getQueueLength() === 0, null, { timeout: 20000 });
  const { mine, counts } = await received(ids);
  assert.deepEqual(mine, ids);
  assert.deepEqual(counts, ids.map(() => 1), 'no message sent twice');
  assert.deepEqual([...a.errors, ...b.errors], []);
  await context.close();
});
