import * as vscode from 'vscode';

/**
 * The extension's log ("KMS Workbench" output channel). Only messages, error names,
 * operation names and identifiers go here: never plaintext, data keys or credentials.
 */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
  show(): void;
}

export function createLog(context: vscode.ExtensionContext): Log {
  const channel = vscode.window.createOutputChannel('KMS Workbench', { log: true });
  context.subscriptions.push(channel);
  return {
    info: (m) => channel.info(redactSecrets(m)),
    warn: (m) => channel.warn(redactSecrets(m)),
    error: (m, e) => channel.error(redactSecrets(e === undefined ? m : `${m}: ${describeError(e)}`)),
    show: () => channel.show(true),
  };
}

/** Error name and message only: never the stack's locals, never request payloads. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${typeof code === 'string' && code !== error.message ? `[${code}] ` : ''}${error.message}`;
  }
  return String(error);
}

/** Masks anything shaped like an AWS secret or session token that slipped into a message. */
export function redactSecrets(message: string): string {
  return message
    .replace(
      /(aws_secret_access_key|secretAccessKey|SecretAccessKey|sessionToken|SessionToken|Plaintext)(["'\s:=]+)([^\s"',}]+)/g,
      '$1$2****',
    )
    .replace(/\b(A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{12,}\b/g, (m) => `${m.slice(0, 4)}****${m.slice(-4)}`);
}
