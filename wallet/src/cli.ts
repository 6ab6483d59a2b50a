#!/usr/bin/env node
import { resolve, sep } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { CLAIM_NAME, KycError, RECORD_KIND } from '../../protocol/src';
import {
  certifyCommand,
  collectCommand,
  didCommand,
  EXIT,
  initCommand,
  listCommand,
  presentCommand,
  scanCommand,
  type CommandContext,
  type EvidencePaths,
} from './cli-commands';
import type { FetchFunction } from './http';

/**
 * `kyc-wallet`: the person's wallet on the command line. Run `node dist/wallet/src/cli.js --help`.
 * Commands print human-readable lines; the last line of `init`/`did` is the did:key and of `certify` the
 * request id, so scripts can take `tail -n1`.
 */

const HELP = `Usage: kyc-wallet <command> [options]

The person's KYC wallet: a P-256 key (did:key), certified claims, and presentations to banks.

Commands:
  init                              create the wallet key (refuses to overwrite one)
  did                               print the wallet's did:key
  certify --certifier-url URL --claims FILE [--kind KIND]
          [--selfie FILE (--document FILE | --chip-dir DIR)]
                                    ask a certifier to certify the claims in FILE (a JSON object of
                                    claim name to string value; kind defaults to "identity");
                                    with a selfie and a photo of the document (or the chip's
                                    EF.SOD, DG1 and DG2 files, named sod, dg1, dg2 in DIR), sends
                                    them encrypted to the certifier for level 2 or 3; prints the
                                    request id
  collect --certifier-url URL --id ID
                                    fetch the outcome of a request with a request signed by the wallet
                                    key; store the credential once approved (the certifier hands the
                                    disclosures out once; exit 3 while pending, 4 if rejected)
  list                              show credentials (claim names only) and pending requests
  scan QR.png --trust FILE          verify a bank's registration QR code and show who asks for what
  present QR.png --trust FILE --claims a,b [--yes]
                                    send the chosen claims to the bank that showed the QR code
                                    (asks for confirmation unless --yes)

Options:
  --wallet DIR    wallet directory (default: $KYC_WALLET_DIR, else wallet/data/default in the repository)
  --trust FILE    JSON { "<mspId>": ["-----BEGIN CERTIFICATE-----..."] }: CAs trusted for each bank
  -h, --help      show this help

Exit codes: 0 done, 1 error (printed as "CODE: message"), 2 usage, 3 pending, 4 rejected.
`;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly confirm: (question: string) => Promise<boolean>;
  readonly fetch?: FetchFunction;
  readonly now?: () => Date;
}

