// What makes rewriting a file in place more than it seems, asked about before any KMS call:
// other hard links (they keep the old content), a symbolic link to a file outside the
// workspace folders (that file is rewritten), a read-only file. The core reports the facts
// (fileFacts); here the person is asked, and a scripted call is refused unless its argument
// object says `confirm: true`.
import { realpath } from 'node:fs/promises';
import { basename, relative, isAbsolute } from 'node:path';
import * as vscode from 'vscode';
import { fileFacts } from '../../core/files/atomicReplace';
import { KmsError } from '../../core/kms/errors';
import type { Services } from '../services';

export interface HazardOptions {
  readonly interactive: boolean;
  /** The argument object said `confirm: true`. */
  readonly confirmed: boolean;
  /** "encrypt", "decrypt", "re-encrypt". */
  readonly verb: string;
  readonly command: string;
}

/**
 * Asks about (or, scripted without `confirm: true`, refuses) every hazard of the files.
 * Returns the paths whose other hard links were accepted (the core refuses them otherwise).
 */
export async function settleWriteHazards(services: Services, uris: readonly vscode.Uri[], options: HazardOptions): Promise<Set<string>> {
  const hardLinked = new Set<string>();
  const folders = await workspaceRoots();
  const findings: string[] = [];
  for (const uri of uris) {
    const facts = await fileFacts(uri.fsPath);
    const name = basename(uri.fsPath);
    if (facts.otherHardLinks > 0) {
      hardLinked.add(uri.fsPath);
      const keeps = options.verb === 'decrypt' ? 'ciphertext' : options.verb === 'encrypt' ? 'plaintext' : 'old ciphertext';
      findings.push(
        `${name} has ${facts.otherHardLinks} other hard link${facts.otherHardLinks > 1 ? 's' : ''} (other ` +
          `names of the same file): they keep the ${keeps} after it is ${options.verb}ed.`,
      );
    }
    if (facts.symlink && !folders.some((root) => inside(facts.realPath, root))) {
      findings.push(
        `${name} is a symbolic link to ${facts.realPath}, outside the workspace folders: that file is the one ${options.verb}ed.`,
      );
    }
    if (facts.readOnly) findings.push(`${name} is read-only: it is replaced all the same (its folder allows it).`);
  }
  if (findings.length === 0) return hardLinked;
  if (!options.interactive) {
    if (options.confirmed) return hardLinked;
    throw new KmsError(
      'ConfirmationRequired',
      `${findings.join(' ')} Add "confirm": true to the argument object of ${options.command} to ${options.verb} anyway.`,
    );
  }
  const verb = `${options.verb[0].toUpperCase()}${options.verb.slice(1)}`;
  await services.ui.confirm(
    findings.length === 1 ? findings[0] : `${findings.length} things to know before the files are ${options.verb}ed in place.`,
    {
      modal: true,
      detail: findings.length === 1 ? `${verb} it anyway?` : `${findings.join('\n')}\n\n${verb} anyway?`,
      confirmLabel: `${verb} Anyway`,
    },
  );
  return hardLinked;
}

async function workspaceRoots(): Promise<string[]> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  return Promise.all(folders.map((f) => realpath(f.uri.fsPath).catch(() => f.uri.fsPath)));
}

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
