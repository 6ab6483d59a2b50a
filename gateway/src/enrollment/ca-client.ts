import { createHash, X509Certificate } from 'node:crypto';
import type { ClientRequest, IncomingMessage } from 'node:http';
import * as https from 'node:https';
import FabricCAServices from 'fabric-ca-client';
import { isHsmError, p1363ToLowSDer, type HsmToken } from '../hsm';
import type { HsmIdentity } from '../fabric';
import { EnrollmentError, type CaErrorDetail } from './errors';

/**
 * fabric-ca-client, driven without keys. Two seams matter:
 *
 * - enroll: given a `csr`, `FabricCAServices.enroll` generates no key, so it needs no crypto suite beyond a
 *   hash; we hand it a minimal one, and fabric-common's suites (the PKCS#11 one would C_Initialize a second
 *   time) are never constructed.
 * - register (and every registrar call): `FabricCAClient.generateAuthToken` signs
 *   `METHOD.b64(path).b64(body).b64(cert)` by calling `registrar.getSigningIdentity().sign(text)` and expects
 *   the signature back synchronously, but the HSM answers asynchronously. So each registrar call runs twice:
 *   a first pass captures the text to sign and aborts before any HTTP request is sent; the HSM signs its
 *   SHA-256 digest (DER, low-S: fabric-ca verifies with Fabric's BCCSP, which rejects high-S); a second pass
 *   replays the same call and returns that signature, after checking the text is byte for byte the same.
 */

/** Where the CA is. */
export interface CaEndpoint {
  /** `https://127.0.0.1:<port>` */
  readonly caUrl: string;
  /** The CA's name on that server (`--caname`), e.g. `ca-certifier`. */
  readonly caName: string;
  /** PEM of the certificate that signs the CA server's TLS certificate. */
  readonly tlsCertPem: string;
}

/** An identity allowed to register others, whose key is in an HSM token. */
export interface HsmRegistrar {
  readonly identity: HsmIdentity;
  readonly token: HsmToken;
}

/** The signing identity fabric-ca-client reads: `_certificate` and a synchronous `sign`. */
interface CaSigningIdentity {
  readonly _certificate: string;
  sign(message: string | Buffer): Buffer;
}

/**
 * The registrar object fabric-ca-client accepts. It checks `registrar.constructor.name === 'User'` and calls
 * only `getSigningIdentity()`, so this small class stands in for fabric-common's User (which would need a key).
 */
class User {
  readonly #signingIdentity: CaSigningIdentity;

  constructor(signingIdentity: CaSigningIdentity) {
    this.#signingIdentity = signingIdentity;
  }

  getSigningIdentity(): CaSigningIdentity {
    return this.#signingIdentity;
  }
}

/** The registrar type FabricCAServices' methods declare (fabric-common's User). */
export type CaRegistrar = Parameters<FabricCAServices['register']>[1];

/** Thrown by the first pass once it has the text to sign; never leaves this module. */
class AuthTokenCaptured extends Error {
  constructor(readonly text: string) {
    super('auth token text captured');
  }
}

const ENDPOINT_URL = /^https:\/\/[A-Za-z0-9.-]+:\d{1,5}\/?$/;

/**
 * Checks a CA endpoint: an https URL with a port, a CA name, a PEM certificate to trust.
 *
 * @throws EnrollmentError ENROLLMENT_INVALID_ARGUMENT otherwise.
 */
export function assertCaEndpoint(endpoint: Readonly<CaEndpoint>): void {
  if (typeof endpoint.caUrl !== 'string' || !ENDPOINT_URL.test(endpoint.caUrl)) {
    throw new EnrollmentError('ENROLLMENT_INVALID_ARGUMENT', 'the CA URL must be https://host:port (TLS is required)');
  }
  if (typeof endpoint.caName !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(endpoint.caName)) {
    throw new EnrollmentError('ENROLLMENT_INVALID_ARGUMENT', 'the CA name is missing or malformed');
  }
  try {
    new X509Certificate(endpoint.tlsCertPem);
  } catch (cause) {
    throw new EnrollmentError('ENROLLMENT_INVALID_ARGUMENT', 'the CA TLS certificate is not a PEM certificate', {
      cause,
    });
  }
}

