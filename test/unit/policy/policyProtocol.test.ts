import * as assert from 'node:assert/strict';
import {
  MAX_MESSAGE_TEXT,
  cancelledResult,
  parseHostMessage,
  parseRequestResult,
  parseWebviewMessage,
} from '../../../src/shared/policyProtocol';

describe('policy editor protocol: what each end accepts', () => {
  it('accepts the webview messages the protocol defines', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { ok: true, message: { type: 'ready' } });
    assert.deepEqual(parseWebviewMessage({ type: 'edit', text: '{}' }), { ok: true, message: { type: 'edit', text: '{}' } });
    for (const request of [
      { kind: 'save', text: '{}' },
      { kind: 'showDiff', text: '' },
      { kind: 'reload' },
      { kind: 'openJson' },
      { kind: 'reveal', offset: 3, length: 0 },
    ]) {
      const parsed = parseWebviewMessage({ type: 'request', requestId: 7, request });
      assert.deepEqual(parsed, { ok: true, message: { type: 'request', requestId: 7, request } }, JSON.stringify(request));
    }
  });

  it('refuses anything else from the webview, saying what is wrong', () => {
    const cases: [unknown, RegExp][] = [
      [null, /not an object/],
      ['ready', /not an object/],
      [{ type: 'ready', extra: 1 }, /unexpected field extra/],
      [{ type: 'edit' }, /edit needs the policy text/],
      [{ type: 'edit', text: 'x'.repeat(MAX_MESSAGE_TEXT + 1) }, /edit needs the policy text/],
      [{ type: 'request', requestId: -1, request: { kind: 'reload' } }, /requestId/],
      [{ type: 'request', requestId: 1.5, request: { kind: 'reload' } }, /requestId/],
      [{ type: 'request', requestId: 1, request: { kind: 'putKeyPolicy' } }, /unknown request kind "putKeyPolicy"/],
      [{ type: 'request', requestId: 1, request: { kind: 'save' } }, /save needs the policy text/],
      [{ type: 'request', requestId: 1, request: { kind: 'reload', keyId: 'x' } }, /unexpected field keyId/],
      [{ type: 'request', requestId: 1, request: { kind: 'reveal', offset: '3', length: 0 } }, /non-negative offset/],
      [{ type: '__proto__' }, /unknown message type/],
    ];
    for (const [raw, error] of cases) {
      const parsed = parseWebviewMessage(raw);
      assert.equal(parsed.ok, false, JSON.stringify(raw));
      assert.match(parsed.ok ? '' : parsed.error, error, JSON.stringify(raw));
    }
  });

  it('checks host messages in the webview too', () => {
    const key = { keyId: 'k', aliases: [], region: 'us-east-1', connectionLabel: 'c' };
    assert.equal(parseHostMessage({ type: 'init', key, text: '{}', serverText: '{}', status: 'idle' }).ok, true);
    assert.equal(parseHostMessage({ type: 'init', key: { ...key, aliases: [1] }, text: '{}', serverText: '{}', status: 'idle' }).ok, false);
    assert.equal(parseHostMessage({ type: 'init', key, text: '{}', serverText: '{}', status: 'done' }).ok, false);
    assert.equal(parseHostMessage({ type: 'text', text: '{}', source: 'jsonEditor' }).ok, true);
    assert.equal(parseHostMessage({ type: 'text', text: '{}', source: 'elsewhere' }).ok, false);
    assert.equal(parseHostMessage({ type: 'status', status: 'saved', message: 'ok' }).ok, true);
    assert.deepEqual(parseHostMessage({ type: 'reply', requestId: 3, ok: false }), {
      ok: true,
      message: { type: 'reply', requestId: 3, ok: false, error: 'The request failed.' },
    });
    assert.equal(parseHostMessage({ type: 'reply', ok: true }).ok, false);
  });

  it('ties each request kind to its result: a save answers saved and a message, the others done', () => {
    assert.deepEqual(parseRequestResult('save', { saved: false, message: 'Not saved.' }), { saved: false, message: 'Not saved.' });
    assert.equal(parseRequestResult('save', { done: true }), undefined, 'a save is answered with saved and message');
    assert.equal(parseRequestResult('save', { saved: 'yes', message: 'x' }), undefined);
    assert.deepEqual(parseRequestResult('reload', { done: false }), { done: false });
    assert.equal(parseRequestResult('openJson', { saved: true, message: 'x' }), undefined);
    assert.equal(parseRequestResult('reveal', undefined), undefined);
    for (const kind of ['save', 'reload', 'openJson', 'showDiff', 'reveal'] as const) {
      assert.deepEqual(
        parseRequestResult(kind, cancelledResult(kind)),
        cancelledResult(kind),
        `${kind}: a cancelled request's result is one of its kind`,
      );
    }
  });
});
