// Payload checks. The real server validates nothing: a malformed payload
// crashes it (an unhandled rejection in an async handler), is stored as
// garbage, or fails with INTERNAL_ERROR. Here every malformed payload is
// refused the same way instead: an `error` event INVALID_PAYLOAD, a failed ack
// when one was asked, and one more `contractViolations` in /stats.

export class ApiError extends Error {
  constructor(code, message, details) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export const invalid = (message, field) => new ApiError('INVALID_PAYLOAD', message, field ? { field } : undefined);

export function requireObject(p) {
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw invalid('payload must be an object');
  return p;
}

export function requireString(p, field) {
  const v = p[field];
  if (typeof v !== 'string' || v.length === 0) throw invalid(`${field} must be a non-empty string`, field);
  return v;
}

/** undefined/null -> undefined; else must be a string. */
export function optionalString(p, field) {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`${field} must be a string`, field);
  return v;
}

export function requireStringArray(p, field) {
  const v = p[field];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(`${field} must be an array of strings`, field);
  return v;
}

export function optionalStringArray(p, field) {
  if (p[field] === undefined || p[field] === null) return undefined;
  return requireStringArray(p, field);
}

// What Postgres accepts for a TIMESTAMPTZ written as an ISO-8601 string.
const ISO_RE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;

/** True for an ISO-8601 date(-time) string that parses. */
export const isIsoDate = (v) => typeof v === 'string' && ISO_RE.test(v) && Number.isFinite(Date.parse(v));

/** A time given as ms since the epoch or as an ISO string, in ms; undefined if absent. */
export function optionalTime(p, field) {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (isIsoDate(v)) return Date.parse(v);
  throw invalid(`${field} must be ms since the epoch or an ISO-8601 string`, field);
}

export const PRESENCE_STATUSES = ['online', 'away', 'busy', 'offline'];

/**
 * `presence:update`'s customStatus: `{text, emoji?, expiresAt?: ISO string}` or
 * absent (which clears it, as the real upsert writes NULL).
 */
export function presenceFields(p) {
  if (!PRESENCE_STATUSES.includes(p.status)) {
    throw invalid(`status must be one of ${PRESENCE_STATUSES.join('|')}`, 'status');
  }
  const cs = p.customStatus;
  if (cs === undefined || cs === null) return { status: p.status, customStatus: null, customEmoji: null, expiresAt: null };
  if (typeof cs !== 'object' || Array.isArray(cs)) {
    throw invalid('customStatus must be an object {text, emoji?, expiresAt?}', 'customStatus');
  }
  for (const f of ['text', 'emoji']) {
    if (cs[f] !== undefined && cs[f] !== null && typeof cs[f] !== 'string') {
      throw invalid(`customStatus.${f} must be a string`, `customStatus.${f}`);
    }
  }
  if (typeof cs.emoji === 'string' && cs.emoji.length > 100) {
    throw invalid('customStatus.emoji is longer than 100 characters (VARCHAR(100))', 'customStatus.emoji');
  }
  if (cs.expiresAt !== undefined && cs.expiresAt !== null && cs.expiresAt !== '' && !isIsoDate(cs.expiresAt)) {
    throw invalid('customStatus.expiresAt must be an ISO-8601 string (the real server writes it to a TIMESTAMPTZ and crashes otherwise)', 'customStatus.expiresAt');
  }
  return {
    status: p.status,
    // `|| null` as the real upsert: an empty text or emoji is stored as NULL
    customStatus: cs.text || null,
    customEmoji: cs.emoji || null,
    expiresAt: cs.expiresAt || null,
  };
}

/** The failure body an ack and the `error` event carry. */
export function errorBody(event, err) {
  const body = { code: err.code, message: err.message };
  body.details = { event, ...(err.details ?? {}) };
  return body;
}

/** Split Socket.IO handler args into [payload, ack|null]. */
export function splitArgs(args) {
  const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
  return [args[0], ack, args];
}
