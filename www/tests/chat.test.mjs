// The Next.js chat (www/chat, built by `make chat` from the packed tarball),
// end to end: `next start` beside the test server, Alice and Bob in two
// browser contexts of Debian's Chromium, driven through the page as a person
// would. SCREENSHOT_DIR=/tmp/x keeps a picture of both windows mid-conversation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launch, control, serverUrl, realtimePort } from './browser.mjs';

const chatDir = fileURLToPath(new URL('../chat/', import.meta.url));
const port = Number(process.env.CHAT_PORT ?? Number(realtimePort) + 49);
const chatUrl = `http://127.0.0.1:${port}`;
// Short, so the idle-to-away test takes seconds (the demo's default is a minute).
const IDLE_MS = 4000;
const run = Date.now().toString(36);

let browser, next, nextLog = '';
const users = {};

async function waitForHttp(url, ms) {
  const end = Date.now() + ms;
  for (;;) {
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    if (Date.now() > end) throw new Error(`${url} did not answer within ${ms} ms:\n${nextLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A signed-in user in a context of their own: { context, page, errors }. */
async function signIn(id) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(chatUrl);
  await page.waitForSelector('.signin[data-ready]', { timeout: 20000 });
  await page.click(`[data-testid=signin-${id}]`);
  await page.waitForSelector('[data-testid=connection][data-state=connected]', { timeout: 20000 });
  return { context, page, errors };
}

async function send(page, text) {
  await page.fill('[data-testid=composer]', text);
  await page.press('[data-testid=composer]', 'Enter');
}

const messagesWith = (page, text) => page.locator('[data-testid=message] .content', { hasText: text });
const ticksOf = (page, text) => page.locator('[data-testid=message]', { hasText: text }).locator('[data-testid=ticks]');

before(async () => {
  if (!existsSync(new URL('../chat/.next/BUILD_ID', import.meta.url))) {
    throw new Error('www/chat is not built: run `make chat` (scripts/chat.sh build) first');
  }
  await control('POST', '/rooms', { names: ['channel:general', 'channel:random'] });
  next = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: chatDir,
    env: { ...process.env, REALTIME_URL: serverUrl, CHAT_IDLE_MS: String(IDLE_MS), NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const s of [next.stdout, next.stderr]) s.on('data', (d) => { nextLog += d; });
  browser = await launch();
  await waitForHttp(`${chatUrl}/api/session?user=alice`, 20000);
  users.alice = await signIn('alice');
  users.bob = await signIn('bob');
});

after(async () => {
  await browser?.close();
  next?.kill();
  for (const u of Object.values(users)) assert.deepEqual(u.errors, [], 'no uncaught page errors');
});

test('a message appears on the other side and its ticks reach read', async () => {
  const { alice, bob } = users;
  const text = `hello bob ${run}`;
  await send(alice.page, text);
  await messagesWith(bob.page, text).waitFor({ timeout: 10000 });
  // Bob's window is visible: he read it, and Alice's ticks say so.
  await ticksOf(alice.page, text).and(alice.page.locator('[data-state=read]')).waitFor({ timeout: 10000 });
  await send(bob.page, `hi alice ${run}`);
  await messagesWith(alice.page, `hi alice ${run}`).waitFor({ timeout: 10000 });
  // The header: connection state, quality and the average latency.
  const header = await alice.page.locator('[data-testid=connection]').innerText();
  assert.match(header, /connected/);
  assert.match(header, /excellent|good|fair|poor|unknown/);
  await alice.page.waitForFunction(() => /\d+ ms avg/.test(document.querySelector('[data-testid=latency]')?.textContent ?? ''), null, { timeout: 10000 });
});

test('typing shows on the other side and goes away', async () => {
  const { alice, bob } = users;
  const typing = alice.page.locator('[data-testid=typing]');
  await bob.page.click('[data-testid=composer]');
  await bob.page.keyboard.type('are you th', { delay: 60 });
  await typing.filter({ hasText: /Bob is typing/ }).waitFor({ timeout: 10000 });
  if (process.env.SCREENSHOT_DIR) {
    await alice.page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/alice.png` });
    await bob.page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/bob.png` });
  }
  await bob.page.keyboard.type('ere?', { delay: 30 });
  await bob.page.press('[data-testid=composer]', 'Enter');
  await messagesWith(alice.page, 'are you there?').first().waitFor({ timeout: 10000 });
  await alice.page.waitForFunction(() => !/typing/.test(document.querySelector('[data-testid=typing]').textContent), null, { timeout: 10000 });
});

test('presence and custom status propagate, and an idle user turns away', async () => {
  const { alice, bob } = users;
  const aliceOnBob = bob.page.locator('[data-testid=person-alice]');
  await alice.page.click('[data-testid=custom-status-open]');
  await alice.page.fill('[data-testid=custom-status-input]', `In a meeting ${run}`);
  await alice.page.click('[data-testid=custom-status-save]');
  await bob.page.locator('[data-testid=custom-alice]', { hasText: `In a meeting ${run}` }).waitFor({ timeout: 10000 });
  // Alice does nothing for IDLE_MS: Bob sees her away, then back on activity.
  await bob.page.locator('[data-testid=person-alice][data-status=away]').waitFor({ timeout: IDLE_MS + 10000 });
  await alice.page.mouse.move(200, 300);
  await alice.page.mouse.move(260, 320);
  await bob.page.locator('[data-testid=person-alice][data-status=online]').waitFor({ timeout: 10000 });
  assert.match(await aliceOnBob.innerText(), /Alice/);
});

test('offline, messages queue with a badge; back online each arrives once', async () => {
  const { alice, bob } = users;
  await alice.context.setOffline(true);
  await alice.page.locator('[data-testid=offline-banner][data-online=false]').waitFor({ timeout: 10000 });
  const texts = [1, 2, 3].map((i) => `offline ${i} ${run}`);
  for (const t of texts) await send(alice.page, t);
  await alice.page.locator('[data-testid=queued-badge]', { hasText: '3 queued' }).waitFor({ timeout: 5000 });
  assert.equal(await ticksOf(alice.page, texts[0]).getAttribute('data-state'), 'pending');
  // Without a link: no quality or latency, and her own dot says offline.
  assert.equal(await alice.page.locator('[data-testid=latency]').count(), 0);
  assert.equal(await alice.page.locator('.status-editor .dot').getAttribute('data-status'), 'offline');
  if (process.env.SCREENSHOT_DIR) {
    await alice.page.click('[data-testid=privacy-toggle]');
    await alice.page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/alice-offline.png` });
    await alice.page.click('[data-testid=privacy-toggle]');
  }
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await messagesWith(bob.page, `offline 1 ${run}`).count(), 0, 'nothing left while offline');
  await alice.context.setOffline(false);
  for (const t of texts) await messagesWith(bob.page, t).waitFor({ timeout: 20000 });
  await alice.page.locator('[data-testid=queued-badge]').waitFor({ state: 'detached', timeout: 10000 });
  await ticksOf(alice.page, texts[2]).and(alice.page.locator('[data-state=read]')).waitFor({ timeout: 10000 });
  await new Promise((r) => setTimeout(r, 1000));
  for (const t of texts) assert.equal(await messagesWith(bob.page, t).count(), 1, `${t} once on Bob's side`);
  const { messages } = await control('GET', '/received');
  for (const t of texts) assert.equal(messages.filter((m) => m.content === t).length, 1, `${t} once on the server`);
});

