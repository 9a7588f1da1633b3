// Handshake authentication: JWT HS256 with the real server's refusal messages.
import crypto from 'node:crypto';
import { log } from './config.js';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** Sign `claims` as an HS256 JWT (node:crypto, no dependency). */
export function signJwt(claims, secret) {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${sig}`;
}

/**
 * A refusal. Socket.IO sends `message` and `data` in the CONNECT_ERROR packet;
 * the message is the real server's, `data.code` says which check failed.
 */
export class AuthError extends Error {
  constructor(message, code) {
    super(message);
    this.data = { code };
  }
}

const invalid = (code = 'INVALID_TOKEN') => new AuthError('Invalid token', code);

/** The claims of a valid token, or an AuthError. */
export function verifyJwt(token, secret) {
  if (token === undefined || token === null || token === '' || token === false || token === 0) {
    throw new AuthError('Authentication required', 'MISSING_TOKEN');
  }
  if (typeof token !== 'string') throw invalid();
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid();
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!header || header.alg !== 'HS256') throw invalid();
  const expected = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw invalid();
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw invalid();
  const nowSec = Date.now() / 1000;
  if (claims.exp !== undefined && typeof claims.exp !== 'number') throw invalid();
  if (typeof claims.exp === 'number' && nowSec >= claims.exp) throw invalid('TOKEN_EXPIRED');
  if (typeof claims.nbf === 'number' && nowSec < claims.nbf) throw invalid();
  const userId = typeof claims.userId === 'string' && claims.userId ? claims.userId : claims.sub;
  if (typeof userId !== 'string' || userId.length === 0) throw invalid();
  return { ...claims, userId };
}

let sessionSeq = 0;

/** `GET /token` claims: the real server reads `userId` (and `sessionId`); `sub` is kept for other servers. */
export function tokenClaims(q) {
  const now = Math.floor(Date.now() / 1000);
  const expiresIn = q.has('expiresIn') ? Number(q.get('expiresIn')) : 3600;
  if (!Number.isFinite(expiresIn)) throw Object.assign(new Error('expiresIn must be a number'), { status: 400 });
  const sub = q.get('sub') || 'user';
  sessionSeq += 1;
  const claims = {};
  if (q.get('noUserId') !== '1') claims.userId = sub;
  claims.sub = sub;
  claims.sessionId = `s_${sessionSeq}`;
  if (q.get('name')) claims.name = q.get('name');
  if (q.get('avatar')) claims.avatar = q.get('avatar');
  claims.iat = now;
  claims.exp = now + Math.floor(expiresIn);
  return claims;
}

/** Socket.IO middleware: the token comes from `auth.token` only, as on the real server. */
export function authMiddleware(ctx) {
  return (socket, next) => {
    const { inst, faults, config } = ctx;
    inst.stats.authAttempts += 1;
    const reject = (err) => {
      inst.stats.authRejected += 1;
      log('auth rejected', err.message, err.data.code);
      next(err);
    };
    const auth = socket.handshake.auth && typeof socket.handshake.auth === 'object' ? socket.handshake.auth : {};
    if (faults.rejectAuth > 0) {
      faults.rejectAuth -= 1;
      reject(new AuthError('Invalid token', 'AUTH_REJECTED'));
      return;
    }
    let claims;
    try {
      claims = verifyJwt(auth.token, config.jwtSecret);
    } catch (e) {
      reject(e instanceof AuthError ? e : invalid());
      return;
    }
    socket.data.userId = claims.userId;
    socket.data.sessionId = typeof claims.sessionId === 'string' ? claims.sessionId : null;
    socket.data.userName = typeof claims.name === 'string' ? claims.name : claims.userId;
    socket.data.avatar = typeof claims.avatar === 'string' ? claims.avatar : null;
    socket.data.device = auth.device && typeof auth.device === 'object' ? auth.device : null;
    next();
  };
}
