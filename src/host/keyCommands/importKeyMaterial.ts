import * as vscode from 'vscode';
import { ArgumentError } from '../../core/args/argumentError';
import { Args } from '../../core/args/readArgs';
import {
  canGenerate,
  checkExpiry,
  generateMaterial,
  isAsymmetricSpec,
  materialFromBase64,
  materialFromFile,
} from '../../core/byok/keyMaterial';
import {
  WRAPPING_ALGORITHMS,
  WRAPPING_KEY_SPECS,
  type WrappingAlgorithm,
  type WrappingKeySpec,
  defaultWrappingAlgorithm,
  wrapKeyMaterial,
  wrappingProblem,
} from '../../core/byok/wrapKeyMaterial';
import { KmsError } from '../../core/kms/errors';
import { formatDate } from '../../core/keyOps/summaries';
import { toPem } from '../../core/keyOps/encoding';
import type { CommandSpec } from '../commands/commandRunner';
import type { Services } from '../services';
import { UserCancelledError } from '../ui/userInput';
import { argValue, confirmedByArgs, inputChecked, isScripted } from './commandArgs';
import type { KeyCommandDeps } from './deps';
import { type Output, chooseOutput, deliver, fileLabel, notify, warnSecret } from './output';
import { KEY_FIELDS, type ResolvedKey, keyChanged, resolveKey } from './resolveKey';

const IMPORT = 'kmsWorkbench.importKeyMaterial';
const DELETE = 'kmsWorkbench.deleteImportedKeyMaterial';

/** The wrapping key size used unless `wrappingKeySpec` says otherwise. */
const DEFAULT_WRAPPING_KEY_SPEC: WrappingKeySpec = 'RSA_3072';

export interface ImportResult {
  readonly keyId: string;
  readonly keyState: string;
  readonly expirationModel: 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE';
  /** ISO date when the material expires (KMS then deletes it and the key waits for it again). */
  readonly validTo?: string;
  readonly wrappingAlgorithm: WrappingAlgorithm;
  readonly wrappingKeySpec: WrappingKeySpec;
  /** KMS's id of the material (symmetric keys). */
  readonly keyMaterialId?: string;
  /** Whether the material was made here; it was then shown once (`output`), never returned. */
  readonly generated: boolean;
  readonly output?: Output;
}

interface MaterialChoice {
  readonly material: Buffer;
  readonly generated: boolean;
}

/** Zeroes material however the command ends. */
function zero(choice: MaterialChoice | undefined): void {
  choice?.material.fill(0);
}

async function readMaterialFile(path: string, keySpec: string | undefined): Promise<Buffer> {
  let bytes: Uint8Array;
  try {
    bytes = await vscode.workspace.fs.readFile(vscode.Uri.file(path));
  } catch (error) {
    throw new ArgumentError(`${IMPORT}: "materialFile": cannot read ${path} (${error instanceof Error ? error.message : String(error)}).`);
  }
  try {
    return argValue(IMPORT, 'materialFile', materialFromFile(bytes, keySpec));
  } finally {
    bytes.fill(0);
  }
}

/** At most one source of material in the arguments (checked before anything is asked or sent). */
function checkOneSource(args: Args): void {
  const given = ['material', 'materialFile', 'generate'].filter((f) =>
    f === 'generate' ? args.boolean('generate') === true : args.has(f),
  );
  if (given.length > 1)
    throw new ArgumentError(`${IMPORT}: give one of "material", "materialFile" and "generate", not ${given.join(' and ')}.`);
}

async function materialFromArgs(args: Args, keySpec: string | undefined): Promise<MaterialChoice | undefined> {
  checkOneSource(args);
  const text = args.string('material', 'the key material, base64');
  if (text !== undefined) return { material: argValue(IMPORT, 'material', materialFromBase64(text, keySpec)), generated: false };
  const path = args.string('materialFile', 'the path of a file holding the key material');
  if (path !== undefined) return { material: await readMaterialFile(path, keySpec), generated: false };
  if (args.boolean('generate') === true) {
    if (!canGenerate(keySpec)) throw new ArgumentError(`${IMPORT}: "generate": material for ${keySpec ?? '?'} keys cannot be made here.`);
    return { material: await generateMaterial(keySpec), generated: true };
  }
  return undefined;
}

