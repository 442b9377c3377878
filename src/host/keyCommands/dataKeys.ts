import * as vscode from 'vscode';
import { Args } from '../../core/args/readArgs';
import { DATA_KEY_PAIR_SPECS, DATA_KEY_SPECS, type DataKeyPairSpec, type DataKeySpec } from '../../core/keyOps/keyTypes';
import { base64, toPem } from '../../core/keyOps/encoding';
import { type EncryptionContext, checkEncryptionContext, parseEncryptionContextText } from '../../core/keyOps/validation';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { argValue, inputChecked, isScripted } from './commandArgs';
import type { KeyCommandDeps } from './deps';
import { type Output, chooseOutput, deliver, fileLabel, notify, warnSecret } from './output';
import { KEY_FIELDS, type ResolvedKey, resolveKey } from './resolveKey';

const DATA_KEY = 'kmsWorkbench.generateDataKey';
const DATA_KEY_NP = 'kmsWorkbench.generateDataKeyWithoutPlaintext';
const PAIR = 'kmsWorkbench.generateDataKeyPair';
const PAIR_NP = 'kmsWorkbench.generateDataKeyPairWithoutPlaintext';

const FIELDS = [...KEY_FIELDS, 'encryptionContext', 'output'];

export interface DataKeyResult {
  readonly keyId: string;
  readonly keySpec: DataKeySpec;
  /** The encrypted data key, base64: what `aws kms generate-data-key` prints as CiphertextBlob. */
  readonly ciphertextBlob: string;
  readonly encryptionContext?: EncryptionContext;
  /** Where the plaintext went (never into this result). */
  readonly output: Output;
}

export interface DataKeyPairResult {
  readonly keyId: string;
  readonly keyPairSpec: DataKeyPairSpec;
  /** The public key, PEM (SubjectPublicKeyInfo). */
  readonly publicKey: string;
  /** The private key encrypted under the KMS key, base64. */
  readonly privateKeyCiphertextBlob: string;
  readonly encryptionContext?: EncryptionContext;
  readonly output: Output;
}

async function encryptionContextOf(
  command: string,
  args: Args,
  services: Services,
  scripted: boolean,
  step: { step: number; totalSteps: number },
): Promise<EncryptionContext | undefined> {
  const given = args.stringMap('encryptionContext');
  if (given) return argValue(command, 'encryptionContext', checkEncryptionContext(given));
  if (scripted) return undefined;
  const context = await inputChecked(
    services.ui,
    {
      title: 'Encryption context (optional)',
      ...step,
      placeholder: 'app=web, stage=prod — or leave empty',
      prompt: 'Decrypting the data key will need exactly this context.',
    },
    parseEncryptionContextText,
  );
  return Object.keys(context).length ? context : undefined;
}

async function dataKeySpecOf(args: Args, services: Services, scripted: boolean): Promise<DataKeySpec> {
  const given = args.oneOf('keySpec', DATA_KEY_SPECS);
  if (given || scripted) return given ?? 'AES_256';
  return services.ui.pick(
    [
      { label: 'AES_256', description: '256-bit data key (recommended)', value: 'AES_256' as const },
      { label: 'AES_128', description: '128-bit data key', value: 'AES_128' as const },
    ],
    { title: 'Data key spec', step: 1, totalSteps: 3 },
  );
}

async function keyPairSpecOf(args: Args, services: Services, scripted: boolean): Promise<DataKeyPairSpec> {
  const given = args.oneOf('keyPairSpec', DATA_KEY_PAIR_SPECS);
  if (given || scripted) return given ?? 'RSA_2048';
  return services.ui.pick(
    DATA_KEY_PAIR_SPECS.filter((s) => s !== 'SM2').map((s) => ({ label: s, value: s })),
    { title: 'Data key pair spec', step: 1, totalSteps: 3 },
  );
}

