import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import { allowedActions } from '../../../src/core/kms/keyCapabilities';
import { customKeyStoreContextValue, keyContextValue } from '../../../src/shared/contextValues';

interface MenuEntry {
  command?: string;
  submenu?: string;
  when?: string;
  group?: string;
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { menus: Record<string, MenuEntry[]> } };

/** Whether a menu entry of `command` (in `menu`, optionally only the inline one) shows for a node with this context value. */
function shows(menu: string, command: string, contextValue: string, inline?: boolean): boolean {
  return manifest.contributes.menus[menu]
    .filter((m) => m.command === command && (inline === undefined || (m.group === 'inline') === inline))
    .some((m) => {
      const when = m.when ?? '';
      const regex = /viewItem =~ \/(.+?)\/(?:\s|$)/.exec(when);
      if (regex) return new RegExp(regex[1]).test(contextValue);
      const equal = /viewItem == (\S+)/.exec(when);
      return equal ? equal[1] === contextValue : true;
    });
}

const keyValue = (meta: Partial<KeyMetadata>): string => {
  const m = { KeyManager: 'CUSTOMER', KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', ...meta } as KeyMetadata;
  return keyContextValue({ allowed: allowedActions(m), state: m.KeyState, manager: m.KeyManager, usage: m.KeyUsage, spec: m.KeySpec });
};

describe('menus of bring your own key, custom key stores and ECDH', () => {
  it('offers Import Key Material inline on a key pending import, in the menu of keys with imported material, never on KMS keys', () => {
    const pending = keyValue({ Origin: 'EXTERNAL', KeyState: 'PendingImport' });
    const imported = keyValue({ Origin: 'EXTERNAL', KeyState: 'Enabled' });
    const kms = keyValue({ Origin: 'AWS_KMS', KeyState: 'Enabled' });
    assert.ok(shows('view/item/context', 'kmsWorkbench.importKeyMaterial', pending, true));
    assert.ok(!shows('view/item/context', 'kmsWorkbench.importKeyMaterial', imported, true));
    assert.ok(shows('view/item/context', 'kmsWorkbench.importKeyMaterial', imported, false));
    assert.ok(!shows('view/item/context', 'kmsWorkbench.importKeyMaterial', kms));
    assert.ok(shows('view/item/context', 'kmsWorkbench.deleteImportedKeyMaterial', imported));
    assert.ok(!shows('view/item/context', 'kmsWorkbench.deleteImportedKeyMaterial', pending));
    assert.ok(!shows('view/item/context', 'kmsWorkbench.deleteImportedKeyMaterial', kms));
  });

  it('offers Derive Shared Secret for enabled key agreement keys only', () => {
    const agreement = keyValue({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT', KeyState: 'Enabled' });
    const signing = keyValue({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', KeyState: 'Enabled' });
    assert.ok(shows('kmsWorkbench.keyCryptoMenu', 'kmsWorkbench.deriveSharedSecret', agreement));
    assert.ok(!shows('kmsWorkbench.keyCryptoMenu', 'kmsWorkbench.deriveSharedSecret', signing));
    const submenu = manifest.contributes.menus['view/item/context'].find((m) => m.submenu === 'kmsWorkbench.keyCryptoMenu')!;
    assert.match(agreement, new RegExp(/viewItem =~ \/(.+?)\/$/.exec(submenu.when ?? '')![1]));
  });

  it('offers connect, disconnect and delete of a custom key store by its connection state', () => {
    const state = (s: string): string => customKeyStoreContextValue({ state: s, type: 'AWS_CLOUDHSM' });
    const menu = 'view/item/context';
    assert.ok(shows(menu, 'kmsWorkbench.connectCustomKeyStore', state('DISCONNECTED')));
    assert.ok(!shows(menu, 'kmsWorkbench.connectCustomKeyStore', state('CONNECTED')));
    assert.ok(!shows(menu, 'kmsWorkbench.connectCustomKeyStore', state('FAILED')));
    for (const s of ['CONNECTED', 'CONNECTING', 'FAILED']) assert.ok(shows(menu, 'kmsWorkbench.disconnectCustomKeyStore', state(s)), s);
    assert.ok(!shows(menu, 'kmsWorkbench.disconnectCustomKeyStore', state('DISCONNECTED')));
    assert.ok(shows(menu, 'kmsWorkbench.deleteCustomKeyStore', state('DISCONNECTED')));
    assert.ok(!shows(menu, 'kmsWorkbench.deleteCustomKeyStore', state('CONNECTED')));
    for (const s of ['CONNECTED', 'DISCONNECTED', 'FAILED']) assert.ok(shows(menu, 'kmsWorkbench.updateCustomKeyStore', state(s)), s);
    assert.ok(shows(menu, 'kmsWorkbench.createCustomKeyStore', 'customKeyStores'));
    assert.ok(shows(menu, 'kmsWorkbench.createCustomKeyStore', 'connection'));
  });
});