/** The one hash fabric-ca-client asks its crypto suite for (generateAuthToken binds it); nothing else is used. */
const hashOnlySuite = {
  hash: (message: string | Buffer): string => createHash('sha256').update(message).digest('hex'),
};

/**
 * fabric-ca-client adds a 'timeout' listener to the socket of every request and never removes it; with Node's
 * keep-alive global agent the socket is reused, so listeners pile up on it (MaxListenersExceededWarning, and a
 * leak in a long-running gateway). Its HTTP module is a private field, `_fabricCAClient._httpClient`
 * (fabric-ca-client 2.2.20): give it one that opens a fresh connection per request. Skipped if the field moved.
 */
function withoutKeepAlive(service: FabricCAServices): void {
  const client = (service as unknown as { _fabricCAClient?: { _httpClient?: { request?: unknown } } })._fabricCAClient;
  if (client?._httpClient?.request !== https.request) {
    return;
  }
  client._httpClient = {
    request: (options: https.RequestOptions, callback: (response: IncomingMessage) => void): ClientRequest =>
      https.request({ ...options, agent: false }, callback),
  };
}

/** A FabricCAServices for `endpoint` that trusts only the given TLS certificate and holds no keys. */
export function newCaService(endpoint: Readonly<CaEndpoint>): FabricCAServices {
  assertCaEndpoint(endpoint);
  const service = new FabricCAServices(
    endpoint.caUrl,
    { trustedRoots: [endpoint.tlsCertPem], verify: true },
    endpoint.caName,
    hashOnlySuite as unknown as ConstructorParameters<typeof FabricCAServices>[3],
  );
  withoutKeepAlive(service);
  return service;
}

function caErrorsOf(error: unknown): CaErrorDetail[] | undefined {
  const errors = (error as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) {
    return undefined;
  }
  return errors.map((entry: unknown) => {
    const { code, message } = (entry ?? {}) as { code?: unknown; message?: unknown };
    return { code: typeof code === 'number' ? code : 0, message: typeof message === 'string' ? message : '' };
  });
}

/**
 * Translates a fabric-ca-client failure once: an answer with an error list is ENROLLMENT_CA_REJECTED (with the
 * list), anything else (refused connection, TLS, timeout) ENROLLMENT_CA_UNREACHABLE. Errors of our own
 * (EnrollmentError, HsmError from signing) pass through unchanged.
 */
export function toEnrollmentError(error: unknown, what: string): Error {
  if (error instanceof EnrollmentError || isHsmError(error)) {
    return error;
  }
  const caErrors = caErrorsOf(error);
  if (caErrors !== undefined) {
    const detail = caErrors.map((entry) => `${entry.code}: ${entry.message}`).join('; ');
    return new EnrollmentError('ENROLLMENT_CA_REJECTED', `${what}: ${detail}`, { cause: error, caErrors });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new EnrollmentError('ENROLLMENT_CA_UNREACHABLE', `${what}: ${message}`, { cause: error });
}

/**
 * Runs a fabric-ca-client call that authenticates as `registrar`, with the auth token signed in the HSM (the
 * two passes described in the module comment). `call` must build its request afresh each time.
 *
 * @throws whatever `call` throws on the second pass; HsmError when the token cannot sign.
 */
export async function withHsmRegistrar<T>(
  registrar: Readonly<HsmRegistrar>,
  call: (registrar: CaRegistrar) => Promise<T>,
): Promise<T> {
  const certificate = registrar.identity.certificatePem;
  const probe = new User({
    _certificate: certificate,
    sign: (message) => {
      throw new AuthTokenCaptured(message.toString());
    },
  });
  let text: string;
  try {
    // A call that never asks for a signature needs no second pass.
    return await call(probe as unknown as CaRegistrar);
  } catch (error) {
    if (!(error instanceof AuthTokenCaptured)) {
      throw error;
    }
    text = error.text;
  }
  const digest = createHash('sha256').update(text, 'utf8').digest();
  const signature = p1363ToLowSDer(await registrar.token.signDigest(registrar.identity.ski, digest));
  const signer = new User({
    _certificate: certificate,
    sign: (message) => {
      if (message.toString() !== text) {
        throw new Error('fabric-ca-client asked to sign different text on the second pass');
      }
      return signature;
    },
  });
  return call(signer as unknown as CaRegistrar);
}
