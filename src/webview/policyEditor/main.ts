// The key-policy editor's browser code (dist/webview/policyEditor.js): the entry point.
// It talks to the host only through ../../shared/policyProtocol (hostChannel.ts) and
// validates with the same core code as the host. The policy text is the single source of
// truth: the form is drawn from it (views/) and every form edit produces a new text, sent to
// the host, which keeps the JSON tab in sync (editor.ts).
import { PolicyEditorPage } from './editor';
import type { VsCodeApi } from './hostChannel';

declare function acquireVsCodeApi(): VsCodeApi;

new PolicyEditorPage(acquireVsCodeApi(), document.getElementById('app') ?? document.body).start(window);
