import { Type, type Static, type TLiteral, type TUnion } from '@sinclair/typebox';

/**
 * Schemas shared by the services' HTTP APIs (TypeBox: JSON Schema with static types). The services validate
 * with them and every client (wallet, demo, the pages) types its messages with them, so the two cannot drift.
 */

/** A union of string literals, e.g. a status. */
export function literals<V extends string>(...values: readonly V[]): TUnion<TLiteral<V>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)));
}

export const PersonId = Type.String({
  pattern: '^did:key:zDn[1-9A-HJ-NP-Za-km-z]{46}$',
  description: "the person's P-256 did:key",
});
export const RecordKind = Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', examples: ['identity'] });
/** A random resource id (certification, registration): 128 bits or more, base64url. */
export const ResourceId = Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$' });
export const IsoInstant = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?Z$',
  description: 'ISO 8601 UTC',
});
export const IsoInstantOrEmpty = Type.String({
  pattern: '^$|^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?Z$',
});
export const ClaimName = Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' });
export const Level = Type.Integer({
  minimum: 1,
  maximum: 3,
  description: 'assurance level: 1 low, 2 substantial, 3 high',
});

/** Every refusal's body (docs/errors.md). */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({ examples: ['KYC_NOT_FOUND'] }),
    message: Type.String(),
    transactionId: Type.Optional(Type.String()),
  }),
});
export type ErrorBody = Static<typeof ErrorBody>;

/** `POST /v1/officers` (an org admin enrolls an officer): the new officer's enrollment id. */
export const OfficerBody = Type.Object(
  { name: Type.String({ pattern: '^[a-z][a-z0-9-]{2,31}$', description: 'enrollment id of the new officer' }) },
  { additionalProperties: false },
);
