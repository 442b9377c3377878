import { Args } from '../../core/args/readArgs';
import { BYTE_ENCODINGS, type ByteEncoding, encodeBytes } from '../../core/keyOps/encoding';
import { RANDOM_BYTES, checkRandomLength } from '../../core/keyOps/validation';
import type { CommandSpec } from '../commands/commandRunner';
import { inputChecked, isScripted } from './commandArgs';
import type { KeyCommandDeps } from './deps';
import { type Output, chooseOutput, deliver, warnSecret } from './output';
import { resolveConnection } from './resolveKey';

const ID = 'kmsWorkbench.generateRandom';

export interface RandomResult {
  readonly numberOfBytes: number;
  readonly encoding: ByteEncoding;
  /** Where the bytes went (never into this result: they may become a key). */
  readonly output: Output;
}

/**
 * `kmsWorkbench.generateRandom` `{ connection?, numberOfBytes? (1–1024, default 32),
 * encoding? (base64 | hex | base64url, default base64), output? (editor | clipboard,
 * default editor) }`: GenerateRandom. The bytes are treated as secret: a read-only
 * in-memory editor or the clipboard, with a warning. Returns `{ numberOfBytes, encoding, output }`.
 */
export function generateRandom(deps: KeyCommandDeps): CommandSpec<RandomResult> {
  return {
    id: ID,
    action: 'generate random bytes',
    run: async (arg, services) => {
      const args = Args.from(ID, arg, ['connection', 'numberOfBytes', 'encoding', 'output']);
      const scripted = isScripted(arg);
      const givenLength = args.number('numberOfBytes', 'a whole number of bytes from 1 to 1024', RANDOM_BYTES);
      const givenEncoding = args.oneOf('encoding', BYTE_ENCODINGS);
      args.oneOf('output', ['editor', 'clipboard']);
      const connection = await resolveConnection(arg, args, services);
      const numberOfBytes =
        givenLength ??
        (scripted
          ? 32
          : await inputChecked(
              services.ui,
              {
                title: `Random bytes from KMS (${connection.label})`,
                step: 1,
                totalSteps: 3,
                prompt: 'How many bytes: 1 to 1024.',
                value: '32',
              },
              checkRandomLength,
            ));
      const encoding =
        givenEncoding ??
        (scripted
          ? 'base64'
          : await services.ui.pick(
              [
                { label: 'base64', value: 'base64' as const },
                { label: 'hex', value: 'hex' as const },
                { label: 'base64url', description: 'URL- and file-name-safe', value: 'base64url' as const },
              ],
              { title: 'Encoding', step: 2, totalSteps: 3 },
            ));
      const output = await chooseOutput(services.ui, args, scripted, { secret: true, what: 'the random bytes', allowNone: false });
      const bytes = await services.kms.gateway(connection).generateRandom(numberOfBytes);
      const text = encodeBytes(bytes, encoding);
      await deliver(deps.docs, output, { fileName: `random-${numberOfBytes}-bytes.txt`, document: `${text}\n`, clipboard: text });
      warnSecret(output, `${numberOfBytes} random bytes (${encoding})`, { clipboardText: text });
      return { numberOfBytes, encoding, output };
    },
  };
}
