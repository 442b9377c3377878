// Encrypting, decrypting and re-encrypting files in place, streamed (memory stays flat for
// any size) and atomic (see ../files/atomicReplace.ts).
//
// Formats written: an AWS Encryption SDK message, base64-armored (default: the file stays
// text) or binary; or, for files of at most 4,096 bytes and only when asked, one KMS blob in
// base64 (what `aws kms encrypt --output text --query CiphertextBlob` prints). Read: all of
// them, whatever the setting says.
//
// This module gathers the file operations; they live in fileInspection.ts (what a file is),
// fileJob.ts (shared types and plumbing), fileEncrypt.ts, fileDecrypt.ts and fileReEncrypt.ts.
export { describeFormat, type FileInspection, inspectFile } from './fileInspection';
export {
  type DecryptedFile,
  type EncryptedFile,
  FILE_OUTPUT_FORMATS,
  type FileJob,
  type FileOutputFormat,
  type ReEncryptedFile,
} from './fileJob';
export { encryptFileInPlace } from './fileEncrypt';
export { type DecryptedFileMode, decryptFileInPlace } from './fileDecrypt';
export { reEncryptFileInPlace, type RekeyedFile, rekeyFileInPlace } from './fileReEncrypt';
