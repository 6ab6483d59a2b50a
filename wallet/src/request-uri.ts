import { KycError } from '../../protocol/src';
import { REQUEST_URI_PATH } from '../../protocol/src/http/web-api';
import { checkServiceUrl, requestBytes, type HttpOptions } from './http';
import type { VerifiedRegistration } from './registration';

/**
 * The short QR a bank desk shows carries only a reference, `<bank>/v1/registrations/<id>/request`, from which
 * the wallet fetches the bank-signed registration (as OpenID4VP's `request_uri`); the long QR carries the
 * signed registration itself. Both end as the same JWS, checked the same way.
 */

/** The registration id a QR's text refers to, when it is a short reference; `undefined` for a JWS. */
export function requestReference(text: string): { readonly url: URL; readonly registrationId: string } | undefined {
  if (!/^https?:\/\//.test(text)) return undefined;
  const url = checkServiceUrl(text, 'the QR code');
  const match = REQUEST_URI_PATH.exec(url.pathname);
  if (match?.[1] === undefined || url.search !== '' || url.hash !== '') {
    throw new KycError('KYC_INVALID_ARGUMENT', 'the QR code is a link, but not to a bank registration');
  }
  return { url, registrationId: match[1] };
}

/** The QR's text as a registration JWS: itself, or the one its reference points to. */
export async function registrationText(text: string, options: Readonly<HttpOptions> = {}): Promise<string> {
  const reference = requestReference(text);
  if (reference === undefined) return text;
  const body = await requestBytes({ method: 'GET', url: reference.url.href }, options);
  return body.toString('utf8').trim();
}

/**
 * A fetched registration must be the one the QR named, sent back to the bank that served it: otherwise a
 * reference could make the wallet present to a registration it never saw.
 *
 * @throws KycError KYC_MISMATCH otherwise.
 */
export function checkReferenced(text: string, registration: VerifiedRegistration): void {
  const reference = requestReference(text);
  if (reference === undefined) return;
  if (registration.payload.registration_id !== reference.registrationId) {
    throw new KycError('KYC_MISMATCH', 'the bank answered with another registration than the QR code names');
  }
  if (new URL(registration.payload.endpoint).origin !== reference.url.origin) {
    throw new KycError('KYC_MISMATCH', 'the registration sends to another origin than the QR code names');
  }
}
