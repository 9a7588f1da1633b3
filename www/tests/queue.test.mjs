// The offline queue across a real page reload and across two real tabs (two
// pages of one browser context: shared localStorage, storage events, Web Locks).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, staticServer, control, serverUrl, controlUrl } from './browser.mjs';
import { firefox } from './firefox.mjs';

let browser, web;
before(async () => { browser = await launch(); web = await staticServer(); });
after(async () => { await browser?.close(); web?.server.close(); });

const pageUrl = (user, max = 100) => `${web.url}/queue-e2e.html?server=${serverUrl}&control=${controlUrl}&user=${user}&max=${max}`;

async function open(context, user, max) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pageUrl(user, max));
  await page.waitForFunction(() => window.app !== undefined);
  return { page, errors };
}

// A fresh server state, with the queue's room created where the server wants
// rooms created first (`POST /rooms`); an older server without the endpoint
// creates rooms on demand.
async function reset() {
  await control('POST', '/reset', {});
  try {
    await control('POST', '/rooms', { names: ['channel:e2e'] });
  } catch {
    // no such endpoint (the answer is not JSON): rooms need no creating
  }
}

// The server's record of our messages: clientMessageIds in arrival order
// (de-duplicated by the server, if it does) and how often each was sent.
async function received(ids) {
  const r = await control('GET', '/received');
  const cidOf = (m) => m.clientMessageId ?? m.metadata?.clientMessageId;
  const wanted = new Set(ids);
  const mine = r.messages.map(cidOf).filter((c) => wanted.has(c));
  const sends = r.sendCounts ?? Object.fromEntries(ids.map((id) => [id, mine.filter((c) => c === id).length]));
  return { mine, counts: ids.map((id) => sends[id] ?? 0) };
}

// A message sent more than once: which tab reported sending it when, and the
// flushes around it (with how many entries each tab's localStorage held then).
async function explainRepeats(all, counts, tabs) {
  const repeated = all.filter((_, i) => counts[i] !== 1);
  if (repeated.length === 0) return;
  const logs = [];
  for (const [name, read] of Object.entries(tabs)) logs.push([name, await read()]);
  const t0 = Math.min(...logs.map(([, log]) => log[0]?.at ?? Infinity));
  for (const [name, log] of logs) {
    const lines = log.filter((e) => e.event !== 'message:sent' || repeated.includes(e.cid))
      .map((e) => `${name} +${e.at - t0}ms ${e.event} ${e.cid ?? ''} flush=${e.flushId ?? ''} n=${e.count ?? ''} dup=${e.duplicate ?? ''} stored=${e.stored ?? ''}`);
    console.log(`# sent ${repeated.join(',')} ${counts.filter((c) => c !== 1).join(',')} times; ${name}'s flushes:\n# ${lines.slice(-12).join('\n# ')}`);
  }
}

test('messages queued with the server down survive a real reload and arrive exactly once, in order', async () => {
  await reset();
  const context = await browser.newContext();
  const { page, errors } = await open(context, 'reloader');
  const restart = control('POST', '/restart', { downMs: 4000 });
  await new Promise((r) => setTimeout(r, 300));
  await page.evaluate(() => window.app.connect()); // the server is down: it keeps retrying
  const ids = await page.evaluate(() => window.app.queueMany(5, 'reload-'));
  await page.reload();
  await page.waitForFunction(() => window.app !== undefined);
  assert.deepEqual(await page.evaluate(() => window.app.queue.getQueuedMessages().map((m) => m.clientMessageId)), ids);
  await restart;
  await reset();
  await page.evaluate(() => window.app.connect());
  await page.waitForFunction(() => window.app.queue.getQueueLength() === 0, null, { timeout: 20000 });
  const { mine, counts } = await received(ids);
  assert.deepEqual(mine, ids, 'every message once, in order');
  assert.deepEqual(counts, ids.map(() => 1), 'no message sent twice');
  assert.deepEqual(errors, []);
  await context.close();
});