async function askMaterial(services: Services, key: ResolvedKey): Promise<MaterialChoice> {
  const spec = key.metadata.KeySpec;
  const asymmetric = isAsymmetricSpec(spec);
  type Source = 'generate' | 'file' | 'paste';
  const source = await services.ui.pick<Source>(
    [
      ...(canGenerate(spec)
        ? [
            {
              label: '$(sparkle) Make new key material here',
              description: asymmetric ? `a new ${spec ?? ''} private key` : 'random bytes from node:crypto',
              detail:
                'Shown to you once, in a read-only editor held in memory (or on the clipboard): ' +
                'save it somewhere safe. Re-importing needs exactly this material.',
              value: 'generate' as const,
            },
          ]
        : []),
      { label: '$(file) From a file…', description: asymmetric ? 'PEM or DER private key' : 'raw bytes or base64', value: 'file' },
      ...(asymmetric ? [] : [{ label: '$(clippy) Paste it (base64)', description: 'typed into a password box', value: 'paste' as const }]),
    ],
    { title: `Import key material into ${key.label}: the material`, step: 1, totalSteps: 3 },
  );
  if (source === 'generate') return { material: await generateMaterial(spec), generated: true };
  if (source === 'paste') {
    const text = await services.ui.input({
      title: `Key material for ${key.label} (base64)`,
      password: true,
      prompt: spec === 'SYMMETRIC_DEFAULT' || spec === undefined ? '32 bytes, base64 (44 characters).' : `${spec} material, base64.`,
      validate: (v) => {
        const checked = materialFromBase64(v, spec);
        if (checked.ok) checked.value.fill(0);
        return checked.ok ? undefined : checked.problem;
      },
    });
    return { material: argValue(IMPORT, 'material', materialFromBase64(text, spec)), generated: false };
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Import This Material',
    title: `Key material for ${key.label}`,
  });
  if (!picked?.[0]) throw new UserCancelledError();
  return { material: await readMaterialFile(picked[0].fsPath, spec), generated: false };
}

async function askExpiry(services: Services, key: ResolvedKey): Promise<Date | undefined> {
  const expires = await services.ui.pick(
    [
      {
        label: 'Does not expire',
        description: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        detail: 'The material stays until you delete it.',
        value: false,
      },
      {
        label: 'Expires on a date…',
        description: 'KEY_MATERIAL_EXPIRES',
        detail: 'KMS deletes the material then; the key waits for the same material again (at most 365 days ahead).',
        value: true,
      },
    ],
    { title: `Import key material into ${key.label}: expiry`, step: 2, totalSteps: 3 },
  );
  if (!expires) return undefined;
  return inputChecked(
    services.ui,
    {
      title: 'Expiry of the key material',
      step: 2,
      totalSteps: 3,
      placeholder: '2026-12-31 or 2026-12-31T18:00:00Z',
      prompt: 'After this moment (UTC) the key cannot be used until the same material is imported again.',
    },
    (text) => checkExpiry(text),
  );
}

/** One GetParametersForImport → wrap → ImportKeyMaterial, with the wrapped bytes zeroed after. */
async function wrapAndImport(
  key: ResolvedKey,
  material: Buffer,
  options: { algorithm: WrappingAlgorithm; wrappingKeySpec: WrappingKeySpec; validTo?: Date; signal: AbortSignal },
): Promise<{ keyMaterialId?: string }> {
  const params = await key.gateway.getParametersForImport(
    { KeyId: key.keyId, WrappingAlgorithm: options.algorithm, WrappingKeySpec: options.wrappingKeySpec },
    { abortSignal: options.signal },
  );
  if (params.parametersValidTo && params.parametersValidTo.getTime() <= Date.now()) {
    throw new KmsError(
      'ExpiredImportTokenException',
      `The import parameters KMS just gave are already expired (${params.parametersValidTo.toISOString()}): check the system clock.`,
    );
  }
  const wrapped = wrapKeyMaterial(params.publicKey, options.algorithm, material);
  try {
    const out = await key.gateway.importKeyMaterial(
      {
        KeyId: key.keyId,
        ImportToken: params.importToken,
        EncryptedKeyMaterial: wrapped,
        ExpirationModel: options.validTo ? 'KEY_MATERIAL_EXPIRES' : 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        ValidTo: options.validTo,
      },
      { abortSignal: options.signal },
    );
    return { keyMaterialId: out.KeyMaterialId };
  } finally {
    wrapped.fill(0);
  }
}

function withCancellableProgress<T>(title: string, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return Promise.resolve(
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `KMS: ${title}`, cancellable: true },
      async (_progress, token) => {
        const controller = new AbortController();
        const sub = token.onCancellationRequested(() => controller.abort());
        try {
          return await task(controller.signal);
        } finally {
          sub.dispose();
        }
      },
    ),
  );
}

