import type { Cryptoki, Handle } from './library';
import { HsmError, toHsmError } from './errors';

/**
 * Tokens by label. PKCS#11 pads labels to 32 bytes with spaces (and pkcs11js passes them unpadded, so SoftHSM
 * stores NULs): compare and write them normalised. SoftHSM lists only the tokens that existed at C_Initialize
 * plus those initialised through this process; tokens made meanwhile by `softhsm2-util` stay invisible until
 * the library is finalised and initialised again.
 */

const LABEL_FIELD_LENGTH = 32;

/** A token label without PKCS#11's blank (or NUL) padding. */
export function normaliseLabel(raw: string): string {
  return raw.replace(/[\s\0]+$/, '');
}

/**
 * Checks a token label: 1 to 32 bytes of printable ASCII, no trailing blanks.
 *
 * @throws HsmError HSM_INVALID_ARGUMENT otherwise.
 */
export function assertTokenLabel(label: unknown): asserts label is string {
  if (
    typeof label !== 'string' ||
    !/^[\x20-\x7e]{1,32}$/.test(label) ||
    normaliseLabel(label) !== label ||
    label.startsWith(' ')
  ) {
    throw new HsmError('HSM_INVALID_ARGUMENT', 'a token label must be 1 to 32 printable ASCII characters');
  }
}

function initialisedTokens(cryptoki: Cryptoki): { slot: Handle; label: string }[] {
  const { api, pkcs11 } = cryptoki;
  const tokens: { slot: Handle; label: string }[] = [];
  for (const slot of api.C_GetSlotList(true)) {
    const info = api.C_GetTokenInfo(slot);
    if ((info.flags & pkcs11.CKF_TOKEN_INITIALIZED) !== 0) {
      tokens.push({ slot, label: normaliseLabel(info.label) });
    }
  }
  return tokens;
}

/** Labels of the initialised tokens the library can see. */
export function tokenLabels(cryptoki: Cryptoki): string[] {
  return initialisedTokens(cryptoki).map((token) => token.label);
}

/**
 * The slot holding the initialised token with this label.
 *
 * @throws HsmError HSM_TOKEN_NOT_FOUND when there is none, HSM_TOKEN_AMBIGUOUS when there are several.
 */
export function findSlot(cryptoki: Cryptoki, label: string): Handle {
  const matches = initialisedTokens(cryptoki).filter((token) => token.label === label);
  const [first] = matches;
  if (first === undefined) {
    throw new HsmError(
      'HSM_TOKEN_NOT_FOUND',
      `no initialised token labelled '${label}' (SoftHSM sees only tokens that existed when the library was initialised)`,
      { tokenLabel: label },
    );
  }
  if (matches.length > 1) {
    throw new HsmError('HSM_TOKEN_AMBIGUOUS', `${matches.length} tokens are labelled '${label}'`, {
      tokenLabel: label,
    });
  }
  return first.slot;
}

/** What {@link initializeToken} needs. The PINs are used once and not kept. */
export interface InitializeTokenOptions {
  readonly label: string;
  /** Security officer PIN. */
  readonly soPin: string;
  /** User PIN, the one {@link HsmToken} logins use. */
  readonly userPin: string;
}

function assertPin(pin: unknown, what: string): asserts pin is string {
  if (typeof pin !== 'string' || pin.length < 4 || pin.length > 255) {
    throw new HsmError('HSM_INVALID_ARGUMENT', `the ${what} must be a string of 4 to 255 characters`);
  }
}

function freeSlot(cryptoki: Cryptoki, label: string): Handle {
  const { api, pkcs11 } = cryptoki;
  const slot = api
    .C_GetSlotList(true)
    .find((candidate) => (api.C_GetTokenInfo(candidate).flags & pkcs11.CKF_TOKEN_INITIALIZED) === 0);
  if (slot === undefined) {
    throw new HsmError('HSM_OPERATION_FAILED', 'no slot with an uninitialised token is free', { tokenLabel: label });
  }
  return slot;
}

/**
 * Initialises a new token in a free slot, and its user PIN, through this process's library, so that it is
 * visible at once (unlike tokens made by `softhsm2-util` after C_Initialize).
 *
 * @throws HsmError HSM_INVALID_ARGUMENT for a bad label or PIN, or a label already in use;
 *   HSM_OPERATION_FAILED when the library refuses.
 */
export function initializeToken(cryptoki: Cryptoki, options: Readonly<InitializeTokenOptions>): void {
  const { label } = options;
  assertTokenLabel(label);
  assertPin(options.soPin, 'SO PIN');
  assertPin(options.userPin, 'user PIN');
  if (tokenLabels(cryptoki).includes(label)) {
    throw new HsmError('HSM_INVALID_ARGUMENT', `a token labelled '${label}' exists already`, { tokenLabel: label });
  }
  const { api, pkcs11 } = cryptoki;
  try {
    api.C_InitToken(freeSlot(cryptoki, label), options.soPin, label.padEnd(LABEL_FIELD_LENGTH, ' '));
    const session = api.C_OpenSession(findSlot(cryptoki, label), pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION);
    try {
      api.C_Login(session, pkcs11.CKU_SO, options.soPin);
      api.C_InitPIN(session, options.userPin);
      api.C_Logout(session);
    } finally {
      api.C_CloseSession(session);
    }
  } catch (cause) {
    throw toHsmError(cause, 'HSM_OPERATION_FAILED', `could not initialise token '${label}'`, label);
  }
}
