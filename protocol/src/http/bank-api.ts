import { Type, type Static } from '@sinclair/typebox';
import { ClaimName, IsoInstant, Level, ResourceId, literals } from './common';

/** The bank service's messages (docs/services.md). */

/** `POST /v1/registrations`: what the bank asks of the person. */
export const NewRegistrationBody = Type.Object(
  {
    claims: Type.Array(ClaimName, {
      minItems: 1,
      maxItems: 32,
      examples: [['given_name', 'family_name', 'birthdate']],
    }),
    /** The claims a presentation must disclose (default all of `claims`); the person may withhold the rest. */
    required: Type.Optional(Type.Array(ClaimName, { maxItems: 32 })),
    purpose: Type.String({ minLength: 1, maxLength: 200, examples: ['Open a current account'] }),
    minLevel: Type.Optional(Level),
  },
  { additionalProperties: false },
);
export type NewRegistrationBody = Static<typeof NewRegistrationBody>;

export const RegistrationStatus = literals('pending', 'verifying', 'verified');
export type RegistrationStatus = Static<typeof RegistrationStatus>;

/** A registration as its officer sees it; once verified, the verified claims. */
export const RegistrationView = Type.Object({
  registrationId: ResourceId,
  status: RegistrationStatus,
  claims: Type.Array(ClaimName),
  required: Type.Array(ClaimName),
  minLevel: Level,
  purpose: Type.String(),
  issuedAt: IsoInstant,
  expiresAt: IsoInstant,
  result: Type.Optional(Type.Unknown()),
});
export type RegistrationView = Static<typeof RegistrationView>;

/** `POST /v1/registrations` → 201: the view, the signed request and its QR. */
export const OpenedRegistration = Type.Composite([
  RegistrationView,
  Type.Object({ jws: Type.String(), qr: Type.Object({ png: Type.String(), svg: Type.String() }) }),
]);
export type OpenedRegistration = Static<typeof OpenedRegistration>;

/** `POST /v1/registrations/:id/presentation` → what the wallet learns: what was confirmed, not the values. */
export const PresentationAnswer = Type.Object({
  registrationId: ResourceId,
  status: Type.Literal('verified'),
  certifier: Type.String(),
  level: Level,
  claims: Type.Array(ClaimName),
  txId: Type.String(),
});
export type PresentationAnswer = Static<typeof PresentationAnswer>;

export const RegistrationIdParams = Type.Object({ id: ResourceId });
