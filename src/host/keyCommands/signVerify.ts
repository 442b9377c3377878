import type { SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import { base64, decodeBase64 } from '../../core/keyOps/encoding';
import { digestLength } from '../../core/keyOps/keyTypes';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { argValue, inputChecked, isScripted } from './commandArgs';
import type { KeyCommandDeps } from './deps';
import { algorithmOf, messageOf } from './messageInput';
import { chooseOutput, deliver, fileLabel, notify } from './output';
import { KEY_FIELDS, type ResolvedKey, resolveKey } from './resolveKey';

const SIGN = 'kmsWorkbench.signMessage';
const VERIFY = 'kmsWorkbench.verifySignature';
const MESSAGE_FIELDS = ['message', 'messageEncoding', 'messageType', 'signingAlgorithm'];

export interface SignResult {
  readonly keyId: string;
  readonly signingAlgorithm: string;
  readonly messageType: 'RAW' | 'DIGEST' | 'EXTERNAL_MU';
  /** The signature, base64. */
  readonly signature: string;
}

export interface VerifyResult {
  readonly keyId: string;
  readonly signingAlgorithm: string;
  readonly messageType: 'RAW' | 'DIGEST' | 'EXTERNAL_MU';
  readonly signatureValid: boolean;
}

async function signingInput(command: string, arg: unknown, args: Args, key: ResolvedKey, services: Services, title: string) {
  const scripted = isScripted(arg);
  // ML-DSA keys sign the message (RAW) or its μ (EXTERNAL_MU); the others a message or its digest.
  const mlDsa = key.metadata.KeySpec?.startsWith('ML_DSA_') ?? false;
  const message = await messageOf(command, args, services, scripted, {
    title: `${title}: what to sign`,
    precomputed: mlDsa ? 'EXTERNAL_MU' : 'DIGEST',
    step: { step: 1, totalSteps: 3 },
  });
  const algorithm = await algorithmOf(
    command,
    'signingAlgorithm',
    args.string('signingAlgorithm', 'a signing algorithm'),
    key.metadata.SigningAlgorithms ?? [],
    services,
    scripted,
    {
      title: 'Signing algorithm',
      step: { step: 2, totalSteps: 3 },
    },
  );
  const length = digestLength(algorithm);
  if (message.messageType === 'DIGEST' && length !== undefined && message.bytes.length !== length) {
    throw new ArgumentError(
      `${command}: a digest for ${algorithm} is ${length} bytes; this one is ${message.bytes.length}. ` +
        'Use the digest its hash function makes, or sign the message itself.',
    );
  }
  return { message, algorithm: algorithm as SigningAlgorithmSpec, scripted };
}

/**
 * `kmsWorkbench.signMessage` `{ keyId?, connection?, message, messageEncoding? (text |
 * base64 | hex, default text), messageType? (RAW | DIGEST, default RAW; EXTERNAL_MU, a 64-byte
 * μ, for ML-DSA keys, which sign with ML_DSA_SHAKE_256 and take no digest), signingAlgorithm?
 * (default the key's first), output? (editor | clipboard | none, default none with an
 * argument object) }`: Sign with a SIGN_VERIFY key. Interactively the message is the
 * selection, typed text or a digest. Returns `{ keyId, signingAlgorithm, messageType, signature }`.
 */
export function signMessage(deps: KeyCommandDeps): CommandSpec<SignResult> {
  return {
    id: SIGN,
    action: 'sign the message',
    run: async (arg, services) => {
      const args = Args.from(SIGN, arg, [...KEY_FIELDS, ...MESSAGE_FIELDS, 'output']);
      args.oneOf('output', ['editor', 'clipboard', 'none']);
      const key = await resolveKey(arg, args, services, { title: 'Sign with key', action: 'sign' });
      const { message, algorithm, scripted } = await signingInput(SIGN, arg, args, key, services, `Sign with ${key.label}`);
      const output = await chooseOutput(services.ui, args, scripted, { secret: false, what: 'the signature', allowNone: true });
      const out = await key.gateway.sign({
        KeyId: key.keyId,
        Message: message.bytes,
        MessageType: message.messageType,
        SigningAlgorithm: algorithm,
      });
      const signature = base64(out.Signature);
      await deliver(deps.docs, output, {
        fileName: `signature-${fileLabel(key.label)}.json`,
        document: `${JSON.stringify({ KeyId: out.KeyId, SigningAlgorithm: algorithm, MessageType: message.messageType, Signature: signature }, null, 2)}\n`,
        clipboard: signature,
      });
      if (output === 'clipboard') notify(`The ${algorithm} signature (base64) is on the clipboard.`);
      return { keyId: out.KeyId ?? key.keyId, signingAlgorithm: algorithm, messageType: message.messageType, signature };
    },
  };
}

/**
 * `kmsWorkbench.verifySignature` `{ keyId?, connection?, message, messageEncoding?,
 * messageType?, signingAlgorithm?, signature (base64) }`: Verify with KMS. A signature that
 * does not match is a result (`signatureValid: false`), not a failure. Returns
 * `{ keyId, signingAlgorithm, messageType, signatureValid }`.
 */
export const verifySignature: CommandSpec<VerifyResult> = {
  id: VERIFY,
  action: 'verify the signature',
  run: async (arg, services) => {
    const args = Args.from(VERIFY, arg, [...KEY_FIELDS, ...MESSAGE_FIELDS, 'signature']);
    const givenSignature = args.string('signature', 'the signature in base64');
    const signatureBytes =
      givenSignature !== undefined ? argValue(VERIFY, 'signature', decodeBase64(givenSignature, 'The signature')) : undefined;
    if (isScripted(arg) && signatureBytes === undefined) throw new ArgumentError(`${VERIFY}: "signature" (base64) is required.`);
    const key = await resolveKey(arg, args, services, { title: 'Verify with key', action: 'verify' });
    const { message, algorithm } = await signingInput(VERIFY, arg, args, key, services, `Verify with ${key.label}`);
    const signature =
      signatureBytes ??
      (await inputChecked(services.ui, { title: 'The signature to verify (base64)', step: 3, totalSteps: 3 }, (t) => {
        const d = decodeBase64(t, 'The signature');
        return d.ok && d.value.length === 0 ? { ok: false, problem: 'Enter the signature in base64.' } : d;
      }));
    const valid = await key.gateway.verify({
      KeyId: key.keyId,
      Message: message.bytes,
      MessageType: message.messageType,
      SigningAlgorithm: algorithm,
      Signature: signature,
    });
    const what = message.messageType === 'DIGEST' ? 'digest' : message.messageType === 'EXTERNAL_MU' ? 'μ' : 'message';
    if (valid) notify(`The signature is valid: ${key.label} signed this ${what} with ${algorithm}.`);
    else void vscode.window.showWarningMessage(`The signature is NOT valid for this ${what}, ${key.label} and ${algorithm}.`);
    return { keyId: key.keyId, signingAlgorithm: algorithm, messageType: message.messageType, signatureValid: valid };
  },
};
