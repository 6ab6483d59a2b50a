/**
 * The KYC protocol shared by the chaincode, the organisations' gateways and the person's wallet: identifiers,
 * signed-object formats, salted disclosures, the checks of what a person signs, the ledger API and error
 * codes. One implementation, so the sides cannot drift apart byte by byte. Pure functions over node:crypto;
 * no I/O. The HTTP messages are in `./http`, the JOSE formats of the bank's keys in `./jose`.
 */
export * from './attestation';
export * from './base64url';
export * from './checks';
export * from './collection';
export * from './consortium';
export * from './did-key';
export * from './disclosure';
export * from './errors';
export * from './evidence-request';
export * from './jws';
export * from './ledger-api';
export * from './messages';
export * from './presentation';
export * from './roles';
