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
  claims.iatMs = Date.now(); // for /expire-tokens (iat has whole seconds only)
  claims.exp = now + Math.floor(expiresIn);
  return claims;
}

/** A per-process secret: the gateway's internal sockets send it (header `x-gateway-key`). */
export const GATEWAY_KEY = crypto.randomBytes(16).toString('hex');

/** True for a request of the SSE gateway's own internal Socket.IO client. */
export const isGatewayRequest = (req) => req?.headers?.['x-gateway-key'] === GATEWAY_KEY;

/** When a token was issued, in ms (`iatMs` from `/token`, else `iat`); 0 when unknown. */
const issuedMs = (claims) => (typeof claims.iatMs === 'number' ? claims.iatMs : typeof claims.iat === 'number' ? claims.iat * 1000 : 0);

/**
 * The claims of `token`, or an AuthError with the real refusal message. Counts in
 * /stats; `/reject-auth` and `/expire-tokens` apply. Socket.IO handshakes and the
 * SSE backend's HTTP requests both go through here, so they refuse alike.
 */
export function authenticate(ctx, token) {
  const { inst, faults, config } = ctx;
  inst.stats.authAttempts += 1;
  try {
    if (faults.rejectAuth > 0) {
      faults.rejectAuth -= 1;
      throw new AuthError('Invalid token', 'AUTH_REJECTED');
    }
    let claims;
    try {
      claims = verifyJwt(token, config.jwtSecret);
    } catch (e) {
      throw e instanceof AuthError ? e : invalid();
    }
    if (faults.tokensExpiredAt && issuedMs(claims) <= faults.tokensExpiredAt) throw invalid('TOKEN_EXPIRED');
    return claims;
  } catch (e) {
    inst.stats.authRejected += 1;
    log('auth rejected', e.message, e.data.code);
    throw e;
  }
}

/**
 * Socket.IO middleware: the token comes from `auth.token` only, as on the real
 * server. The SSE gateway's internal sockets (GATEWAY_KEY) bring the claims the
 * HTTP request was already checked for, so they are neither refused nor counted.
 */
export function authMiddleware(ctx) {
  return (socket, next) => {
    const auth = socket.handshake.auth && typeof socket.handshake.auth === 'object' ? socket.handshake.auth : {};
    const gateway = isGatewayRequest(socket.request) && auth.gatewayClaims && typeof auth.gatewayClaims === 'object';
    let claims;
    if (gateway) {
      claims = auth.gatewayClaims;
    } else {
      try {
        claims = authenticate(ctx, auth.token);
      } catch (e) {
        next(e);
        return;
      }
    }
    socket.data.userId = claims.userId;
    socket.data.sessionId = typeof claims.sessionId === 'string' ? claims.sessionId : null;
    socket.data.userName = typeof claims.name === 'string' ? claims.name : claims.userId;
    socket.data.avatar = typeof claims.avatar === 'string' ? claims.avatar : null;
    socket.data.device = auth.device && typeof auth.device === 'object' ? auth.device : null;
    socket.data.gateway = gateway ? String(auth.gatewaySession) : null;
    next();
  };
}
