import QRCode from 'qrcode';

/**
 * The short QR of a registration: it carries only the `request_uri` from which the wallet fetches the signed
 * request (as OpenID4VP's `request_uri`), not the request with its certificate chain. Error correction M, the
 * usual level for a screen; the largest version a phone reads at a desk comfortably is 10.
 */
export const SHORT_QR_LEVEL = 'M';
export const MAX_SHORT_QR_VERSION = 10;

export function requestUriOf(publicUrl: string, registrationId: string): string {
  return `${publicUrl}/v1/registrations/${registrationId}/request`;
}

/** The QR version `text` needs at level M. */
export function shortQrVersion(text: string): number {
  return QRCode.create(text, { errorCorrectionLevel: SHORT_QR_LEVEL }).version;
}

/** PNG data URL of the short QR: 8 pixels per module, 4-module quiet zone. */
export async function shortQrPng(text: string): Promise<string> {
  return QRCode.toDataURL(text, { errorCorrectionLevel: SHORT_QR_LEVEL, scale: 8, margin: 4 });
}
