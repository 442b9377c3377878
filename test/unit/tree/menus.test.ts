import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import { allowedActions } from '../../../src/core/kms/keyCapabilities';
import { keyContextValue } from '../../../src/shared/contextValues';
import { type Context, evaluateWhen } from './whenClause';

interface MenuEntry {
  command?: string;
  submenu?: string;
  when?: string;
  group?: string;
}

interface Manifest {
  contributes: {
    menus: Record<string, MenuEntry[]>;
    submenus: { id: string; label: string }[];
    commands: { command: string; category?: string }[];
  };
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;

/** The commands (and submenus) a menu shows in a context. */
function shown(menu: string, context: Context): string[] {
  return manifest.contributes.menus[menu]
    .filter((m) => evaluateWhen(m.when, context))
    .map((m) => m.command ?? `submenu:${m.submenu ?? ''}`);
}

const keyValue = (meta: Partial<KeyMetadata>): string => {
  const m = {
    KeyManager: 'CUSTOMER',
    KeySpec: 'SYMMETRIC_DEFAULT',
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: 'Enabled',
    ...meta,
  } as KeyMetadata;
  return keyContextValue({ allowed: allowedActions(m), state: m.KeyState, manager: m.KeyManager, usage: m.KeyUsage, spec: m.KeySpec });
};

describe('menus: each entry where it applies', () => {
  it('evaluates when clauses as VS Code does for the forms the manifest uses', () => {
    assert.ok(evaluateWhen('a && (b || !c)', { a: true, c: true, b: 1 }));
    assert.ok(!evaluateWhen('a && (b || !c)', { a: true, c: true }));
    assert.ok(evaluateWhen('viewItem =~ /^key\\b(?!.*\\bx\\b)/', { viewItem: 'key y' }));
    assert.ok(!evaluateWhen('viewItem =~ /^key\\b(?!.*\\bx\\b)/', { viewItem: 'key x' }));
    assert.ok(evaluateWhen('gitOpenRepositoryCount != 0', { gitOpenRepositoryCount: '1' }));
    assert.ok(!evaluateWhen('gitOpenRepositoryCount != 0', { gitOpenRepositoryCount: '0' }));
    assert.ok(evaluateWhen('resourcePath in list && x not in list', { resourcePath: '/a', list: ['/a'], x: '/b' }));
  });

  it('a key offers Edit Key Policy or the read-only view, never both; an AWS managed key only the read-only view', () => {
    const view = 'view/item/context';
    const policyEntries = (viewItem: string): string[] =>
      shown(view, { view: 'kmsWorkbench.keys', viewItem }).filter((c) => /KeyPolicy$/.test(c));
    assert.deepEqual(policyEntries(keyValue({})), ['kmsWorkbench.editKeyPolicy']);
    assert.deepEqual(policyEntries(keyValue({ KeyState: 'Disabled' })), ['kmsWorkbench.editKeyPolicy']);
    assert.deepEqual(policyEntries(keyValue({ KeyManager: 'AWS' })), ['kmsWorkbench.showKeyPolicy']);
    // The Key policy node under a key: `policy can-editPolicy` for a customer key, `policyReadOnly` otherwise (the pencil only when editable).
    assert.deepEqual(policyEntries('policy can-editPolicy'), ['kmsWorkbench.editKeyPolicy', 'kmsWorkbench.editKeyPolicy']);
    assert.deepEqual(policyEntries('policyReadOnly'), ['kmsWorkbench.showKeyPolicy']);
  });

  it('puts the editor’s entries under a "KMS" submenu: decrypt, re-encrypt and peek on ciphertext, encrypt on a plaintext selection', () => {
    assert.deepEqual(shown('editor/context', { editorTextFocus: true }), ['submenu:kmsWorkbench.editorMenu']);
    assert.equal(manifest.contributes.submenus.find((s) => s.id === 'kmsWorkbench.editorMenu')?.label, 'KMS');
    const menu = (context: Context): string[] =>
      shown('kmsWorkbench.editorMenu', { editorTextFocus: true, ...context }).map((c) => c.replace('kmsWorkbench.', ''));
    assert.deepEqual(menu({ editorHasSelection: true, 'kmsWorkbench.selectionIsCiphertext': false }), ['encryptSelection']);
    assert.deepEqual(menu({ editorHasSelection: true, 'kmsWorkbench.selectionIsCiphertext': true }), [
      'decryptSelection',
      'reEncryptSelection',
      'peekCiphertext',
    ]);
    assert.deepEqual(
      menu({ editorHasSelection: false, 'kmsWorkbench.selectionIsCiphertext': true }),
      ['decryptSelection', 'reEncryptSelection', 'peekCiphertext'],
      'the ciphertext under the cursor',
    );
    assert.deepEqual(menu({ editorHasSelection: false }), [], 'nothing applies: the submenu is empty, and VS Code hides it');
    assert.deepEqual(
      menu({ editorHasSelection: true, editorReadonly: true, 'kmsWorkbench.selectionIsCiphertext': true }),
      ['peekCiphertext'],
      'a read-only editor can only be peeked',
    );
    for (const entry of manifest.contributes.menus['kmsWorkbench.editorMenu']) {
      assert.equal(manifest.contributes.commands.find((c) => c.command === entry.command)?.category, 'KMS', entry.command);
    }
  });

  it('offers Compare Decrypted with HEAD only inside a Git repository', () => {
    const file = { resourceScheme: 'file', resourcePath: '/w/.env', 'kmsWorkbench.encryptedFiles': ['/w/.env'] };
    for (const menu of ['explorer/context', 'editor/title/context', 'commandPalette']) {
      assert.ok(shown(menu, { ...file, gitOpenRepositoryCount: '1' }).includes('kmsWorkbench.compareDecryptedWithHead'), menu);
      assert.ok(!shown(menu, { ...file, gitOpenRepositoryCount: '0' }).includes('kmsWorkbench.compareDecryptedWithHead'), menu);
    }
    const decrypted = { resourceScheme: 'kms-decrypted', isInDiffEditor: false };
    assert.ok(shown('editor/title', { ...decrypted, gitOpenRepositoryCount: '1' }).includes('kmsWorkbench.compareDecryptedWithHead'));
    assert.ok(!shown('editor/title', { ...decrypted, gitOpenRepositoryCount: '0' }).includes('kmsWorkbench.compareDecryptedWithHead'));
  });
});
