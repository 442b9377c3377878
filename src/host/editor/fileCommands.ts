// Encrypt, decrypt and re-encrypt whole files in place: the active file, the files chosen in
// the Explorer (multi-select), or `uri`/`uris` of an argument object. Streamed with progress
// and cancel; each file is replaced atomically, so a failure or cancel leaves it as it was.
// The commands live one per file (encryptFileCommand, decryptFileCommand, reEncryptFileCommand),
// what they share in fileCommandSteps; this module keeps the names callers import.
export { type FileResult, targetFiles } from './fileCommandSteps';
export { encryptFile } from './encryptFileCommand';
export { decryptFile } from './decryptFileCommand';
export { reEncryptFile } from './reEncryptFileCommand';
