import { join } from 'node:path';
import { KycError, MAX_EVIDENCE_BYTES, type AssuranceLevel, type Claims, type EvidenceFiles } from '../../protocol/src';
import { createCertificationRequest, credentialFromApproval, normaliseClaims } from './certification';
import { certifierClient } from './certifier-client';
import { credentialClaims, type Credential } from './credential';
import { readBytesCapped, readFileCapped } from './files';
import type { FetchFunction } from './http';
import { createPersonKey, KEY_FILE, loadPersonKey } from './keys';
import { buildPresentation, submitPresentation } from './presentation';
import { decodeQrPng, MAX_QR_PNG_BYTES } from './qr';
import { verifyRegistration, type VerifiedRegistration } from './registration';
import { openWalletStore, type WalletStore } from './store';
import { loadTrustFile } from './trust';
import { checkReferenced, registrationText } from './request-uri';

/** Exit codes of the CLI, documented in docs/wallet.md. */
export const EXIT = { ok: 0, error: 1, usage: 2, pending: 3, rejected: 4 } as const;

/** What the commands need from the outside world; the CLI passes the process's, tests their own. */
export interface CommandContext {
  readonly walletDir: string;
  readonly out: (line: string) => void;
  /** Asks a yes/no question; resolves false when nobody can answer. */
  readonly confirm: (question: string) => Promise<boolean>;
  readonly fetch?: FetchFunction;
  readonly now?: () => Date;
}

const MAX_CLAIMS_FILE_BYTES = 64 * 1024;

function now(ctx: CommandContext): Date {
  return ctx.now?.() ?? new Date();
}

function describe(credential: Credential): string {
  const { certifier, kind, version, level, validUntil } = credential.record;
  const names = [...credentialClaims(credential).keys()].join(', ');
  return `${certifier}/${kind} v${version}, level ${level}, valid until ${validUntil}: ${names}`;
}

/** `init`: create the wallet's key. */
export async function initCommand(ctx: CommandContext): Promise<number> {
  const key = await createPersonKey(ctx.walletDir);
  ctx.out(`created ${join(ctx.walletDir, KEY_FILE)}`);
  ctx.out(key.did);
  return EXIT.ok;
}

/** `did`: print the wallet's did:key. */
export async function didCommand(ctx: CommandContext): Promise<number> {
  ctx.out((await loadPersonKey(ctx.walletDir)).did);
  return EXIT.ok;
}

async function readClaimsFile(path: string): Promise<Claims> {
  const text = await readFileCapped(path, MAX_CLAIMS_FILE_BYTES, 'claims file');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', `claims file ${path} is not JSON`, { cause });
  }
  return normaliseClaims(raw);
}

/** Files of an evidence submission as paths: a selfie, and a document photo or a directory with sod, dg1, dg2. */
export interface EvidencePaths {
  readonly selfie: string;
  readonly document?: string;
  readonly chipDir?: string;
}

async function readEvidence(paths: EvidencePaths): Promise<EvidenceFiles> {
  const read = (path: string, what: string): Promise<Buffer> => readBytesCapped(path, MAX_EVIDENCE_BYTES, what);
  const chip = paths.chipDir;
  return {
    selfie: await read(paths.selfie, 'selfie'),
    ...(paths.document === undefined ? {} : { document: await read(paths.document, 'document photo') }),
    ...(chip === undefined
      ? {}
      : {
          sod: await read(join(chip, 'sod'), 'EF.SOD'),
          dg1: await read(join(chip, 'dg1'), 'DG1'),
          dg2: await read(join(chip, 'dg2'), 'DG2'),
        }),
  };
}

/**
 * `certify`: nonce, signed request, submission, and the evidence when given; remembers the request to
 * collect it later.
 */
export async function certifyCommand(
  ctx: CommandContext,
  args: {
    readonly certifierUrl: string;
    readonly claimsFile: string;
    readonly kind: string;
    readonly evidence?: EvidencePaths;
  },
): Promise<number> {
  const key = await loadPersonKey(ctx.walletDir);
  const claims = await readClaimsFile(args.claimsFile);
  // Read before anything is sent, so a missing file changes nothing at the certifier.
  const evidence = args.evidence === undefined ? undefined : await readEvidence(args.evidence);
  const store = await openWalletStore(ctx.walletDir);
  const client = certifierClient(args.certifierUrl, { fetch: ctx.fetch });
  const nonceAnswer = await client.requestNonce();
  const { nonce, certifier } = nonceAnswer;
  const { request, payload, claimsSalt } = await createCertificationRequest({
    key,
    certifier,
    nonce,
    kind: args.kind,
    claims,
    now: now(ctx),
  });
  const { id, status } = await client.submit({ personId: key.did, kind: args.kind, claims, claimsSalt, request });
  await store.addPending({
    id,
    certifierUrl: args.certifierUrl,
    certifier,
    kind: args.kind,
    personId: key.did,
    claimsHash: payload.claims_hash,
    claimsSalt,
    requestedAt: now(ctx).toISOString(),
  });
  ctx.out(`submitted to ${certifier}: request ${id} (${status})`);
  if (evidence !== undefined) {
    const answer = await client.submitEvidence(id, key, nonceAnswer, evidence);
    ctx.out(`document checked: the evidence supports level ${answer.supportedLevel}`);
  }
  ctx.out(id);
  return EXIT.ok;
}

