// Keys of other accounts, as KMS reaches them: a call through one account's endpoint naming a
// key ARN of another account is served by that account's KMS (when its key policy allows).
// The emulator imitates this with peers: other emulators, each with its own account id; a
// request naming a key ARN (or alias ARN) of a peer's account, or a Decrypt of one of our blobs
// whose key is not here, is forwarded to that peer unchanged (same signed headers, Host
// included, so the peer verifies the same signature), and its answer passed back. Tests count
// the calls that reached the "foreign account" on the peer.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { readBlobHeader } from './crypto';

const ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):(?:key|alias)\//;
const KEY_FIELDS = ['KeyId', 'SourceKeyId', 'DestinationKeyId'] as const;

/**
 * The peer a request belongs to: the account of the first key ARN it names that is not ours,
 * else (no key named) the first peer when the blob's key is not one of ours.
 */
export function peerFor(
  input: Record<string, unknown>,
  options: { accountId: string; peers: Readonly<Record<string, string>>; hasLocalKey: (keyId: string) => boolean },
): string | undefined {
  for (const field of KEY_FIELDS) {
    const value = input[field];
    const account = typeof value === 'string' ? ARN.exec(value)?.[1] : undefined;
    if (account && account !== options.accountId) return options.peers[account];
  }
  const named = KEY_FIELDS.some((f) => typeof input[f] === 'string' && input[f] !== '');
  const blob = typeof input.CiphertextBlob === 'string' ? Buffer.from(input.CiphertextBlob, 'base64') : undefined;
  if (!named && blob) {
    const header = readBlobHeader(blob);
    if (header && !options.hasLocalKey(header.keyId)) return Object.values(options.peers)[0];
  }
  return undefined;
}

/** Sends the request as it came to the peer and passes its answer back. */
export function forwardToPeer(peerUrl: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url ?? '/', peerUrl);
    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers.connection;
    const out = httpRequest(url, { method: req.method, headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const data = Buffer.concat(chunks);
        if (!res.headersSent) {
          res.writeHead(answer.statusCode ?? 502, {
            'Content-Type': answer.headers['content-type'] ?? 'application/x-amz-json-1.1',
            'Content-Length': data.length,
            'x-amzn-RequestId': String(answer.headers['x-amzn-requestid'] ?? ''),
          });
          res.end(data);
        }
        resolve();
      });
      answer.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}
