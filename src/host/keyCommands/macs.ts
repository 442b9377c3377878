import type { MacAlgorithmSpec } from '@aws-sdk/client-kms';
import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import { base64, decodeBase64 } from '../../core/keyOps/encoding';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { argValue, inputChecked, isScripted } from './commandArgs';
import type { KeyCommandDeps } from './deps';
import { type MessageBytes, algorithmOf, messageOf } from './messageInput';
import { chooseOutput, deliver, fileLabel, notify } from './output';
import { KEY_FIELDS, type ResolvedKey, resolveKey } from './resolveKey';

const GENERATE = 'kmsWorkbench.generateMac';
const VERIFY = 'kmsWorkbench.verifyMac';
const MESSAGE_FIELDS = ['message', 'messageEncoding', 'macAlgorithm'];

export interface MacResult {
  readonly keyId: string;
  readonly macAlgorithm: string;
  /** The MAC, base64. */
  readonly mac: string;
}

export interface VerifyMacResult {
  readonly keyId: string;
  readonly macAlgorithm: string;
  readonly macValid: boolean;
}

/**
 * The message and the MAC algorithm, the first two steps of both commands (`totalSteps`: the
 * command's steps in all): from the arguments, or asked.
 */
async function macInput(
  command: string,
  args: Args,
  key: ResolvedKey,
  services: Services,
  options: { scripted: boolean; title: string; totalSteps: number },
): Promise<{ message: MessageBytes; algorithm: MacAlgorithmSpec }> {
  const message = await messageOf(command, args, services, options.scripted, {
    title: `${options.title}: the message`,
    precomputed: undefined,
    step: { step: 1, totalSteps: options.totalSteps },
  });
  const algorithm = (await algorithmOf(
    command,
    'macAlgorithm',
    args.string('macAlgorithm', 'a MAC algorithm'),
    key.metadata.MacAlgorithms ?? [],
    services,
    options.scripted,
    { title: 'MAC algorithm', step: { step: 2, totalSteps: options.totalSteps } },
  )) as MacAlgorithmSpec;
  return { message, algorithm };
}

/**
 * `kmsWorkbench.generateMac` `{ keyId?, connection?, message, messageEncoding? (text |
 * base64 | hex), macAlgorithm? (default the key's), output? (editor | clipboard | none,
 * default none with an argument object) }`: GenerateMac with an HMAC key. Returns
 * `{ keyId, macAlgorithm, mac }`.
 */
export function generateMac(deps: KeyCommandDeps): CommandSpec<MacResult> {
  return {
    id: GENERATE,
    action: 'generate the MAC',
    run: async (arg, services) => {
      const args = Args.from(GENERATE, arg, [...KEY_FIELDS, ...MESSAGE_FIELDS, 'output']);
      const scripted = isScripted(arg);
      args.oneOf('output', ['editor', 'clipboard', 'none']);
      const key = await resolveKey(arg, args, services, { title: 'Generate MAC with key', action: 'generateMac' });
      const { message, algorithm } = await macInput(GENERATE, args, key, services, {
        scripted,
        title: `MAC with ${key.label}`,
        totalSteps: 2,
      });
      const output = await chooseOutput(services.ui, args, scripted, { secret: false, what: 'the MAC', allowNone: true });
      const out = await key.gateway.generateMac({ KeyId: key.keyId, Message: message.bytes, MacAlgorithm: algorithm });
      const mac = base64(out.Mac);
      await deliver(deps.docs, output, {
        fileName: `mac-${fileLabel(key.label)}.json`,
        document: `${JSON.stringify({ KeyId: out.KeyId, MacAlgorithm: algorithm, Mac: mac }, null, 2)}\n`,
        clipboard: mac,
      });
      if (output === 'clipboard') notify(`The ${algorithm} MAC (base64) is on the clipboard.`);
      return { keyId: out.KeyId ?? key.keyId, macAlgorithm: algorithm, mac };
    },
  };
}

/**
 * `kmsWorkbench.verifyMac` `{ keyId?, connection?, message, messageEncoding?, macAlgorithm?,
 * mac (base64) }`: VerifyMac. A MAC that does not match is a result (`macValid: false`),
 * not a failure. Returns `{ keyId, macAlgorithm, macValid }`.
 */
export const verifyMac: CommandSpec<VerifyMacResult> = {
  id: VERIFY,
  action: 'verify the MAC',
  run: async (arg, services) => {
    const args = Args.from(VERIFY, arg, [...KEY_FIELDS, ...MESSAGE_FIELDS, 'mac']);
    const scripted = isScripted(arg);
    const givenMac = args.string('mac', 'the MAC in base64');
    const macBytes = givenMac !== undefined ? argValue(VERIFY, 'mac', decodeBase64(givenMac, 'The MAC')) : undefined;
    if (scripted && macBytes === undefined) throw new ArgumentError(`${VERIFY}: "mac" (base64) is required.`);
    const key = await resolveKey(arg, args, services, { title: 'Verify MAC with key', action: 'verifyMac' });
    const { message, algorithm } = await macInput(VERIFY, args, key, services, {
      scripted,
      title: `Verify a MAC with ${key.label}`,
      totalSteps: 3,
    });
    const mac =
      macBytes ??
      (await inputChecked(services.ui, { title: 'The MAC to verify (base64)', step: 3, totalSteps: 3 }, (t) => {
        const d = decodeBase64(t, 'The MAC');
        return d.ok && d.value.length === 0 ? { ok: false, problem: 'Enter the MAC in base64.' } : d;
      }));
    const valid = await key.gateway.verifyMac({ KeyId: key.keyId, Message: message.bytes, MacAlgorithm: algorithm, Mac: mac });
    if (valid) notify(`The MAC is valid for this message, ${key.label} and ${algorithm}.`);
    else void vscode.window.showWarningMessage(`The MAC is NOT valid for this message, ${key.label} and ${algorithm}.`);
    return { keyId: key.keyId, macAlgorithm: algorithm, macValid: valid };
  },
};