function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * `kmsWorkbench.generateDataKey` `{ keyId?, connection?, keySpec? (AES_256 | AES_128,
 * default AES_256), encryptionContext?, output? (editor | clipboard, default editor) }`:
 * GenerateDataKey under a symmetric encryption key. The plaintext data key goes only to a
 * read-only in-memory editor (the CLI's JSON) or the clipboard (base64), with a warning;
 * never to disk, never into the result. Returns `{ keyId, keySpec, ciphertextBlob, encryptionContext, output }`.
 */
export function generateDataKey(deps: KeyCommandDeps): CommandSpec<DataKeyResult> {
  return {
    id: DATA_KEY,
    action: 'generate a data key',
    run: async (arg, services) => {
      const args = Args.from(DATA_KEY, arg, [...FIELDS, 'keySpec']);
      const scripted = isScripted(arg);
      args.oneOf('keySpec', DATA_KEY_SPECS);
      args.oneOf('output', ['editor', 'clipboard']);
      const key = await resolveKey(arg, args, services, { title: 'Generate data key under key', action: 'generateDataKey' });
      const keySpec = await dataKeySpecOf(args, services, scripted);
      const context = await encryptionContextOf(DATA_KEY, args, services, scripted, { step: 2, totalSteps: 3 });
      const output = await chooseOutput(services.ui, args, scripted, { secret: true, what: 'the plaintext data key', allowNone: false });
      const out = await key.gateway.generateDataKey({ KeyId: key.keyId, KeySpec: keySpec, EncryptionContext: context });
      const plaintext = base64(out.Plaintext);
      const ciphertextBlob = base64(out.CiphertextBlob);
      await deliver(deps.docs, output, {
        fileName: `data-key-${fileLabel(key.label)}.json`,
        document: jsonText({
          KeyId: out.KeyId,
          KeySpec: keySpec,
          EncryptionContext: context,
          Plaintext: plaintext,
          CiphertextBlob: ciphertextBlob,
        }),
        clipboard: plaintext,
      });
      warnSecret(output, 'The plaintext data key', {
        clipboardText: plaintext,
        actions: [{ title: 'Copy CiphertextBlob', run: () => vscode.env.clipboard.writeText(ciphertextBlob) }],
      });
      return { keyId: out.KeyId ?? key.keyId, keySpec, ciphertextBlob, encryptionContext: context, output };
    },
  };
}

/**
 * `kmsWorkbench.generateDataKeyWithoutPlaintext` `{ keyId?, connection?, keySpec?,
 * encryptionContext?, output? (editor | clipboard | none, default none with an argument
 * object) }`: GenerateDataKeyWithoutPlaintext (for a data key to decrypt later). Returns
 * `{ keyId, keySpec, ciphertextBlob, encryptionContext, output }`.
 */
export function generateDataKeyWithoutPlaintext(deps: KeyCommandDeps): CommandSpec<DataKeyResult> {
  return {
    id: DATA_KEY_NP,
    action: 'generate a data key without plaintext',
    run: async (arg, services) => {
      const args = Args.from(DATA_KEY_NP, arg, [...FIELDS, 'keySpec']);
      const scripted = isScripted(arg);
      args.oneOf('keySpec', DATA_KEY_SPECS);
      args.oneOf('output', ['editor', 'clipboard', 'none']);
      const key = await resolveKey(arg, args, services, {
        title: 'Generate data key (without plaintext) under key',
        action: 'generateDataKey',
      });
      const keySpec = await dataKeySpecOf(args, services, scripted);
      const context = await encryptionContextOf(DATA_KEY_NP, args, services, scripted, { step: 2, totalSteps: 3 });
      const output = await chooseOutput(services.ui, args, scripted, { secret: false, what: 'the encrypted data key', allowNone: true });
      const out = await key.gateway.generateDataKeyWithoutPlaintext({ KeyId: key.keyId, KeySpec: keySpec, EncryptionContext: context });
      const ciphertextBlob = base64(out.CiphertextBlob);
      await deliver(deps.docs, output, {
        fileName: `encrypted-data-key-${fileLabel(key.label)}.json`,
        document: jsonText({ KeyId: out.KeyId, KeySpec: keySpec, EncryptionContext: context, CiphertextBlob: ciphertextBlob }),
        clipboard: ciphertextBlob,
      });
      if (output === 'clipboard') notify('The encrypted data key (CiphertextBlob, base64) is on the clipboard.');
      return { keyId: out.KeyId ?? key.keyId, keySpec, ciphertextBlob, encryptionContext: context, output };
    },
  };
}

async function pairRun(
  deps: KeyCommandDeps,
  command: string,
  arg: unknown,
  services: Services,
  withPlaintext: boolean,
): Promise<DataKeyPairResult> {
  const args = Args.from(command, arg, [...FIELDS, 'keyPairSpec']);
  const scripted = isScripted(arg);
  args.oneOf('keyPairSpec', DATA_KEY_PAIR_SPECS);
  args.oneOf('output', withPlaintext ? ['editor', 'clipboard'] : ['editor', 'clipboard', 'none']);
  const key: ResolvedKey = await resolveKey(arg, args, services, {
    title: `Generate data key pair${withPlaintext ? '' : ' (without plaintext)'} under key`,
    action: 'generateDataKeyPair',
  });
  const keyPairSpec = await keyPairSpecOf(args, services, scripted);
  const context = await encryptionContextOf(command, args, services, scripted, { step: 2, totalSteps: 3 });
  const output = await chooseOutput(services.ui, args, scripted, {
    secret: withPlaintext,
    what: withPlaintext ? 'the key pair (with its plaintext private key)' : 'the public key and encrypted private key',
    allowNone: !withPlaintext,
  });
  const input = { KeyId: key.keyId, KeyPairSpec: keyPairSpec, EncryptionContext: context };
  const out = withPlaintext ? await key.gateway.generateDataKeyPair(input) : await key.gateway.generateDataKeyPairWithoutPlaintext(input);
  const publicKeyPem = out.PublicKey ? toPem(out.PublicKey, 'PUBLIC KEY') : '';
  const privateKeyCiphertextBlob = base64(out.PrivateKeyCiphertextBlob);
  const privatePlaintext: Uint8Array | undefined =
    'PrivateKeyPlaintext' in out ? (out.PrivateKeyPlaintext as Uint8Array | undefined) : undefined;
  const privateKeyPem = privatePlaintext ? toPem(privatePlaintext, 'PRIVATE KEY') : undefined;
  const document = jsonText({
    KeyId: out.KeyId,
    KeyPairSpec: keyPairSpec,
    EncryptionContext: context,
    PublicKey: base64(out.PublicKey),
    ...(privatePlaintext ? { PrivateKeyPlaintext: base64(privatePlaintext) } : {}),
    PrivateKeyCiphertextBlob: privateKeyCiphertextBlob,
    PublicKeyPem: publicKeyPem,
    ...(privateKeyPem ? { PrivateKeyPem: privateKeyPem } : {}),
  });
  await deliver(deps.docs, output, {
    fileName: `data-key-pair-${fileLabel(key.label)}.json`,
    document,
    clipboard: privateKeyPem ?? document,
  });
  if (withPlaintext) {
    warnSecret(output, 'The plaintext private key (PEM)', {
      clipboardText: privateKeyPem,
      actions: [
        { title: 'Copy Public Key', run: () => vscode.env.clipboard.writeText(publicKeyPem) },
        { title: 'Copy Encrypted Private Key', run: () => vscode.env.clipboard.writeText(privateKeyCiphertextBlob) },
      ],
    });
  } else if (output === 'clipboard') {
    notify('The public key and the encrypted private key (as JSON) are on the clipboard.');
  }
  return {
    keyId: out.KeyId ?? key.keyId,
    keyPairSpec,
    publicKey: publicKeyPem,
    privateKeyCiphertextBlob,
    encryptionContext: context,
    output,
  };
}

/**
 * `kmsWorkbench.generateDataKeyPair` `{ keyId?, connection?, keyPairSpec? (RSA_2048…,
 * ECC_NIST_P256…, default RSA_2048), encryptionContext?, output? (editor | clipboard,
 * default editor) }`: GenerateDataKeyPair. The plaintext private key goes only to a
 * read-only in-memory editor (JSON with PEMs) or the clipboard (PEM), with a warning.
 * Returns `{ keyId, keyPairSpec, publicKey (PEM), privateKeyCiphertextBlob, encryptionContext, output }`.
 */
export function generateDataKeyPair(deps: KeyCommandDeps): CommandSpec<DataKeyPairResult> {
  return { id: PAIR, action: 'generate a data key pair', run: (arg, services) => pairRun(deps, PAIR, arg, services, true) };
}

/**
 * `kmsWorkbench.generateDataKeyPairWithoutPlaintext` (same fields; output also `none`, the
 * default with an argument object): GenerateDataKeyPairWithoutPlaintext. Returns
 * `{ keyId, keyPairSpec, publicKey (PEM), privateKeyCiphertextBlob, encryptionContext, output }`.
 */
export function generateDataKeyPairWithoutPlaintext(deps: KeyCommandDeps): CommandSpec<DataKeyPairResult> {
  return {
    id: PAIR_NP,
    action: 'generate a data key pair without plaintext',
    run: (arg, services) => pairRun(deps, PAIR_NP, arg, services, false),
  };
}