function materialDocument(key: ResolvedKey, material: Buffer, validTo: Date | undefined): { document: string; clipboard: string } {
  const asymmetric = isAsymmetricSpec(key.metadata.KeySpec);
  const base64 = material.toString('base64');
  const pem = asymmetric ? toPem(material, 'PRIVATE KEY') : undefined;
  const document = `${JSON.stringify(
    {
      KeyId: key.metadata.Arn ?? key.keyId,
      KeySpec: key.metadata.KeySpec,
      KeyMaterial: base64,
      ...(pem ? { KeyMaterialPem: pem } : {}),
      Format: asymmetric ? 'DER PKCS#8 private key, base64' : 'raw bytes, base64',
      ExpirationModel: validTo ? 'KEY_MATERIAL_EXPIRES' : 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      ...(validTo ? { ValidTo: validTo.toISOString() } : {}),
      Note:
        'This material was imported into the key above. Save it somewhere safe now: ' +
        'after an expiry or a deletion the key only works again when exactly this material is imported. ' +
        'It is shown once and never stored by KMS Workbench.',
    },
    null,
    2,
  )}\n`;
  return { document, clipboard: pem ?? base64 };
}

/**
 * `kmsWorkbench.importKeyMaterial` `{ keyId?, connection?, material? (base64) | materialFile?
 * (path: raw bytes, base64, or a PEM/DER private key for asymmetric keys) | generate? (true:
 * fresh material made here, shown once), expiresAt? (ISO date, at most 365 days ahead; none =
 * does not expire), wrappingAlgorithm? (RSAES_OAEP_SHA_256 default for symmetric keys,
 * RSA_AES_KEY_WRAP_SHA_256 default for HMAC and asymmetric keys; also RSAES_OAEP_SHA_1,
 * RSA_AES_KEY_WRAP_SHA_1), wrappingKeySpec? (RSA_2048 | RSA_3072 default | RSA_4096),
 * output? (where generated material goes: editor default | clipboard), confirm? (needed with
 * an argument object when the key already has material) }`: GetParametersForImport, wraps
 * the material locally with the returned public key, ImportKeyMaterial within the token's
 * lifetime. The material is never logged, stored or returned, and its buffers are zeroed.
 * Returns `{ keyId, keyState, expirationModel, validTo, wrappingAlgorithm, wrappingKeySpec,
 * keyMaterialId, generated, output }`.
 */
