import * as assert from 'node:assert/strict';
import { checkEditableText } from '../../../src/core/decrypted/editableText';

describe('what can be edited decrypted', () => {
  it('accepts UTF-8 text, with or without a BOM, and empty text', () => {
    checkEditableText(Buffer.from('KEY=välue\n🙂\n'), 'a');
    checkEditableText(Buffer.from('\ufeffKEY=1\n'), 'a');
    checkEditableText(Buffer.alloc(0), 'a');
  });

  it('refuses binary plaintext, naming the file and the way out', () => {
    assert.throws(
      () => checkEditableText(Buffer.from([0x41, 0x00, 0x42]), 'blob.bin'),
      (e: Error & { code?: string }) => e.code === 'NotText' && /blob\.bin.*NUL.*Decrypt File/.test(e.message),
    );
    assert.throws(() => checkEditableText(Buffer.from([0xff, 0xfe, 0x41]), 'x'), /not UTF-8/);
  });
});
