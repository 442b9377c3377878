// Text from servers and files shown as text: each payload, put where the extension puts such
// text, is rendered by a CommonMark renderer (HTML and GFM-style autolinks on, more than VS
// Code allows) and must come out as exactly the text it was (controls as visible escapes),
// with no element but the ones the extension wrote itself.
import * as assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import { ciphertextMarkdown, encryptedFileSummary } from '../../../src/core/envelope/ciphertextSummary';
import { ALGORITHM_SUITES, DEFAULT_SUITE_ID, type MessageHeader } from '../../../src/core/envelope/messageFormat';
import { inertLabel, inertLine, inertMessage, markdownCode, markdownText, visibleControls } from '../../../src/core/text/inertText';
import {
  customKeyStoreLabel,
  grantLabel,
  grantTooltip,
  keyDescription,
  keyLabel,
  keyTooltip,
} from '../../../src/core/tree/keyPresentation';

const md = new MarkdownIt({ html: true, linkify: true });

/** Injection payloads: Markdown, links, command URIs, HTML, code fences, controls. */
export const PAYLOADS: readonly string[] = [
  'prod key\r\r# Heading from the description',
  'line one\n# heading\n\n- list item',
  'x\u2028# after a line separator\u2029## and a paragraph separator',
  '[Click to rotate](command:kmsWorkbench.peekCiphertext?%5B%7B%22uri%22%3A%22file%3A%2F%2F%2Fetc%2Fpasswd%22%7D%5D)',
  '[link](https://evil.example/phish "title")',
  '![image](https://evil.example/pixel.png)',
  '<https://evil.example/autolink>',
  'visit https://evil.example/x or www.evil.example or mail a@evil.example',
  '<img src=x onerror="alert(1)"> <a href="command:workbench.action.terminal.new">open</a> <script>alert(1)</script>',
  '`code` ``double`` ```triple``` ````',
  '`',
  ' leading and trailing spaces ',
  '` starts and ends with a backtick `',
  'arn:aws:kms:us-east-1:111122223333:key/x`](command:kmsWorkbench.peekCiphertext) `',
  '**bold** _italic_ ~~strike~~ <b>b</b>',
  '&lt;script&gt; &amp; &#x41; &copy;',
  '> quote\n1. ordered\n| a | b |\n|---|---|',
  '[ref]: https://evil.example\n[ref]',
  '$(alert) $(zap~spin) icons',
  'trailing backslash \\',
  'bidi \u202Egnp.exe\u202C and isolates \u2066x\u2069 and marks \u200E\u200F\u061C',
  'nul \u0000 bell \u0007 esc \u001b[31m del \u007f c1 \u0085 \u009b',
  'zero width \u200B here and BOM \uFEFF there',
  'tab\there',
  'Ünïcödé 鍵 🔑 עברית are kept',
];

function decodeEntities(html: string): string {
  return html.replace(/&(lt|gt|amp|quot|#39);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', '#39': "'" })[e] ?? _);
}

/** The elements in rendered HTML, as tag names. */
function tags(html: string): string[] {
  return [...html.matchAll(/<([a-z0-9]+)[\s>/]/gi)].map((m) => m[1].toLowerCase());
}

function textOf(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, ''));
}

const LIVE = [
  'a',
  'img',
  'script',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'ul',
  'ol',
  'li',
  'blockquote',
  'table',
  'em',
  'strong',
  's',
  'b',
  'pre',
  'hr',
  'br',
];

describe('inert text: server and file text cannot form Markdown, links, icons or line breaks', () => {
  for (const payload of PAYLOADS) {
    const name = JSON.stringify(payload).slice(0, 60);

    it(`markdownText ${name}`, () => {
      const html = md.renderInline(markdownText(payload));
      assert.deepEqual(tags(html), [], html);
      assert.equal(textOf(html), visibleControls(payload));
      // Inside a paragraph after other text, as tooltips use it.
      const block = md.render(`- Description: ${markdownText(payload)}`);
      assert.deepEqual(tags(block), ['ul', 'li'], block);
    });

    it(`markdownCode ${name}`, () => {
      const html = md.renderInline(`Key: ${markdownCode(payload)}`);
      assert.deepEqual(tags(html), ['code'], html);
      const inner = /<code>([\s\S]*)<\/code>/.exec(html)?.[1] ?? '';
      assert.equal(decodeEntities(inner), visibleControls(payload));
    });

    it(`plain surfaces ${name}`, () => {
      for (const shown of [inertLine(payload), inertLabel(payload), inertMessage(payload)]) {
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(shown, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f\u061c\ufeff]/);
      }
      assert.doesNotMatch(inertLabel(payload), /(^|[^\\])\$\(/, 'icon syntax escaped');
      assert.doesNotMatch(inertMessage(payload), /\]\(/, 'notification link syntax broken');
    });
  }

  it('makes controls visible as escapes, keeping line breaks only when asked', () => {
    assert.equal(visibleControls('a\r\nb\tc\u202Ed'), 'a\\r\\nb\\tc\\u202Ed');
    assert.equal(visibleControls('a\r\nb\tc\u202Ed', { keepLineBreaks: true }), 'a\nb\tc\\u202Ed');
    assert.equal(inertMessage('see [x](command:y)\nnext', { keepLineBreaks: true }), 'see [x] (command:y)\nnext');
    assert.equal(inertLabel('$(zap) \\$(x)'), '\\$(zap) \\\\$(x)');
  });

  it('keeps ordinary text as it is (apart from Markdown escapes that render away)', () => {
    const text = 'Payments key (prod) — rotates yearly: see runbook #12';
    assert.equal(inertLine(text), text);
    assert.equal(textOf(md.renderInline(markdownText(text))), text);
    assert.equal(markdownCode('arn:aws:kms:us-east-1:111122223333:key/1234'), '`arn:aws:kms:us-east-1:111122223333:key/1234`');
  });

  it('themeIcons: a $( stays text after VS Code renders icons on the rendered text', () => {
    // VS Code renders `$(name)` in the rendered text unless written `\$(name)` there.
    const rendered = textOf(md.renderInline(markdownText('$(alert) x', { themeIcons: true })));
    assert.equal(rendered, '\\$(alert) x');
  });
});

