import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { KycError } from '../../../protocol/src';

/**
 * Bearer-token authentication for officer and admin endpoints (docs/services.md explains the choice).
 * Tokens are 256-bit random strings shown once at creation; only their SHA-256 is stored, so a leaked database
 * does not leak usable tokens. Lookup compares digests in constant time.
 */

export interface Principal {
  /** `admin`, or the officer's enrollment id. */
  readonly name: string;
  readonly role: 'admin' | 'officer';
}

/** A new random token (43 base64url characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The digest a token is stored as. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Resolves token digests to principals; the services back it with their officer store. */
export interface TokenDirectory {
  readonly adminTokenDigest: string;
  officerByTokenDigest(digest: string): Promise<string | undefined>;
  /** The officer of a browser session cookie (services/src/web/sessions.ts); throws KYC_FORBIDDEN without CSRF. */
  officerBySession?(request: FastifyRequest): string | undefined;
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer ([A-Za-z0-9_-]{20,128})$/.exec(header);
  if (match?.[1] === undefined) {
    throw new KycError('KYC_UNAUTHENTICATED', 'send Authorization: Bearer <token>');
  }
  return match[1];
}

/**
 * Authenticates a request as the admin or an officer.
 *
 * @throws KycError KYC_UNAUTHENTICATED when the token is missing or unknown, KYC_FORBIDDEN when the
 *   principal lacks the role.
 */
export async function authenticate(
  request: FastifyRequest,
  directory: TokenDirectory,
  allowed: readonly Principal['role'][],
): Promise<Principal> {
  const sessionOfficer =
    request.headers.authorization === undefined ? directory.officerBySession?.(request) : undefined;
  if (sessionOfficer !== undefined && allowed.includes('officer')) return { name: sessionOfficer, role: 'officer' };
  const digest = tokenDigest(bearerToken(request));
  let principal: Principal | undefined;
  if (sameDigest(digest, directory.adminTokenDigest)) {
    principal = { name: 'admin', role: 'admin' };
  } else {
    const officer = await directory.officerByTokenDigest(digest);
    principal = officer === undefined ? undefined : { name: officer, role: 'officer' };
  }
  if (principal === undefined) {
    throw new KycError('KYC_UNAUTHENTICATED', 'unknown or revoked token');
  }
  if (!allowed.includes(principal.role)) {
    throw new KycError('KYC_FORBIDDEN', `this endpoint needs the ${allowed.join(' or ')} role`);
  }
  return principal;
}

/** The officer behind a request (an officer's bearer token), or KYC_UNAUTHENTICATED / KYC_FORBIDDEN. */
export function officerOf(directory: TokenDirectory): (request: FastifyRequest) => Promise<Principal> {
  return (request) => authenticate(request, directory, ['officer']);
}

/** OpenAPI: officer endpoints take a bearer token. */
export const SECURED = [{ bearer: [] }];
