// @aws-crypto/material-management's pem_helpers without asn1.js: the build (scripts/bundleAliases.mjs)
// puts this module in its place in dist/encryptionSdk.js. Hand-written for the bundle budget
// (dist ≤ 1.2 MB): asn1.js and the copy of bn.js it brings are 68 KB minified, for two fixed DER
// structures. The SDK (signature_key.js) turns the raw P-256/P-384 keys of a signed message
// into PEM for node's crypto.createSign/createVerify:
//   SubjectPublicKeyInfo (RFC 5480):  SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID curve }, BIT STRING point }
//   ECPrivateKey (RFC 5915):          SEQUENCE { INTEGER 1, OCTET STRING key, [0] OID curve, [1] BIT STRING point }
// Same exports, same output byte for byte (test/unit/lazy/pemHelpers.test.ts compares with the
// SDK's own module over random keys, and signs and verifies with node's crypto).

/** DER of the object identifiers the SDK's structures name (asn1.js's objid maps of pem_helpers). */
const OIDS: Readonly<Record<string, readonly number[]>> = {
  EC: [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01], // 1.2.840.10045.2.1 id-ecPublicKey
  prime256v1: [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], // 1.2.840.10045.3.1.7
  secp384r1: [0x2b, 0x81, 0x04, 0x00, 0x22], // 1.3.132.0.34
};

/** One DER element: tag, definite length (short or long form), contents. */
function der(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  let length: number[];
  if (n < 0x80) length = [n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    length = [0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

function oid(name: string): Buffer {
  const bytes = Object.prototype.hasOwnProperty.call(OIDS, name) ? OIDS[name] : undefined;
  if (!bytes) throw new Error(`objid not found in values map: ${name}`);
  return der(0x06, Uint8Array.from(bytes));
}

/** A BIT STRING of whole bytes (no unused bits). */
function bitString(data: Uint8Array): Buffer {
  return der(0x03, Uint8Array.of(0), data);
}

const SEQUENCE = 0x30;

export function publicKeyPem(curve: string, publicKey: Uint8Array): string {
  const buff = der(SEQUENCE, der(SEQUENCE, oid('EC'), oid(curve)), bitString(publicKey));
  return ['-----BEGIN PUBLIC KEY-----', ...chunk64(buff), '-----END PUBLIC KEY-----', ''].join('\n');
}

export function privateKeyPem(curve: string, privateKey: Uint8Array, publicKey: Uint8Array): string {
  const buff = der(
    SEQUENCE,
    der(0x02, Uint8Array.of(1)), // version 1
    der(0x04, privateKey),
    der(0xa0, oid(curve)), // [0] EXPLICIT parameters
    der(0xa1, bitString(publicKey)), // [1] EXPLICIT publicKey
  );
  return ['-----BEGIN EC PRIVATE KEY-----', ...chunk64(buff), '-----END EC PRIVATE KEY-----', ''].join('\n');
}

export function chunk64(buff: Buffer): string[] {
  const chunkSize = 64;
  const str = buff.toString('base64');
  const numChunks = Math.ceil(str.length / chunkSize);
  const chunks = new Array<string>(numChunks);
  for (let i = 0, o = 0; i < numChunks; ++i, o += chunkSize) chunks[i] = str.slice(o, o + chunkSize);
  return chunks;
}