test('a reload keeps the queue, and what it held is delivered once', async () => {
  const { alice, bob } = users;
  // Alice's realtime link is refused (her page still loads): she stays disconnected.
  let blocked = true;
  await alice.context.routeWebSocket(/\/socket\.io\//, (ws) => (blocked ? ws.close() : ws.connectToServer()));
  await control('POST', '/drop', {});
  await alice.page.locator('[data-testid=connection][data-state=connected]').waitFor({ state: 'detached', timeout: 10000 });
  const texts = [1, 2].map((i) => `kept ${i} ${run}`);
  for (const t of texts) await send(alice.page, t);
  await alice.page.locator('[data-testid=queued-badge]', { hasText: '2 queued' }).waitFor({ timeout: 5000 });
  await alice.page.reload();
  await alice.page.locator('[data-testid=queued-badge]', { hasText: '2 queued' }).waitFor({ timeout: 10000 });
  for (const t of texts) await messagesWith(alice.page, t).waitFor({ timeout: 5000 });
  blocked = false;
  for (const t of texts) await messagesWith(bob.page, t).waitFor({ timeout: 20000 });
  await alice.page.locator('[data-testid=queued-badge]').waitFor({ state: 'detached', timeout: 10000 });
  await new Promise((r) => setTimeout(r, 1000));
  for (const t of texts) {
    assert.equal(await messagesWith(bob.page, t).count(), 1, `${t} once on Bob's side`);
    assert.equal(await messagesWith(alice.page, t).count(), 1, `${t} once on Alice's side`);
  }
  const { messages } = await control('GET', '/received');
  for (const t of texts) assert.equal(messages.filter((m) => m.content === t).length, 1, `${t} once on the server`);
});
