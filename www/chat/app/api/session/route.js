// Signs a demo user in: a development token for the realtime server, signed
// here with the server's shared secret (HS256, the claims the nself server
// reads: userId, sessionId; `name` is the test server's extension), and the
// settings the page needs at run time (so one build serves any ports).
import { createHmac, randomUUID } from 'node:crypto';
import { USERS } from '../../users.js';

export const dynamic = 'force-dynamic';

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function sign(claims, secret) {
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

export function GET(request) {
  const id = new URL(request.url).searchParams.get('user');
  const user = USERS.find((u) => u.id === id);
  if (!user) return Response.json({ error: 'unknown user' }, { status: 404 });
  const now = Math.floor(Date.now() / 1000);
  const token = sign(
    { userId: user.id, sub: user.id, name: user.name, sessionId: randomUUID(), iat: now, exp: now + 12 * 3600 },
    process.env.JWT_SECRET ?? 'dev-secret',
  );
  const env = process.env;
  // Several URLs (instances sharing one Redis): each user on one of them.
  const urls = (env.REALTIME_URL ?? 'http://127.0.0.1:3101').split(',');
  return Response.json({
    user,
    token,
    url: urls[USERS.indexOf(user) % urls.length],
    idleTimeoutMs: Number(env.CHAT_IDLE_MS ?? 60000),
  }, { headers: { 'cache-control': 'no-store' } });
}