test('two tabs sharing one queue send every message exactly once', async () => {
  await reset();
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

test('two tabs queueing 100 each at the same time, one reloading midway, lose nothing and send each once in order', async () => {
  await reset();
  const context = await browser.newContext();
  const a = await open(context, 'writer-a', 500);
  const b = await open(context, 'writer-b', 500);
  const started = Date.now();
  // B queues its 100 while A queues 50, reloads, and queues 50 more (bursts
  // of 5 with pauses, so the two tabs' writes interleave throughout).
  const bDone = b.page.evaluate(() => window.app.queueSpread(100, 'B-', 5, 60));
  const a1 = await a.page.evaluate(() => window.app.queueSpread(50, 'A-', 5, 10));
  const bAtReload = await b.page.evaluate(() => window.app.queuedCount());
  await a.page.reload();
  await a.page.waitForFunction(() => window.app !== undefined);
  const bAfterReload = await b.page.evaluate(() => window.app.queuedCount());
  const a2 = await a.page.evaluate(() => window.app.queueSpread(50, 'A2-', 5, 10));
  const bIds = await bDone;
  assert.ok(bAtReload > 0 && bAfterReload < 100, `B was queueing while A reloaded (${bAtReload} -> ${bAfterReload})`);
  const queuedMs = Date.now() - started;
  const aIds = [...a1, ...a2];
  const all = [...aIds, ...bIds];
  assert.equal(new Set(all).size, 200);
  // Nothing was erased: 200 entries stored, and both tabs come to see them all.
  const stored = await a.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('nchat:offline-queue:m:')).length);
  assert.equal(stored, 200, 'one stored entry per message');
  for (const t of [a, b]) await t.page.waitForFunction(() => window.app.queue.getQueueLength() === 200, null, { timeout: 5000 });
  const notStored = await Promise.all([a, b].map((t) => t.page.evaluate(() => window.app.events.filter((e) => e.event === 'queue:error').length)));
  assert.deepEqual(notStored, [0, 0], 'no storage problem reported');

  const sendStart = Date.now();
  await Promise.all([a.page.evaluate(() => window.app.connect()), b.page.evaluate(() => window.app.connect())]);
  for (const t of [a, b]) await t.page.waitForFunction(() => window.app.queue.getQueueLength() === 0, null, { timeout: 60000 });
  const sendMs = Date.now() - sendStart;
  // Let any straggler arrive before counting.
  await new Promise((r) => setTimeout(r, 500));
  const { mine, counts } = await received(all);
  assert.equal(mine.length, 200, 'every message arrived');
  assert.deepEqual([...new Set(mine)].length, 200, 'none twice');
  const events = (page) => () => page.evaluate(() => window.app.events.filter((e) => e.event !== 'message:queued'));
  await explainRepeats(all, counts, { A: events(a.page), B: events(b.page) });
  assert.deepEqual(counts, all.map(() => 1), 'each sent exactly once');
  assert.deepEqual(mine.filter((c) => aIds.includes(c)), aIds, "tab A's order (across its reload)");
  assert.deepEqual(mine.filter((c) => bIds.includes(c)), bIds, "tab B's order");
  const sentEvents = await Promise.all([a, b].map((t) => t.page.evaluate(() => window.app.events.filter((e) => e.event === 'message:sent').length)));
  assert.equal(sentEvents[0] + sentEvents[1], 200, 'each message:sent reported by one tab');
  assert.deepEqual([...a.errors, ...b.errors], []);
  console.log(`# two tabs: 200 queued in ${queuedMs} ms (A reloaded after 50 while B had queued ${bAtReload}..${bAfterReload}), sent in ${sendMs} ms; message:sent in A ${sentEvents[0]}, in B ${sentEvents[1]}`);
  await context.close();
});

