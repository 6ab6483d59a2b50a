/**
 * Errors of the Fabric connection layer as data: a stable `code`, and for configuration problems the JSON path
 * of the offending field.
 */
export const FABRIC_ERROR_CODES = [
  /** network.json (or another configuration file) is missing, unreadable or malformed. */
  'FABRIC_CONFIG_INVALID',
  /** The organisation or user is not in network.json. */
  'FABRIC_IDENTITY_UNKNOWN',
  /** The identity's certificate and its HSM key do not belong together, or the key is missing. */
  'FABRIC_IDENTITY_MISMATCH',
  /** Fabric kept refusing while it converged and the retry budget ran out. */
  'FABRIC_NOT_READY',
] as const;

export type FabricErrorCode = (typeof FABRIC_ERROR_CODES)[number];

/** An error of the Fabric connection layer. */
export class FabricSetupError extends Error {
  override readonly name = 'FabricSetupError';

  constructor(
    readonly code: FabricErrorCode,
    message: string,
    options?: ErrorOptions & { readonly path?: string },
  ) {
    super(`${code}: ${message}`, options);
    this.path = options?.path;
  }

  /** JSON path of the offending field, for configuration errors. */
  readonly path: string | undefined;
}
