// Errors as KMS sends them: an HTTP status and a JSON body {"__type": name, "message": text}.

/** An error the emulator answers with, in KMS's own shape. */
export class KmsApiError extends Error {
  constructor(
    /** The KMS error name, sent as `__type` (the SDK throws an exception of this name). */
    readonly errorName: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = errorName;
  }

  body(): { __type: string; message: string } {
    return { __type: this.errorName, message: this.message };
  }
}

/** KMS's HTTP status for an error name: 500 for the server-side failures, 400 otherwise. */
export function statusFor(errorName: string): number {
  switch (errorName) {
    case 'KMSInternalException':
    case 'KeyUnavailableException':
      return 500;
    case 'DependencyTimeoutException':
      return 503;
    case 'DryRunOperationException':
      return 412;
    default:
      return 400;
  }
}

export function apiError(errorName: string, message: string): KmsApiError {
  return new KmsApiError(errorName, message, statusFor(errorName));
}

export const notFound = (message: string): KmsApiError => apiError('NotFoundException', message);
export const validation = (message: string): KmsApiError => apiError('ValidationException', message);
export const invalidState = (message: string): KmsApiError => apiError('KMSInvalidStateException', message);
export const unsupported = (message: string): KmsApiError => apiError('UnsupportedOperationException', message);
export const invalidKeyUsage = (message: string): KmsApiError => apiError('InvalidKeyUsageException', message);
export const limitExceeded = (message: string): KmsApiError => apiError('LimitExceededException', message);

export const invalidCiphertext = (): KmsApiError =>
  apiError(
    'InvalidCiphertextException',
    'The ciphertext is invalid: it was altered or truncated, it was not made by a key in this account and region, or the encryption context does not match (missing or different).',
  );

/** AWS's wording for a field that breaks a constraint of the service model. */
export function constraintViolation(field: string, value: unknown, constraint: string): KmsApiError {
  const shown = value === undefined || value === null ? 'null' : `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;
  const member = field.charAt(0).toLowerCase() + field.slice(1);
  return validation(`1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
}
