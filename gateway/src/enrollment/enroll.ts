import { X509Certificate } from 'node:crypto';
import type { HsmToken } from '../hsm';
import type { HsmIdentity } from '../fabric';
import {
  assertCaEndpoint,
  newCaService,
  toEnrollmentError,
  withHsmRegistrar,
  type CaEndpoint,
  type HsmRegistrar,
} from './ca-client';
import { createCsrPem } from './csr';
import { MSP_ID } from '../../../protocol/src';
import { EnrollmentError } from './errors';
import { ENROLLMENT_ID, type IdentityStore, type StoredIdentity } from './identity-store';

/**
 * Registration and enrollment of identities whose keys are generated in an HSM token, through fabric-ca-client
 * with a CSR signed in the token (see ca-client.ts for how the registrar's auth token is signed there too).
 */

/** fabric-ca identity types. */
export const IDENTITY_TYPES = ['client', 'peer', 'orderer', 'admin', 'user'] as const;
export type IdentityType = (typeof IDENTITY_TYPES)[number];

/** An attribute to register, e.g. `{ name: 'kyc.role', value: 'certifier', ecert: true }`. */
export interface RegisterAttribute {
  readonly name: string;
  readonly value: string;
  /** Put it into enrollment certificates by default (fabric-ca's `:ecert`). */
  readonly ecert?: boolean;
}

/** What to register. */
export interface RegisterOptions extends CaEndpoint {
  readonly registrar: HsmRegistrar;
  readonly enrollmentId: string;
  readonly type: IdentityType;
  readonly attrs?: readonly RegisterAttribute[];
  /** Default: the CA chooses a random secret. */
  readonly secret?: string;
  /** Default: the registrar's affiliation. */
  readonly affiliation?: string;
  /** Default 1: a key made in an HSM is enrolled once; the secret cannot be reused. */
  readonly maxEnrollments?: number;
}

/** What to enroll. */
export interface EnrollOptions extends CaEndpoint {
  readonly mspId: string;
  readonly enrollmentId: string;
  readonly secret: string;
  /** The token in which the new key is generated. */
  readonly token: HsmToken;
  /** Attributes to ask for; default: those registered with `ecert`. */
  readonly attrReqs?: readonly { readonly name: string; readonly optional?: boolean }[];
}

/** What {@link registerAndEnroll} needs. */
export interface RegisterAndEnrollOptions extends Omit<RegisterOptions, 'secret'> {
  /** The token in which the new key is generated (need not be the registrar's). */
  readonly token: HsmToken;
  /** When given, the new identity is stored there (refused up front if it exists already). */
  readonly store?: IdentityStore;
}

/** The result of an enrollment: certificate, SKI of the HSM key, and the CA chain. */
export interface EnrolledIdentity extends HsmIdentity {
  readonly caChainPem: string;
}

const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
const ATTRIBUTE_VALUE = /^[\x20-\x7e]{0,256}$/;

function invalid(message: string): never {
  throw new EnrollmentError('ENROLLMENT_INVALID_ARGUMENT', message);
}

function assertEnrollmentId(enrollmentId: unknown): asserts enrollmentId is string {
  if (typeof enrollmentId !== 'string' || !ENROLLMENT_ID.test(enrollmentId)) {
    invalid(`enrollment ids must match ${ENROLLMENT_ID.source}`);
  }
}

function assertAttributes(attrs: readonly RegisterAttribute[]): void {
  for (const attr of attrs) {
    if (typeof attr.name !== 'string' || !ATTRIBUTE_NAME.test(attr.name) || attr.name.startsWith('hf.')) {
      invalid('an attribute name is malformed or reserved (hf.*)');
    }
    if (typeof attr.value !== 'string' || !ATTRIBUTE_VALUE.test(attr.value)) {
      invalid(`attribute '${attr.name}' must have a printable value of at most 256 characters`);
    }
  }
}

function assertRegisterOptions(options: Readonly<RegisterOptions>): void {
  assertEnrollmentId(options.enrollmentId);
  if (!IDENTITY_TYPES.includes(options.type)) {
    invalid(`identity type must be one of ${IDENTITY_TYPES.join(', ')}`);
  }
  assertAttributes(options.attrs ?? []);
  const max = options.maxEnrollments;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < -1 || max === 0)) {
    invalid('maxEnrollments must be -1 (unlimited) or a positive integer');
  }
}

/**
 * Registers an identity at the CA, authenticated as an HSM registrar.
 *
 * @returns the enrollment secret.
 * @throws EnrollmentError ENROLLMENT_INVALID_ARGUMENT (nothing sent), ENROLLMENT_CA_REJECTED,
 *   ENROLLMENT_CA_UNREACHABLE; HsmError when the registrar's token cannot sign.
 */