/** `collect`: store the credential once the certifier approved the request. */
export async function collectCommand(
  ctx: CommandContext,
  args: { readonly certifierUrl: string; readonly id: string },
): Promise<number> {
  const store = await openWalletStore(ctx.walletDir);
  const pending = store.findPending(args.id);
  if (pending === undefined) {
    throw new KycError('KYC_NOT_FOUND', `no pending certification request ${args.id} in this wallet`);
  }
  const key = await loadPersonKey(ctx.walletDir);
  const state = await certifierClient(args.certifierUrl, { fetch: ctx.fetch }).collect(args.id, key, pending.certifier);
  if (state.status === 'pending') {
    ctx.out(`request ${args.id} is still pending`);
    return EXIT.pending;
  }
  if (state.status === 'rejected') {
    await store.removePending(args.id);
    ctx.out(`request ${args.id} was rejected${state.reason === undefined ? '' : `: ${state.reason}`}`);
    return EXIT.rejected;
  }
  const credential = credentialFromApproval(pending, state, now(ctx));
  await store.addCredential(credential);
  await store.removePending(args.id);
  ctx.out(`stored ${describe(credential)}`);
  return EXIT.ok;
}

/** `list`: credentials (claim names only, never values) and pending requests. */
export async function listCommand(ctx: CommandContext): Promise<number> {
  const store = await openWalletStore(ctx.walletDir);
  const credentials = store.credentials();
  ctx.out(credentials.length === 0 ? 'no credentials' : `${credentials.length} credential(s):`);
  for (const credential of credentials) {
    ctx.out(`  ${describe(credential)}`);
  }
  for (const pending of store.pending()) {
    ctx.out(`  pending: request ${pending.id} to ${pending.certifier}/${pending.kind} (${pending.certifierUrl})`);
  }
  return EXIT.ok;
}

async function readRegistration(ctx: CommandContext, qrPath: string, trustPath: string): Promise<VerifiedRegistration> {
  const trustedCas = await loadTrustFile(trustPath);
  const png = await readBytesCapped(qrPath, MAX_QR_PNG_BYTES, 'QR image');
  const text = decodeQrPng(png);
  const jws = await registrationText(text, ctx.fetch === undefined ? {} : { fetch: ctx.fetch });
  const registration = verifyRegistration(jws, { trustedCas, now: now(ctx) });
  checkReferenced(text, registration);
  return registration;
}

function showRegistration(ctx: CommandContext, registration: VerifiedRegistration): void {
  const p = registration.payload;
  ctx.out(`${p.iss} asks for: ${p.claims.join(', ')} (assurance level ${p.min_level} or higher)`);
  ctx.out(`  purpose:  ${p.purpose}`);
  ctx.out(`  signed by: ${registration.signerSubject.replace(/\n/g, ', ')}`);
  ctx.out(`  send to:  ${p.endpoint}`);
  ctx.out(`  expires:  ${new Date(p.exp * 1000).toISOString()}`);
}

function pickFor(store: WalletStore, names: readonly string[], minLevel: AssuranceLevel, at: Date): Credential {
  return store.pick(names, { minLevel, now: at });
}

/** `scan`: verify a registration QR and show who asks for what, and whether the wallet can answer. */
export async function scanCommand(
  ctx: CommandContext,
  args: { readonly qrPath: string; readonly trustPath: string },
): Promise<number> {
  const registration = await readRegistration(ctx, args.qrPath, args.trustPath);
  showRegistration(ctx, registration);
  const store = await openWalletStore(ctx.walletDir);
  try {
    const credential = pickFor(store, registration.payload.claims, registration.payload.min_level, now(ctx));
    ctx.out(`  you hold: ${describe(credential)}`);
  } catch (error) {
    if (!(error instanceof KycError)) {
      throw error;
    }
    ctx.out(`  you hold no credential with all of them (${error.message})`);
  }
  return EXIT.ok;
}

/** `present`: verify the registration, confirm, send the chosen claims. */
export async function presentCommand(
  ctx: CommandContext,
  args: {
    readonly qrPath: string;
    readonly trustPath: string;
    readonly claims: readonly string[];
    readonly yes: boolean;
  },
): Promise<number> {
  const registration = await readRegistration(ctx, args.qrPath, args.trustPath);
  showRegistration(ctx, registration);
  const p = registration.payload;
  const key = await loadPersonKey(ctx.walletDir);
  const credential = pickFor(await openWalletStore(ctx.walletDir), args.claims, p.min_level, now(ctx));
  // Built (and so fully checked) before asking; nothing leaves the wallet until the person says yes.
  const built = await buildPresentation({ key, registration: p, credential, claimNames: args.claims, now: now(ctx) });
  ctx.out(`  from:     ${describe(credential)}`);
  ctx.out(`  sending:  ${args.claims.join(', ')}`);
  if (built.omitted.length > 0) {
    ctx.out(`  warning:  not sending ${built.omitted.join(', ')}; ${p.iss} may refuse the presentation`);
  }
  if (!args.yes && !(await ctx.confirm(`Send these claims to ${p.iss}?`))) {
    ctx.out('nothing sent');
    return EXIT.error;
  }
  const answer = await submitPresentation(p.endpoint, built.jwe, { fetch: ctx.fetch });
  ctx.out(`${p.iss} answered: ${JSON.stringify(answer)}`);
  return EXIT.ok;
}
