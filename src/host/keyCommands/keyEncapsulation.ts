import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import { decodeBase64 } from '../../core/keyOps/encoding';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { argValue, inputChecked, isScripted } from './commandArgs';
import type { KeyCommandDeps } from './deps';
import { type Output, chooseOutput, deliverSharedSecret } from './output';
import { KEY_FIELDS, type ResolvedKey, resolveKey } from './resolveKey';

const ENCAPSULATE = 'kmsWorkbench.encapsulateSecret';
const DECAPSULATE = 'kmsWorkbench.decapsulateSecret';

/** Bytes of the encapsulated secret (the ML-KEM ciphertext) of each key spec. */
const CIPHERTEXT_BYTES: Record<string, number> = { ML_KEM_512: 768, ML_KEM_768: 1088, ML_KEM_1024: 1568 };

export interface EncapsulateResult {
  readonly keyId: string;
  readonly encapsulationAlgorithm: 'ML_KEM';
  /** The encapsulated shared secret (not secret: only the key can open it), base64. */
  readonly sharedSecretCiphertextBlob: string;
  /** Where the shared secret went (never into this result). */
  readonly output: Output;
}

export interface DecapsulateResult {
  readonly keyId: string;
  readonly encapsulationAlgorithm: 'ML_KEM';
  /** Where the shared secret went (never into this result). */
  readonly output: Output;
}

const NOTE = 'The ML-KEM shared secret (32 bytes): derive keys from it with a KDF (such as HKDF) rather than using it directly.';

function showSecret(
  deps: KeyCommandDeps,
  output: Output,
  key: ResolvedKey,
  secret: Uint8Array,
  fields: Record<string, string>,
): Promise<void> {
  return deliverSharedSecret(deps.docs, output, key.label, secret, {
    head: { KeyId: key.keyId, EncapsulationAlgorithm: 'ML_KEM' },
    tail: { ...fields, Note: NOTE },
  });
}

/**
 * `kmsWorkbench.encapsulateSecret` `{ keyId?, connection?, output? (editor | clipboard, default
 * editor) }`: Encapsulate with an ML-KEM key (ML_KEM_512/768/1024, key usage
 * ENCAPSULATE_DECAPSULATE): KMS makes a fresh 32-byte shared secret and its encapsulated form.
 * The shared secret is secret material: it goes only to a read-only in-memory editor (with the
 * encapsulated form) or the clipboard (base64), with a warning; never into the result. Returns
 * `{ keyId, encapsulationAlgorithm, sharedSecretCiphertextBlob (base64), output }`; give the
 * encapsulated form to whoever decapsulates it with the same key.
 */
export function encapsulateSecret(deps: KeyCommandDeps): CommandSpec<EncapsulateResult> {
  return {
    id: ENCAPSULATE,
    action: 'encapsulate a shared secret',
    run: async (arg, services) => {
      const args = Args.from(ENCAPSULATE, arg, [...KEY_FIELDS, 'output']);
      args.oneOf('output', ['editor', 'clipboard']);
      const key = await resolveKey(arg, args, services, { title: 'Encapsulate a shared secret with key', action: 'encapsulate' });
      const output = await chooseOutput(services.ui, args, isScripted(arg), { secret: true, what: 'the shared secret', allowNone: false });
      const out = await key.gateway.encapsulate(key.keyId);
      const ciphertext = Buffer.from(out.ciphertext).toString('base64');
      await showSecret(deps, output, key, out.sharedSecret, { SharedSecretCiphertextBlob: ciphertext });
      return { keyId: out.keyId, encapsulationAlgorithm: 'ML_KEM', sharedSecretCiphertextBlob: ciphertext, output };
    },
  };
}

async function readCiphertextFile(path: string): Promise<Uint8Array> {
  try {
    return await vscode.workspace.fs.readFile(vscode.Uri.file(path));
  } catch (error) {
    throw new ArgumentError(
      `${DECAPSULATE}: "ciphertextFile": cannot read ${path} (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
}

function checkLength(bytes: Uint8Array, spec: string | undefined): { ok: true; value: Uint8Array } | { ok: false; problem: string } {
  const expected = spec ? CIPHERTEXT_BYTES[spec] : undefined;
  if (expected !== undefined && bytes.length !== expected)
    return {
      ok: false,
      problem:
        `The encapsulated secret of a ${spec} key is ${expected} bytes; this is ${bytes.length}. ` +
        'Use the SharedSecretCiphertextBlob that Encapsulate gave for this key.',
    };
  return { ok: true, value: bytes };
}

/**
 * `kmsWorkbench.decapsulateSecret` `{ keyId?, connection?, ciphertext? (the encapsulated secret,
 * base64) | ciphertextFile? (path of the raw bytes), output? (editor | clipboard, default editor) }`:
 * Decapsulate with an ML-KEM key: the 32-byte shared secret of an encapsulated form made with
 * the key's public key (by Encapsulate, or by anyone holding the public key). Interactively the
 * encapsulated form is typed or pasted in base64. The shared secret goes only to a read-only
 * in-memory editor or the clipboard; never into the result. Returns `{ keyId,
 * encapsulationAlgorithm, output }`.
 */
export function decapsulateSecret(deps: KeyCommandDeps): CommandSpec<DecapsulateResult> {
  return {
    id: DECAPSULATE,
    action: 'decapsulate the shared secret',
    run: async (arg, services: Services) => {
      const args = Args.from(DECAPSULATE, arg, [...KEY_FIELDS, 'ciphertext', 'ciphertextFile', 'output']);
      args.oneOf('output', ['editor', 'clipboard']);
      const scripted = isScripted(arg);
      const text = args.string('ciphertext', 'the encapsulated secret in base64');
      const path = args.string('ciphertextFile', 'the path of a file holding the encapsulated secret');
      if (text !== undefined && path !== undefined)
        throw new ArgumentError(`${DECAPSULATE}: give "ciphertext" or "ciphertextFile", not both.`);
      if (scripted && text === undefined && path === undefined)
        throw new ArgumentError(`${DECAPSULATE}: give the encapsulated secret: "ciphertext" (base64) or "ciphertextFile" (a path).`);
      const key = await resolveKey(arg, args, services, { title: 'Decapsulate a shared secret with key', action: 'decapsulate' });
      const spec = key.metadata.KeySpec;
      let ciphertext: Uint8Array;
      if (text !== undefined) ciphertext = argValue(DECAPSULATE, 'ciphertext', decodeBase64(text, 'The encapsulated secret'));
      else if (path !== undefined) ciphertext = await readCiphertextFile(path);
      else {
        ciphertext = await inputChecked(
          services.ui,
          { title: `Decapsulate with ${key.label}: the encapsulated secret (base64)`, step: 1, totalSteps: 2 },
          (t) => {
            const d = decodeBase64(t, 'The encapsulated secret');
            return d.ok ? checkLength(d.value, spec) : d;
          },
        );
      }
      const sized = checkLength(ciphertext, spec);
      if (!sized.ok) throw new ArgumentError(`${DECAPSULATE}: ${sized.problem}`);
      const output = await chooseOutput(services.ui, args, scripted, { secret: true, what: 'the shared secret', allowNone: false });
      const out = await key.gateway.decapsulate({ keyId: key.keyId, ciphertext });
      await showSecret(deps, output, key, out.sharedSecret, {});
      return { keyId: out.keyId, encapsulationAlgorithm: 'ML_KEM', output };
    },
  };
}