export async function register(options: Readonly<RegisterOptions>): Promise<string> {
  assertRegisterOptions(options);
  const ca = newCaService(options);
  try {
    return await withHsmRegistrar(options.registrar, (registrar) =>
      ca.register(
        {
          enrollmentID: options.enrollmentId,
          role: options.type,
          affiliation: options.affiliation ?? '',
          maxEnrollments: options.maxEnrollments ?? 1,
          attrs: (options.attrs ?? []).map((attr) => ({
            name: attr.name,
            value: attr.value,
            ecert: attr.ecert ?? false,
          })),
          ...(options.secret === undefined ? {} : { enrollmentSecret: options.secret }),
        },
        registrar,
      ),
    );
  } catch (error) {
    throw toEnrollmentError(error, `registering ${options.enrollmentId} at ${options.caName}`);
  }
}

/**
 * Enrolls a registered identity with a new key generated in `token`: the CSR (CN = enrollment id) is signed
 * in the token, and the issued certificate must certify that key. On any failure after the key was made, the
 * key is destroyed again.
 *
 * @throws EnrollmentError ENROLLMENT_INVALID_ARGUMENT (nothing sent), ENROLLMENT_CA_REJECTED,
 *   ENROLLMENT_CA_UNREACHABLE, ENROLLMENT_KEY_MISMATCH; HsmError from the token.
 */
export async function enrollWithHsm(options: Readonly<EnrollOptions>): Promise<EnrolledIdentity> {
  assertEnrollmentId(options.enrollmentId);
  if (typeof options.mspId !== 'string' || !MSP_ID.test(options.mspId)) {
    invalid('the MSP id is missing or malformed');
  }
  if (typeof options.secret !== 'string' || options.secret.length === 0) {
    invalid('the enrollment secret is required');
  }
  const ca = newCaService(options);
  const { ski, publicKey } = await options.token.generateKeyPair({ usage: 'sign', label: options.enrollmentId });
  try {
    const csr = await createCsrPem({ commonName: options.enrollmentId, publicKey, sign: options.token.es256(ski) });
    let enrollment: { certificate: string; rootCertificate: string };
    try {
      enrollment = await ca.enroll({
        enrollmentID: options.enrollmentId,
        enrollmentSecret: options.secret,
        csr,
        ...(options.attrReqs === undefined
          ? {}
          : { attr_reqs: options.attrReqs.map((req) => ({ name: req.name, optional: req.optional ?? false })) }),
      });
    } catch (error) {
      throw toEnrollmentError(error, `enrolling ${options.enrollmentId} at ${options.caName}`);
    }
    if (!new X509Certificate(enrollment.certificate).publicKey.equals(publicKey)) {
      throw new EnrollmentError('ENROLLMENT_KEY_MISMATCH', 'the CA certified another key than the HSM key');
    }
    return {
      mspId: options.mspId,
      certificatePem: enrollment.certificate,
      ski,
      caChainPem: enrollment.rootCertificate,
    };
  } catch (error) {
    await options.token.destroyKey(ski).catch(() => undefined);
    throw error;
  }
}

/**
 * Registers an identity (as an HSM registrar) and enrolls it with a new key generated in `token`; stores it
 * in `store` when given. Checks everything it can before sending anything. If enrollment fails after the
 * registration succeeded, the new key is destroyed, but the CA keeps the registration.
 *
 * @example
 * const officer = await registerAndEnroll({ caUrl, caName, tlsCertPem, registrar, token, store,
 *   enrollmentId: 'officer2', type: 'client', attrs: [{ name: 'kyc.role', value: 'certifier', ecert: true }] });
 * @throws EnrollmentError (see {@link register}, {@link enrollWithHsm}), ENROLLMENT_CONFLICT when the store
 *   holds the identity already; HsmError from the tokens.
 */
export async function registerAndEnroll(options: Readonly<RegisterAndEnrollOptions>): Promise<StoredIdentity> {
  assertRegisterOptions(options);
  const mspId = options.registrar.identity.mspId;
  if (options.store?.get(mspId, options.enrollmentId) !== undefined) {
    throw new EnrollmentError('ENROLLMENT_CONFLICT', `the store already holds ${options.enrollmentId} of ${mspId}`);
  }
  assertCaEndpoint(options);
  const secret = await register(options);
  const enrolled = await enrollWithHsm({ ...options, mspId, secret });
  const identity: StoredIdentity = {
    mspId,
    enrollmentId: options.enrollmentId,
    type: options.type,
    tokenLabel: options.token.label,
    ski: enrolled.ski,
    certificatePem: enrolled.certificatePem,
    enrolledAt: new Date().toISOString(),
  };
  options.store?.put(identity);
  return identity;
}