test('a full storage reports each message, sends it anyway, and stores it when space returns', async () => {
  await reset();
  const context = await browser.newContext();
  const { page, errors } = await open(context, 'full');
  const junkKeys = await page.evaluate(() => {
    const keys = [];
    let size = 1 << 20;
    while (size >= 4) {
      const key = `junk:${keys.length}`;
      try { localStorage.setItem(key, 'x'.repeat(size)); keys.push(key); } catch { size = Math.floor(size / 2); }
    }
    return keys;
  });
  assert.ok(junkKeys.length > 0);
  const ids = await page.evaluate(() => window.app.queueMany(3, 'full-'));
  const state = await page.evaluate(() => ({
    errors: window.app.events.filter((e) => e.event === 'queue:error'),
    queued: window.app.queue.getQueuedMessages().map((m) => ({ cid: m.clientMessageId, id: m.id, persisted: m.persisted })),
  }));
  assert.equal(state.errors.length, 3, 'one signal per message');
  assert.deepEqual(state.errors.map((e) => e.reason), ['quota', 'quota', 'quota']);
  assert.deepEqual(state.errors.map((e) => e.messageId), state.queued.map((m) => m.id));
  assert.deepEqual(state.queued.map((m) => m.cid), ids);
  assert.deepEqual(state.queued.map((m) => m.persisted), [false, false, false]);

  // Space back: the next store operation writes them.
  await page.evaluate((keys) => { for (const k of keys) localStorage.removeItem(k); }, junkKeys);
  await page.evaluate(() => window.app.queue.flushQueue());
  const after = await page.evaluate(() => ({
    persistedEvents: window.app.events.filter((e) => e.event === 'message:persisted').map((e) => e.messageId),
    flags: window.app.queue.getQueuedMessages().map((m) => m.persisted),
  }));
  assert.deepEqual(after.persistedEvents, state.queued.map((m) => m.id));
  assert.deepEqual(after.flags, [true, true, true]);

  await page.reload();
  await page.waitForFunction(() => window.app !== undefined);
  assert.deepEqual(await page.evaluate(() => window.app.queue.getQueuedMessages().map((m) => m.clientMessageId)), ids, 'kept across the reload');
  await page.evaluate(() => window.app.connect());
  await page.waitForFunction(() => window.app.queue.getQueueLength() === 0, null, { timeout: 20000 });
  const { mine, counts } = await received(ids);
  assert.deepEqual(mine, ids);
  assert.deepEqual(counts, [1, 1, 1]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('in Firefox too: two tabs queueing 100 each, one reloading midway, lose nothing and send each once in order', async () => {
  await reset();
  const ff = await firefox();
  try {
    await ff.goto(pageUrl('writer-a', 500));
    await ff.waitFor(() => window.app !== undefined);
    const tabA = await ff.handle();
    const tabB = await ff.newTab();
    await ff.switchTo(tabB);
    await ff.goto(pageUrl('writer-b', 500));
    await ff.waitFor(() => window.app !== undefined);
    // B queues its 100 in the background while A queues 50, reloads and
    // queues 50 more.
    await ff.execute(() => { window.bDone = window.app.queueSpread(100, 'B-', 5, 30).then((ids) => { window.bIds = ids; }); });
    await ff.switchTo(tabA);
    const a1 = await ff.evaluate((n) => window.app.queueSpread(n, 'A-', 5, 10), 50);
    await ff.reload();
    await ff.waitFor(() => window.app !== undefined);
    const a2 = await ff.evaluate((n) => window.app.queueSpread(n, 'A2-', 5, 10), 50);
    await ff.switchTo(tabB);
    const bIds = await ff.waitFor(() => window.bIds, undefined, 60_000);
    const aIds = [...a1, ...a2];
    const all = [...aIds, ...bIds];
    assert.equal(new Set(all).size, 200);
    const stored = await ff.execute(() => Object.keys(localStorage).filter((k) => k.startsWith('nchat:offline-queue:m:')).length);
    assert.equal(stored, 200, 'one stored entry per message');
    for (const t of [tabA, tabB]) {
      await ff.switchTo(t);
      await ff.waitFor(() => window.app.queue.getQueueLength() === 200, undefined, 10_000);
      assert.equal(await ff.execute(() => window.app.events.filter((e) => e.event === 'queue:error').length), 0);
      await ff.evaluate(() => window.app.connect());
    }
    for (const t of [tabA, tabB]) {
      await ff.switchTo(t);
      await ff.waitFor(() => window.app.queue.getQueueLength() === 0, undefined, 60_000);
    }
    await new Promise((r) => setTimeout(r, 500));
    const { mine, counts } = await received(all);
    assert.equal(mine.length, 200, 'every message arrived');
    const events = (tab) => async () => {
      await ff.switchTo(tab);
      return ff.execute(() => window.app.events.filter((e) => e.event !== 'message:queued'));
    };
    await explainRepeats(all, counts, { A: events(tabA), B: events(tabB) });
    assert.deepEqual(counts, all.map(() => 1), 'each sent exactly once');
    assert.deepEqual(mine.filter((c) => aIds.includes(c)), aIds, "tab A's order (across its reload)");
    assert.deepEqual(mine.filter((c) => bIds.includes(c)), bIds, "tab B's order");
  } finally {
    await ff.quit();
  }
});
