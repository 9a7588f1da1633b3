// `make demo`'s page, end to end: it loads the release package, connects with
// a development token and shows the connection state live.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, staticServer, control, serverUrl, controlUrl } from './browser.mjs';

let browser, web;
before(async () => { browser = await launch(); web = await staticServer(); });
after(async () => { await browser?.close(); web?.server.close(); });

test('the demo page shows "connected" and follows a lost link back to connected', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${web.url}/?server=${serverUrl}&control=${controlUrl}&user=demo-e2e`);
  await page.waitForFunction(() => window.__client && document.getElementById('state').textContent === 'connected', null, { timeout: 15000 });
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT });
  await page.evaluate(() => { window.__states = []; window.__client.onStateChange((s) => window.__states.push(s)); });
  await control('POST', '/drop', {});
  await page.waitForFunction(() => window.__states.includes('reconnecting') && document.getElementById('state').textContent === 'connected', null, { timeout: 15000 });
  assert.deepEqual(errors, []);
  await page.close();
});