const OPTIONS = {
  wallet: { type: 'string' },
  'certifier-url': { type: 'string' },
  claims: { type: 'string' },
  kind: { type: 'string' },
  id: { type: 'string' },
  trust: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  document: { type: 'string' },
  selfie: { type: 'string' },
  'chip-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** Which options and how many positionals each command takes. */
const COMMANDS: Readonly<Record<string, { readonly options: readonly string[]; readonly positionals: number }>> = {
  init: { options: [], positionals: 0 },
  did: { options: [], positionals: 0 },
  certify: { options: ['certifier-url', 'claims', 'kind', 'document', 'selfie', 'chip-dir'], positionals: 0 },
  collect: { options: ['certifier-url', 'id'], positionals: 0 },
  list: { options: [], positionals: 0 },
  scan: { options: ['trust'], positionals: 1 },
  present: { options: ['trust', 'claims', 'yes'], positionals: 1 },
};

class UsageError extends Error {}

function required(values: Values, name: 'certifier-url' | 'claims' | 'id' | 'trust'): string {
  const value = values[name];
  if (value === undefined || value === '') {
    throw new UsageError(`--${name} is required`);
  }
  return value;
}

/** The evidence files named on the command line, or undefined when none; a selfie needs a document or chip. */
function evidenceOf(values: Values): EvidencePaths | undefined {
  const { document, selfie } = values;
  const chipDir = values['chip-dir'];
  if (document === undefined && selfie === undefined && chipDir === undefined) return undefined;
  if (selfie === undefined || (document === undefined && chipDir === undefined)) {
    throw new UsageError('--selfie goes with --document or --chip-dir (and they with it)');
  }
  return { selfie, ...(document === undefined ? {} : { document }), ...(chipDir === undefined ? {} : { chipDir }) };
}

/** Without --wallet or KYC_WALLET_DIR: `wallet/data/default` in the repository (git-ignored). */
function defaultWalletDir(): string {
  const repositoryRoot = __dirname.includes(`${sep}dist${sep}`)
    ? resolve(__dirname, '../../..')
    : resolve(__dirname, '../..');
  return resolve(repositoryRoot, 'wallet', 'data', 'default');
}

function claimList(text: string): string[] {
  const names = text.split(',').map((name) => name.trim());
  if (names.some((name) => !CLAIM_NAME.test(name))) {
    throw new UsageError('--claims must be a comma-separated list of claim names');
  }
  return names;
}

function checkCommand(command: string, values: Values, positionals: readonly string[]): void {
  const spec = COMMANDS[command];
  if (spec === undefined) {
    throw new UsageError(`unknown command '${command}'`);
  }
  const given = Object.keys(values).filter((name) => name !== 'wallet' && name !== 'help');
  const foreign = given.find((name) => !spec.options.includes(name));
  if (foreign !== undefined) {
    throw new UsageError(`${command} does not take --${foreign}`);
  }
  if (positionals.length !== spec.positionals) {
    throw new UsageError(`${command} takes ${spec.positionals === 0 ? 'no' : 'one'} file argument`);
  }
}

function kindOf(values: Values): string {
  const kind = values.kind ?? 'identity';
  if (!RECORD_KIND.test(kind)) {
    throw new UsageError('--kind must be a record kind (lower case letters, digits, dashes)');
  }
  return kind;
}

function dispatch(ctx: CommandContext, command: string, values: Values, file: string): Promise<number> {
  switch (command) {
    case 'init':
      return initCommand(ctx);
    case 'did':
      return didCommand(ctx);
    case 'certify':
      return certifyCommand(ctx, {
        certifierUrl: required(values, 'certifier-url'),
        claimsFile: required(values, 'claims'),
        kind: kindOf(values),
        evidence: evidenceOf(values),
      });
    case 'collect':
      return collectCommand(ctx, { certifierUrl: required(values, 'certifier-url'), id: required(values, 'id') });
    case 'list':
      return listCommand(ctx);
    case 'scan':
      return scanCommand(ctx, { qrPath: file, trustPath: required(values, 'trust') });
    default:
      return presentCommand(ctx, {
        qrPath: file,
        trustPath: required(values, 'trust'),
        claims: claimList(required(values, 'claims')),
        yes: values.yes === true,
      });
  }
}

function report(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr(`kyc-wallet: ${error.message} (see --help)\n`);
    return EXIT.usage;
  }
  if (error instanceof KycError) {
    io.stderr(`${error.message}\n`);
    return EXIT.error;
  }
  io.stderr(`KYC_INTERNAL: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.error;
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code. Never throws: errors are
 * printed to stderr as `CODE: message`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(argv);
    const [command, ...files] = positionals;
    if (values.help === true || command === undefined) {
      io.stdout(HELP);
      return values.help === true ? EXIT.ok : EXIT.usage;
    }
    checkCommand(command, values, files);
    const ctx: CommandContext = {
      walletDir: resolve(values.wallet ?? io.env.KYC_WALLET_DIR ?? defaultWalletDir()),
      out: (line) => {
        io.stdout(`${line}\n`);
      },
      confirm: io.confirm,
      fetch: io.fetch,
      now: io.now,
    };
    return await dispatch(ctx, command, values, files[0] ?? '');
  } catch (error) {
    return report(error, io);
  }
}

function parseCommandLine(argv: readonly string[]): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Asks on the terminal; refuses (false) when stdin is not a terminal, so scripts must pass --yes. */
async function confirmOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    process.stderr.write(`${question} (stdin is not a terminal: pass --yes to confirm)\n`);
    return false;
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    confirm: confirmOnTerminal,
  }).then((code) => {
    process.exitCode = code;
  });
}