describe('inert text where the tree and the hovers put it', () => {
  const evil = PAYLOADS;
  const meta = (description: string): KeyMetadata => ({
    KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
    Arn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    KeyState: 'Enabled',
    KeyManager: 'CUSTOMER',
    KeySpec: 'SYMMETRIC_DEFAULT',
    KeyUsage: 'ENCRYPT_DECRYPT',
    Description: description,
  });

  /** Only the elements the tooltip itself writes: one bold title, one list, code spans. */
  function assertOnlyOwnMarkup(markdown: string): void {
    const html = md.render(markdown);
    const live = tags(html).filter((t) => LIVE.includes(t) && !['ul', 'li', 'strong'].includes(t));
    assert.deepEqual(live, [], html);
    assert.ok(tags(html).filter((t) => t === 'strong').length <= 1, html);
    assert.equal(tags(html).filter((t) => t === 'ul').length, 1, html);
    assert.doesNotMatch(html, /<a[\s>]|<img|<script|<h\d/);
  }

  for (const payload of evil) {
    it(`key tooltip with description, alias and ARN ${JSON.stringify(payload).slice(0, 50)}`, () => {
      const tooltip = keyTooltip({
        keyId: `k${payload}`,
        aliases: [`alias/${payload}`],
        metadata: { ...meta(payload), Arn: `arn:${payload}` },
      });
      assertOnlyOwnMarkup(tooltip);
      assert.match(
        textOf(md.render(tooltip)),
        new RegExp(
          visibleControls(payload)
            .slice(0, 10)
            .replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        ),
      );
    });

    it(`grant and key store labels and tooltips ${JSON.stringify(payload).slice(0, 50)}`, () => {
      const grant = {
        GrantId: payload,
        Name: payload,
        GranteePrincipal: payload,
        Operations: ['Decrypt' as const],
        Constraints: { EncryptionContextEquals: { [payload]: payload } },
      };
      assertOnlyOwnMarkup(grantTooltip(grant));
      const label = grantLabel(grant);
      assert.doesNotMatch(label.label + label.description, /[\r\n\u2028\u202e]/);
      const store = customKeyStoreLabel({ CustomKeyStoreName: payload, CustomKeyStoreId: 'cks-1', ConnectionErrorCode: 'NETWORK_ERRORS' });
      assertOnlyOwnMarkup(store.tooltip);
      assert.doesNotMatch(store.label, /[\r\n\u2028\u202e]/);
      assert.doesNotMatch(keyLabel(payload, []) + keyDescription({ ...meta(''), KeySpec: payload as never }), /[\r\n\u2028\u202e]/);
    });

    it(`message hover with a key ARN, provider and context value ${JSON.stringify(payload).slice(0, 50)}`, () => {
      const suite = ALGORITHM_SUITES.get(DEFAULT_SUITE_ID);
      assert.ok(suite);
      const header = {
        version: 2,
        suite,
        messageId: Buffer.alloc(32),
        encryptionContext: { [payload]: payload, app: 'web' },
        encryptedDataKeys: [
          { providerId: 'aws-kms', providerInfo: `arn:aws:kms:us-east-1:111122223333:key/${payload}`, encryptedDataKey: Buffer.alloc(8) },
          { providerId: 'aws-kms', providerInfo: 'arn:aws:kms:us-west-2:111122223333:key/second', encryptedDataKey: Buffer.alloc(8) },
          { providerId: payload, providerInfo: payload, encryptedDataKey: Buffer.alloc(8) },
        ],
        contentType: 'framed',
        frameLength: 4096,
      } as unknown as MessageHeader;
      const hover = ciphertextMarkdown({ kind: 'message', confidence: 'structure', bytes: Buffer.alloc(100), header });
      const html = md.render(hover);
      assert.deepEqual(
        tags(html).filter((t) => LIVE.includes(t) && !['strong', 'br'].includes(t)),
        [],
        html,
      );
      assert.doesNotMatch(html, /<a |<img|<script|<h\d/);
      assert.match(hover, /Keys \(any one of the 2 decrypts\)/);
      const summary = encryptedFileSummary('Encryption SDK message, base64', header);
      assert.doesNotMatch(summary, /[\r\n\u2028\u202e]/);
      assert.match(
        summary,
        /for 2 keys, any one decrypts: arn:aws:kms:us-east-1:111122223333:key\/.*, arn:aws:kms:us-west-2:111122223333:key\/second/,
      );
    });
  }
});
