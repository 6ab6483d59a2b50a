import {
  disclosuresHash,
  KycError,
  PRESENTATION_CONTENT_TYPE,
  signJws,
  TYP,
  type ConsentPayload,
  type RegistrationPayload,
} from '../../protocol/src';
import { credentialClaims, isCurrent, type Credential } from './credential';
import { encryptToOrganisation } from './jwe';
import { checkServiceUrl, requestJson, type HttpOptions } from './http';
import type { PersonKey } from './keys';

/** How long a consent stays valid: it is sent at once, the bank consumes it on arrival. */
export const CONSENT_LIFETIME_SECONDS = 300;

export interface BuildPresentationOptions {
  readonly key: PersonKey;
  /** A registration payload that {@link verifyRegistration} accepted. */
  readonly registration: RegistrationPayload;
  /** The credential whose disclosures are presented. */
  readonly credential: Credential;
  /** The claims the person chose to present, in the order they are sent. */
  readonly claimNames: readonly string[];
  /** Default: the current time. */
  readonly now?: Date;
}

/** The plaintext inside the presentation JWE. */
export interface PresentationPlaintext {
  readonly personId: string;
  readonly certifier: string;
  readonly kind: string;
  readonly disclosures: readonly string[];
  readonly consent: string;
}

export interface BuiltPresentation {
  /** Compact JWE (ECDH-ES, A256GCM) to the bank's `enc_jwk`, `kid` = registration id. */
  readonly jwe: string;
  /** The consent JWS inside it. */
  readonly consent: string;
  /** The disclosures inside it, in order. */
  readonly disclosures: readonly string[];
  /** Claims the bank asked for that the person chose not to present (the bank may refuse). */
  readonly omitted: readonly string[];
}

function checkChoice(registration: RegistrationPayload, credential: Credential, claimNames: readonly string[]): void {
  if (claimNames.length === 0 || new Set(claimNames).size !== claimNames.length) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'choose at least one claim, each once');
  }
  const notAsked = claimNames.filter((name) => !registration.claims.includes(name));
  if (notAsked.length > 0) {
    throw new KycError('KYC_INVALID_ARGUMENT', `the bank did not ask for ${notAsked.join(', ')}: not sent`);
  }
  const held = credentialClaims(credential);
  const missing = claimNames.filter((name) => !held.has(name));
  if (missing.length > 0) {
    throw new KycError('KYC_NOT_FOUND', `the credential holds no ${missing.join(', ')}`);
  }
}

function checkUsable(key: PersonKey, registration: RegistrationPayload, credential: Credential, now: Date): void {
  if (credential.personId !== key.did) {
    throw new KycError('KYC_MISMATCH', 'the credential belongs to another key');
  }
  if (!isCurrent(credential, now)) {
    throw new KycError('KYC_EXPIRED', 'the credential has expired');
  }
  if (credential.record.level < registration.min_level) {
    throw new KycError(
      'KYC_UNTRUSTED',
      `the bank asks for level ${registration.min_level}; the credential has level ${credential.record.level}`,
    );
  }
  if (registration.exp <= Math.floor(now.getTime() / 1000)) {
    throw new KycError('KYC_EXPIRED', 'the registration has expired');
  }
}

/**
 * Builds a presentation for a verified registration: the chosen disclosures (and only those), a consent JWS
 * binding them (`disclosures_hash` over them in the order sent) to this bank, registration and nonce, all
 * encrypted to the bank's key as a compact JWE.
 *
 * Policy: the person may present fewer claims than the bank asked for (they are listed in `omitted`; the bank
 * may then refuse), never a claim the bank did not ask for, and never a claim the credential lacks. The
 * credential must belong to `key`, be unexpired and meet the registration's `min_level`.
 *
 * @example
 * const { jwe } = await buildPresentation({ key, registration: payload, credential, claimNames: ['given_name'] });
 * @throws KycError KYC_INVALID_ARGUMENT for an empty, repeated or unrequested choice.
 * @throws KycError KYC_NOT_FOUND when the credential lacks a chosen claim.
 * @throws KycError KYC_MISMATCH when the credential belongs to another key.
 * @throws KycError KYC_EXPIRED when the credential or registration has expired.
 * @throws KycError KYC_UNTRUSTED when the credential's level is below the registration's `min_level`.
 */
export async function buildPresentation(options: Readonly<BuildPresentationOptions>): Promise<BuiltPresentation> {
  const { key, registration, credential, claimNames } = options;
  const now = options.now ?? new Date();
  checkChoice(registration, credential, claimNames);
  checkUsable(key, registration, credential, now);
  const held = credentialClaims(credential);
  const disclosures = claimNames.map((name) => held.get(name)?.disclosure ?? '');
  const iat = Math.floor(now.getTime() / 1000);
  const consentPayload: ConsentPayload = {
    sub: key.did,
    aud: registration.iss,
    registration_id: registration.registration_id,
    nonce: registration.nonce,
    iat,
    exp: iat + CONSENT_LIFETIME_SECONDS,
    certifier: credential.record.certifier,
    kind: credential.record.kind,
    disclosures_hash: disclosuresHash(disclosures),
  };
  const consent = await signJws({ typ: TYP.consent }, { ...consentPayload }, key.sign);
  const plaintext: PresentationPlaintext = {
    personId: key.did,
    certifier: credential.record.certifier,
    kind: credential.record.kind,
    disclosures,
    consent,
  };
  const jwe = await encryptToOrganisation(
    plaintext,
    registration.enc_jwk,
    { cty: PRESENTATION_CONTENT_TYPE, kid: registration.registration_id },
    'bank',
  );
  const omitted = registration.claims.filter((name) => !claimNames.includes(name));
  return { jwe, consent, disclosures, omitted };
}

/**
 * Posts a presentation JWE to the registration's endpoint (`content-type: application/jose`) and returns the
 * bank's JSON answer.
 *
 * @throws KycError with the bank's code when it answers `{ error: { code, message } }`.
 * @throws KycError KYC_UNAVAILABLE when the bank cannot be reached within the timeout (default 10 s).
 * @throws KycError KYC_INVALID_ARGUMENT when the endpoint is not an http(s) URL.
 */
export async function submitPresentation(
  endpoint: string,
  jwe: string,
  options: Readonly<HttpOptions> = {},
): Promise<Record<string, unknown>> {
  const url = checkServiceUrl(endpoint, 'presentation endpoint');
  const body = await requestJson(
    { method: 'POST', url: url.href, body: jwe, contentType: 'application/jose' },
    options,
  );
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new KycError('KYC_UNAVAILABLE', 'the bank answered something other than a JSON object');
  }
  return body as Record<string, unknown>;
}
