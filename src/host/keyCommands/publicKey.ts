import { Args } from '../../core/args/readArgs';
import { toPem } from '../../core/keyOps/encoding';
import type { CommandSpec } from '../commands/commandRunner';
import { isScripted } from './commandArgs';
import type { KeyCommandDeps } from './deps';
import { chooseOutput, deliver, fileLabel, notify } from './output';
import { KEY_FIELDS, resolveKey } from './resolveKey';

const ID = 'kmsWorkbench.getPublicKey';

export interface PublicKeyResult {
  readonly keyId: string;
  readonly keySpec?: string;
  readonly keyUsage?: string;
  /** PEM (SubjectPublicKeyInfo), what `openssl` and Node's crypto read. */
  readonly publicKey: string;
  readonly signingAlgorithms?: string[];
  readonly encryptionAlgorithms?: string[];
}

/**
 * `kmsWorkbench.getPublicKey` `{ keyId?, connection?, output? (editor | clipboard | none,
 * default none with an argument object) }`: GetPublicKey of an asymmetric key, as PEM.
 * Returns `{ keyId, keySpec, keyUsage, publicKey, signingAlgorithms, encryptionAlgorithms }`.
 */
export function getPublicKey(deps: KeyCommandDeps): CommandSpec<PublicKeyResult> {
  return {
    id: ID,
    action: 'get the public key',
    run: async (arg, services) => {
      const args = Args.from(ID, arg, [...KEY_FIELDS, 'output']);
      args.oneOf('output', ['editor', 'clipboard', 'none']);
      const key = await resolveKey(arg, args, services, { title: 'Get public key of key', action: 'getPublicKey' });
      const output = await chooseOutput(services.ui, args, isScripted(arg), {
        secret: false,
        what: 'the public key (PEM)',
        allowNone: true,
      });
      const out = await key.gateway.getPublicKey(key.keyId);
      const pem = out.PublicKey ? toPem(out.PublicKey, 'PUBLIC KEY') : '';
      await deliver(deps.docs, output, { fileName: `public-key-${fileLabel(key.label)}.pem`, document: pem, clipboard: pem });
      if (output === 'clipboard') notify(`The public key of ${key.label} (PEM) is on the clipboard.`);
      return {
        keyId: out.KeyId ?? key.keyId,
        keySpec: out.KeySpec,
        keyUsage: out.KeyUsage,
        publicKey: pem,
        signingAlgorithms: out.SigningAlgorithms,
        encryptionAlgorithms: out.EncryptionAlgorithms,
      };
    },
  };
}
