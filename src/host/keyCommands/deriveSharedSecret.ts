import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import { peerPublicKey } from '../../core/byok/peerPublicKey';
import { toPem } from '../../core/keyOps/encoding';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { UserCancelledError } from '../ui/userInput';
import { argValue, isScripted } from './commandArgs';
import type { KeyCommandDeps } from './deps';
import { type Output, chooseOutput, deliverSharedSecret } from './output';
import { KEY_FIELDS, type ResolvedKey, resolveKey } from './resolveKey';

const DERIVE = 'kmsWorkbench.deriveSharedSecret';

export interface SharedSecretResult {
  readonly keyId: string;
  readonly keyAgreementAlgorithm: 'ECDH';
  /** The peer public key used, PEM. */
  readonly publicKey: string;
  /** Where the shared secret went (never into this result). */
  readonly output: Output;
}

async function readFile(path: string): Promise<Uint8Array> {
  try {
    return await vscode.workspace.fs.readFile(vscode.Uri.file(path));
  } catch (error) {
    throw new ArgumentError(`${DERIVE}: "publicKeyFile": cannot read ${path} (${error instanceof Error ? error.message : String(error)}).`);
  }
}

async function peerKey(arg: unknown, args: Args, services: Services, key: ResolvedKey): Promise<Buffer> {
  const spec = key.metadata.KeySpec;
  const text = args.string('publicKey', "the other party's public key: PEM, or DER in base64");
  const path = args.string('publicKeyFile', 'the path of a PEM or DER public key file');
  if (text !== undefined && path !== undefined) throw new ArgumentError(`${DERIVE}: give "publicKey" or "publicKeyFile", not both.`);
  if (text !== undefined) return argValue(DERIVE, 'publicKey', peerPublicKey(text, spec));
  if (path !== undefined) return argValue(DERIVE, 'publicKeyFile', peerPublicKey(await readFile(path), spec));
  if (isScripted(arg))
    throw new ArgumentError(`${DERIVE}: give the other party's public key: "publicKey" (PEM or base64 DER) or "publicKeyFile" (a path).`);
  const source = await services.ui.pick(
    [
      { label: '$(file) From a file…', description: 'PEM or DER (SubjectPublicKeyInfo)', value: 'file' as const },
      { label: '$(clippy) From the clipboard', description: 'PEM, or DER in base64', value: 'clipboard' as const },
    ],
    { title: `Derive a shared secret with ${key.label}: the other party's public key (${spec ?? ''})`, step: 1, totalSteps: 2 },
  );
  if (source === 'clipboard') return argValue(DERIVE, 'clipboard', peerPublicKey(await vscode.env.clipboard.readText(), spec));
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Use This Public Key',
    title: `The other party's public key (${spec ?? ''})`,
  });
  if (!picked?.[0]) throw new UserCancelledError();
  return argValue(DERIVE, 'publicKeyFile', peerPublicKey(await readFile(picked[0].fsPath), spec));
}

/**
 * `kmsWorkbench.deriveSharedSecret` `{ keyId?, connection?, publicKey? (the other party's
 * public key: PEM, or DER in base64) | publicKeyFile? (path of a PEM or DER file), output?
 * (editor | clipboard, default editor) }`: DeriveSharedSecret (ECDH) with an ECC key of key
 * usage KEY_AGREEMENT. Interactively the public key comes from a file or the clipboard. The
 * shared secret is secret material: it goes only to a read-only in-memory editor (JSON with
 * base64 and hex) or the clipboard (base64), with a warning; never into the result. Returns
 * `{ keyId, keyAgreementAlgorithm, publicKey (PEM), output }`.
 */
export function deriveSharedSecret(deps: KeyCommandDeps): CommandSpec<SharedSecretResult> {
  return {
    id: DERIVE,
    action: 'derive the shared secret',
    run: async (arg, services) => {
      const args = Args.from(DERIVE, arg, [...KEY_FIELDS, 'publicKey', 'publicKeyFile', 'output']);
      const scripted = isScripted(arg);
      args.oneOf('output', ['editor', 'clipboard']);
      const key = await resolveKey(arg, args, services, { title: 'Derive a shared secret with key', action: 'deriveSharedSecret' });
      const peer = await peerKey(arg, args, services, key);
      const output = await chooseOutput(services.ui, args, scripted, { secret: true, what: 'the shared secret', allowNone: false });
      const out = await key.gateway.deriveSharedSecret({ keyId: key.keyId, publicKey: peer });
      const publicKeyPem = toPem(peer, 'PUBLIC KEY');
      await deliverSharedSecret(deps.docs, output, key.label, out.sharedSecret, {
        head: { KeyId: out.keyId, KeyAgreementAlgorithm: 'ECDH' },
        tail: {
          PublicKey: publicKeyPem,
          Note: 'The raw ECDH shared secret: derive keys from it with a KDF (such as HKDF) rather than using it directly.',
        },
      });
      return { keyId: out.keyId, keyAgreementAlgorithm: 'ECDH', publicKey: publicKeyPem, output };
    },
  };
}
