import { Type, type Static } from '@sinclair/typebox';

/**
 * HTTP messages of the web pages (docs/web.md): officer sessions, the registration reference the short QR
 * carries, live status events and the bank's signed callback. The services validate with these schemas and
 * the pages are typed by them, so a page and an API cannot drift.
 */

/** Header a page sends with every state change made under a session cookie (the CSRF defence). */
export const CSRF_HEADER = 'x-kyc-csrf';
/** Name of the officer session cookie (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'kyc_session';
/** Headers of the bank's signed callback. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-kyc-signature';
export const WEBHOOK_DELIVERY_HEADER = 'x-kyc-delivery';
/** Media type of the signed registration request a wallet fetches by reference (as in RFC 9101). */
export const REQUEST_OBJECT_TYPE = 'application/oauth-authz-req+jwt';

export const SignInBody = Type.Object(
  { token: Type.String({ pattern: '^[A-Za-z0-9_-]{20,128}$', description: "the officer's token" }) },
  { additionalProperties: false },
);
export type SignInBody = Static<typeof SignInBody>;

export const SessionView = Type.Object({
  officer: Type.String(),
  /** Sent back in the `x-kyc-csrf` header of every state change. */
  csrf: Type.String(),
  expiresAt: Type.String(),
});
export type SessionView = Static<typeof SessionView>;

/** What the desk shows for a registration: the short reference, its QR (level M) and the QR's version. */
export const RegistrationReference = Type.Object({
  registrationId: Type.String(),
  requestUri: Type.String(),
  qrVersion: Type.Integer(),
  qrPng: Type.String({ description: 'data:image/png;base64,…' }),
  expiresAt: Type.String(),
});
export type RegistrationReference = Static<typeof RegistrationReference>;

export const LiveStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('verifying'),
  Type.Literal('verified'),
  Type.Literal('expired'),
]);
export type LiveStatus = Static<typeof LiveStatus>;

/** One server-sent event of a registration's status stream (`event: status`). */
export const StatusEvent = Type.Object({
  registrationId: Type.String(),
  status: LiveStatus,
  /** Verified claims, name → value: only on the officer's stream, never on the public one. */
  claims: Type.Optional(Type.Record(Type.String(), Type.String())),
  level: Type.Optional(Type.Integer()),
  certifier: Type.Optional(Type.String()),
});
export type StatusEvent = Static<typeof StatusEvent>;

/** Body of the bank's signed callback: no personal value, the back office reads those with its officer. */
export const WebhookBody = Type.Object({
  event: Type.Literal('registration.verified'),
  registrationId: Type.String(),
  verifiedAt: Type.String(),
  certifier: Type.String(),
  level: Type.Integer(),
  claims: Type.Array(Type.String()),
  txId: Type.String(),
});
export type WebhookBody = Static<typeof WebhookBody>;

/** The wallet's configuration, served beside it. */
export const WalletConfig = Type.Object({
  certifierUrl: Type.String(),
  /** MSP id → PEM CA certificates, as `./kyc trust` prints (derived from the channel's MSPs). */
  trust: Type.Record(Type.String(), Type.Array(Type.String())),
});
export type WalletConfig = Static<typeof WalletConfig>;

/** Where the wallet fetches a registration: `<bank>/v1/registrations/<id>/request`. */
export const REQUEST_URI_PATH = /^\/v1\/registrations\/([A-Za-z0-9_-]{16,64})\/request$/;
