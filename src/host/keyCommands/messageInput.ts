import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import type { Args } from '../../core/args/readArgs';
import type { Checked } from '../../core/keyOps/checked';
import { MESSAGE_ENCODINGS, type MessageEncoding, checkMessageLength, decodeBase64, decodeMessage } from '../../core/keyOps/encoding';
import { MESSAGE_BYTES_MAX } from '../../core/keyOps/validation';
import type { Services } from '../services';
import { argValue, inputChecked } from './commandArgs';

/** The bytes to sign or MAC, and whether they are a message, its digest, or an ML-DSA μ. */
export interface MessageBytes {
  readonly bytes: Uint8Array;
  readonly messageType: 'RAW' | 'DIGEST' | 'EXTERNAL_MU';
}

/** What stands for a message when it is not given itself: a digest (RSA, ECC) or μ (ML-DSA), or nothing (MACs). */
export type PrecomputedKind = 'DIGEST' | 'EXTERNAL_MU' | undefined;

/**
 * The message of Sign/Verify/GenerateMac/VerifyMac: from the `message` argument (with
 * `messageEncoding` text | base64 | hex, default text, and for signing `messageType` RAW |
 * DIGEST), or chosen: the editor's selection, or typed text, base64, or a digest.
 */
export async function messageOf(
  command: string,
  args: Args,
  services: Services,
  scripted: boolean,
  options: { title: string; precomputed: PrecomputedKind; step: { step: number; totalSteps: number } },
): Promise<MessageBytes> {
  const given = args.raw('message');
  const encoding = args.oneOf('messageEncoding', MESSAGE_ENCODINGS) ?? 'text';
  const messageType = options.precomputed ? (args.oneOf('messageType', ['RAW', 'DIGEST', 'EXTERNAL_MU'] as const) ?? 'RAW') : 'RAW';
  if (messageType !== 'RAW' && messageType !== options.precomputed) {
    throw new ArgumentError(
      options.precomputed === 'EXTERNAL_MU'
        ? `${command}: "messageType" DIGEST is not for ML-DSA keys: give the message itself (RAW) or its 64-byte μ (EXTERNAL_MU).`
        : `${command}: "messageType" EXTERNAL_MU is only for ML-DSA keys: give the message itself (RAW) or its digest (DIGEST).`,
    );
  }
  if (given !== undefined) {
    if (typeof given !== 'string')
      throw new ArgumentError(`${command}: "message" must be a string (text, or base64/hex with messageEncoding).`);
    const bytes = argValue(command, 'message', decodeMessage(given, encoding));
    return { bytes: argValue(command, 'message', lengthOk(bytes, messageType)), messageType };
  }
  if (scripted) throw new ArgumentError(`${command}: "message" is required.`);

  type Source = 'selection' | 'text' | 'base64' | 'digest' | 'mu';
  const selection = selectedText();
  const items: { label: string; description?: string; value: Source }[] = [];
  if (selection)
    items.push({
      label: '$(selection) The selected text',
      description: `${Buffer.byteLength(selection, 'utf8')} bytes, UTF-8`,
      value: 'selection',
    });
  items.push({ label: '$(edit) Type a message', description: 'UTF-8 text', value: 'text' });
  items.push({ label: '$(symbol-numeric) Type a message in base64', description: 'binary data', value: 'base64' });
  if (options.precomputed === 'DIGEST')
    items.push({ label: '$(key) Give a digest', description: 'hex or base64, computed outside (MessageType DIGEST)', value: 'digest' });
  if (options.precomputed === 'EXTERNAL_MU')
    items.push({
      label: '$(key) Give μ (the ML-DSA message representative)',
      description: '64 bytes in hex or base64, computed outside (MessageType EXTERNAL_MU)',
      value: 'mu',
    });
  const source = items.length === 1 ? items[0].value : await services.ui.pick(items, { title: options.title, ...options.step });
  if (source === 'selection' && selection !== undefined) {
    const bytes = Buffer.from(selection, 'utf8');
    const checked = lengthOk(new Uint8Array(bytes), 'RAW');
    if (!checked.ok) throw new ArgumentError(checked.problem);
    return { bytes: checked.value, messageType: 'RAW' };
  }
  const typeOf: MessageBytes['messageType'] = source === 'digest' ? 'DIGEST' : source === 'mu' ? 'EXTERNAL_MU' : 'RAW';
  const decode = (text: string): Checked<Uint8Array> => {
    let decoded: Checked<Uint8Array>;
    if (source === 'text') decoded = decodeMessage(text, 'text');
    else if (source === 'base64') decoded = decodeBase64(text, 'The message');
    else {
      const what = source === 'mu' ? 'μ' : 'The digest';
      decoded = /^[\s0-9a-fA-F]+$/.test(text) ? decodeMessage(text, 'hex', what) : decodeBase64(text, what);
    }
    return decoded.ok ? lengthOk(decoded.value, typeOf) : decoded;
  };
  const bytes = await inputChecked(
    services.ui,
    {
      title: options.title,
      ...options.step,
      prompt:
        source === 'digest'
          ? 'The digest, in hex or base64.'
          : source === 'mu'
            ? 'μ: 64 bytes, in hex or base64.'
            : `Up to ${MESSAGE_BYTES_MAX} bytes.`,
    },
    decode,
  );
  return { bytes, messageType: typeOf };
}

function lengthOk(bytes: Uint8Array, messageType: MessageBytes['messageType']): Checked<Uint8Array> {
  if (messageType === 'EXTERNAL_MU')
    return bytes.length === 64
      ? { ok: true, value: bytes }
      : { ok: false, problem: `μ is 64 bytes (SHAKE256 of the public key's hash and the message); this is ${bytes.length}.` };
  return checkMessageLength(
    bytes,
    MESSAGE_BYTES_MAX,
    messageType === 'DIGEST' ? 'The digest' : 'The message',
    messageType === 'RAW' ? 'Sign a digest of it instead (messageType DIGEST).' : '',
  );
}

function selectedText(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) return undefined;
  return editor.document.getText(editor.selection);
}

/** An algorithm from the key's list: the argument (checked against the list), the only one, or a pick. */
export async function algorithmOf(
  command: string,
  field: string,
  given: string | undefined,
  available: readonly string[],
  services: Services,
  scripted: boolean,
  options: { title: string; step: { step: number; totalSteps: number } },
): Promise<string> {
  if (available.length === 0)
    throw new ArgumentError(`${command}: the key lists no ${field === 'macAlgorithm' ? 'MAC' : 'signing'} algorithms.`);
  if (given !== undefined) {
    if (!available.includes(given))
      throw new ArgumentError(
        `${command}: "${field}" ${JSON.stringify(given)} is not one of this key's algorithms: ${available.join(', ')}.`,
      );
    return given;
  }
  if (scripted || available.length === 1) return available[0];
  return services.ui.pick(
    available.map((a) => ({ label: a, value: a })),
    { title: options.title, ...options.step },
  );
}

export type { MessageEncoding };