export function importKeyMaterial(deps: KeyCommandDeps): CommandSpec<ImportResult> {
  return {
    id: IMPORT,
    action: 'import the key material',
    run: async (arg, services) => {
      const args = Args.from(IMPORT, arg, [
        ...KEY_FIELDS,
        'material',
        'materialFile',
        'generate',
        'expiresAt',
        'wrappingAlgorithm',
        'wrappingKeySpec',
        'output',
        'confirm',
      ]);
      const scripted = isScripted(arg);
      const algorithmArg = args.oneOf('wrappingAlgorithm', WRAPPING_ALGORITHMS);
      const wrappingKeySpec = args.oneOf('wrappingKeySpec', WRAPPING_KEY_SPECS) ?? DEFAULT_WRAPPING_KEY_SPEC;
      const expiresArg = args.string('expiresAt', 'an ISO date like 2026-12-31');
      const givenExpiry = expiresArg !== undefined ? argValue(IMPORT, 'expiresAt', checkExpiry(expiresArg)) : undefined;
      args.oneOf('output', ['editor', 'clipboard']);
      args.boolean('confirm');
      checkOneSource(args);
      const key = await resolveKey(arg, args, services, { title: 'Import key material into key', action: 'importKeyMaterial' });
      const spec = key.metadata.KeySpec;
      const algorithm = algorithmArg ?? defaultWrappingAlgorithm(spec);
      const unsuitable = wrappingProblem(spec, algorithm);
      if (unsuitable) throw new ArgumentError(`${IMPORT}: "wrappingAlgorithm": ${unsuitable}`);
      const hasMaterial = key.metadata.KeyState !== 'PendingImport';
      if (hasMaterial) {
        if (scripted)
          confirmedByArgs(IMPORT, arg, args, `re-imports the material of ${key.label}, which has material now (this changes its expiry)`);
        else {
          await services.ui.confirm(`${key.label} already has key material. Import it again?`, {
            detail: 'KMS accepts only the same material again; re-importing it changes when it expires.',
            confirmLabel: 'Import Again',
          });
        }
      }
      let choice: MaterialChoice | undefined;
      try {
        choice = (await materialFromArgs(args, spec)) ?? (scripted ? undefined : await askMaterial(services, key));
        if (!choice)
          throw new ArgumentError(`${IMPORT}: give the key material: "material" (base64), "materialFile" (a path) or "generate": true.`);
        const validTo = scripted ? givenExpiry : (givenExpiry ?? (await askExpiry(services, key)));
        const output = choice.generated
          ? await chooseOutput(services.ui, args, scripted, { secret: true, what: 'the new key material', allowNone: false })
          : undefined;
        if (!scripted) {
          await services.ui.confirm(`Import ${choice.generated ? 'new' : 'your'} key material into ${key.label}?`, {
            detail: [
              `Key: ${key.keyId} (${spec ?? '?'}, ${key.metadata.KeyUsage ?? '?'})`,
              `Expiry: ${validTo ? `${formatDate(validTo)}; then the key waits for the same material again` : 'does not expire'}`,
              `Wrapping: ${algorithm} with an ${wrappingKeySpec} key from GetParametersForImport, done here; the material never leaves unwrapped.`,
              choice.generated
                ? 'The material is shown to you once after the import: save it.'
                : 'Keep your copy: re-importing after an expiry or deletion needs exactly this material.',
            ].join('\n'),
            confirmLabel: 'Import',
          });
        }
        const material = choice.material;
        const { keyMaterialId } = await withCancellableProgress(`Importing key material into ${key.label}…`, (signal) =>
          wrapAndImport(key, material, { algorithm, wrappingKeySpec, validTo, signal }),
        );
        keyChanged(services, key.connection, key.keyId);
        if (choice.generated && output) {
          const text = materialDocument(key, material, validTo);
          await deliver(deps.docs, output, { fileName: `key-material-${fileLabel(key.label)}.json`, ...text });
          warnSecret(output, 'The new key material', { clipboardText: text.clipboard });
        }
        const after = await key.gateway.describeKey(key.keyId);
        notify(
          `Imported key material into ${key.label}: it is ${after.KeyState ?? 'enabled'}${validTo ? ` until ${formatDate(validTo)}` : ''}.`,
        );
        return {
          keyId: key.keyId,
          keyState: after.KeyState ?? 'Enabled',
          expirationModel: validTo ? 'KEY_MATERIAL_EXPIRES' : 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          validTo: (after.ValidTo ?? validTo)?.toISOString(),
          wrappingAlgorithm: algorithm,
          wrappingKeySpec,
          keyMaterialId,
          generated: choice.generated,
          output,
        };
      } finally {
        zero(choice);
      }
    },
  };
}

export interface DeletedMaterial {
  readonly keyId: string;
  readonly keyState: string;
}

/**
 * `kmsWorkbench.deleteImportedKeyMaterial` `{ keyId?, connection?, confirm }`:
 * DeleteImportedKeyMaterial on a key with origin EXTERNAL. Destructive: with an argument
 * object it needs `confirm: true`; interactively it says what stops working. The key is then
 * PendingImport until the same material is imported again. Returns `{ keyId, keyState }`.
 */
export const deleteImportedKeyMaterial: CommandSpec<DeletedMaterial> = {
  id: DELETE,
  action: 'delete the imported key material',
  run: async (arg, services) => {
    const args = Args.from(DELETE, arg, [...KEY_FIELDS, 'confirm']);
    const confirmed = confirmedByArgs(
      DELETE,
      arg,
      args,
      'deletes the key material, after which the key cannot encrypt, decrypt, sign or verify until the same material is imported again',
    );
    const key = await resolveKey(arg, args, services, {
      title: 'Delete imported key material of key',
      action: 'deleteImportedKeyMaterial',
    });
    if (!confirmed) {
      await services.ui.confirm(`Delete the key material of ${key.label}?`, {
        detail: [
          'The key becomes PendingImport at once: every cryptographic operation with it fails (Encrypt, ' +
            'Decrypt, GenerateDataKey, Sign, Verify, GenerateMac…), and so do the AWS services and applications that use it.',
          'Nothing encrypted under it is lost, but it cannot be decrypted until you import exactly the same ' +
            'material again. Make sure you still have a copy: KMS cannot give it back.',
        ].join('\n\n'),
        confirmLabel: 'Delete Key Material',
        modal: true,
      });
    }
    await key.gateway.deleteImportedKeyMaterial(key.keyId);
    keyChanged(services, key.connection, key.keyId);
    const after = await key.gateway.describeKey(key.keyId);
    notify(`Deleted the key material of ${key.label}: it is pending import until the same material is imported again.`, {
      title: 'Import Key Material…',
      run: () => vscode.commands.executeCommand(IMPORT, { connection: key.connection.id, keyId: key.keyId }),
    });
    return { keyId: key.keyId, keyState: after.KeyState ?? 'PendingImport' };
  },
};
